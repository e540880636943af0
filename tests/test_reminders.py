"""Reminders on both databases: only the owners of silent commitments, only those items, at
most as often as they chose, once across replicas — and sent by the Telegram JobQueue."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_focal_point
from fake_telegram import FakeTelegram, visible_text
from running_bot import TOKEN, RunningBot
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.storage.database import make_engine
from bot.storage.migrations import config, upgrade
from bot.storage.schema import assignments
from bot.storage.store import Store

ADMIN = Sender("telegram", "1", "Admin")
ANN = Sender("telegram", "1001", "Ann")


def test_only_silent_assigned_commitments_are_named(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12", "C13")
    desk.respond("/update C12 进行中 第一条", None, ANN)
    clock.advance(days=20)
    desk.respond("/update C13 进行中 第二条", None, ANN)
    clock.advance(days=11)
    (reminder,) = desk.reminders.claim_due("telegram")
    assert reminder.user.external_id == "1001"
    text = reminder.reply.plain()
    assert "C12" in text and "C13" not in text
    assert [b.action for row in reminder.reply.buttons for b in row] == ["update:C12"]
    assert desk.reminders.claim_due("telegram") == []  # claimed for today
    assert desk.reminders.claim_due("slack") == []


def test_reminders_and_briefings_agree_on_who_is_silent(desk: Assistant, clock) -> None:
    """Exactly `after` days without an update is silent for both (the briefing used to wait
    one day longer than the reminder)."""
    from bot.briefing import summary

    make_focal_point(desk, ANN, "C12")
    desk.respond("/update C12 进行中 第一条", None, ANN)
    clock.advance(days=30)
    (reminder,) = desk.reminders.claim_due("telegram")
    assert "C12" in reminder.reply.plain()
    stale = {c for a in summary.build(desk.store, desk.catalogue, stale_days=30).areas
             for c, *_ in a.stale}
    assert "C12" in stale
    assert "C12" not in {c for a in summary.build(desk.store, desk.catalogue, stale_days=31).areas
                         for c, *_ in a.stale}


def test_frequency_and_opt_out(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(days=31)
    assert len(desk.reminders.claim_due("telegram")) == 1
    clock.advance(days=3)
    assert desk.reminders.claim_due("telegram") == []  # weekly
    clock.advance(days=4)
    assert len(desk.reminders.claim_due("telegram")) == 1
    assert "每月" in desk.respond("/remind monthly", None, ANN).heading
    clock.advance(days=8)
    assert desk.reminders.claim_due("telegram") == []
    assert "已关闭" in desk.respond("/remind off", None, ANN).heading
    clock.advance(days=60)
    assert desk.reminders.claim_due("telegram") == []
    assert "不是提醒设置" in desk.respond("/remind sometimes", None, ANN).plain()
    assert "只有登记的联络人" in desk.respond("/remind on", None, Sender("telegram", "9")).plain()


def test_two_replicas_send_one_reminder(desk: Assistant, store: Store, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(days=31)
    other = Assistant(desk.catalogue, desk.index, store=Store(store.engine, clock=clock))
    assert len(desk.reminders.claim_due("telegram") + other.reminders.claim_due("telegram")) == 1


def test_overdue_for_admins_and_the_one_tap_update(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(days=31)
    overdue = desk.respond("/overdue", None, ADMIN).plain()
    assert "Ann" in overdue and "C12" in overdue
    assert "只有管理员" in desk.respond("/overdue", None, ANN).plain()
    assert "第 2/4 步" in desk.press("update:C12", None, ANN).heading
    assert "继续你的进展草稿" in desk.respond("/update C13", None, ANN).heading  # kept
    desk.respond("/cancel", None, ANN)
    assert "C20 没有分配给你" in desk.respond("/update C20", None, ANN).plain()


def test_the_job_queue_sends_reminders(assistant: Assistant, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'a4p.sqlite3'}")
    desk = assistant.with_store(store, frozenset({"telegram:1"}), remind_after_days=0)
    make_focal_point(desk, ANN, "C12")
    with FakeTelegram(token=TOKEN) as fake, RunningBot(
            fake, desk, settings={"a4p_reminder_interval": 0.2}):
        (call,) = [c for c in fake.wait_for("sendMessage", timeout=15)
                   if str(c.params["chat_id"]) == "1001"]
    shown = visible_text(call.params["text"], call.params.get("parse_mode"))
    assert "进展提醒" in shown and "C12" in shown
    assert "update:C12" in str(call.params["reply_markup"])
    store.close()


def test_a_focal_point_registered_from_an_english_app_is_reminded_in_english(
        desk: Assistant, clock) -> None:
    english = Sender("telegram", "1002", "Eve", language="en-GB")
    make_focal_point(desk, english, "C12")
    clock.advance(days=31)
    (reminder,) = desk.reminders.claim_due("telegram")
    assert "Eve" in reminder.reply.heading
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in reminder.reply.heading)


def test_silence_counts_from_the_assignment(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(minutes=1)
    assert "C12" not in desk.respond("/overdue", None, ADMIN).plain()
    assert desk.reminders.round("telegram") == []
    clock.advance(days=29)
    assert desk.reminders.round("telegram") == []
    clock.advance(days=1)
    overdue = desk.respond("/overdue", None, ADMIN).plain()
    assert "Ann" in overdue and "C12" in overdue
    (reminder,) = desk.reminders.round("telegram")
    assert "C12" in reminder.reply.plain()


def test_a_new_owner_is_not_blamed_for_the_silence_before_them(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    desk.respond("/update C12 进行中 开始", None, ANN)
    clock.advance(days=60)
    make_focal_point(desk, Sender("telegram", "1002", "Bob"), "C12", "C13")
    overdue = desk.respond("/overdue", None, ADMIN).plain()
    assert "Ann" in overdue and "Bob" not in overdue
    assert [r.user.name for r in desk.reminders.round("telegram")] == ["Ann"]
    stale = _every_page(desk, "/stale 30")
    assert "C12 " in stale and "C13 " not in stale  # C12 had Ann for 60 days; C13 is new
    clock.advance(days=31)
    assert "C13 " in _every_page(desk, "/stale 30")


def _every_page(desk: Assistant, command: str) -> str:
    """A paged reply read to its end through its "more" buttons."""
    reply = desk.respond(command, None, ADMIN)
    pages = [reply.plain()]
    while more := [b for row in reply.buttons for b in row if b.action.startswith("more:")
                   and int(b.action.split(":")[1]) > len(pages)]:
        reply = desk.press(more[0].action, None, ADMIN)
        pages.append(reply.plain())
    return "\n".join(pages)


@pytest.fixture(params=["sqlite", "postgresql"])
def before_0011(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at the revision before `assigned_at` existed."""
    from alembic.script import ScriptDirectory
    from conftest import postgres_schema

    def migrated(url: str) -> Engine:
        engine = make_engine(url)
        previous = ScriptDirectory.from_config(config(engine)).get_revision("0011").down_revision
        upgrade(engine, str(previous))
        return engine

    if request.param == "sqlite":
        engine = migrated(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        yield engine
        engine.dispose()
        return
    with postgres_schema() as url:
        engine = migrated(url)
        yield engine
        engine.dispose()


def test_assignments_made_before_0011_are_dated_by_the_audit_log(
        assistant: Assistant, before_0011: Engine, clock) -> None:
    store = Store(before_0011, clock=clock)
    ann = store.users.get_or_create("telegram", "1001", "Ann")
    store.users.set_role(ann.id, "focal_point", by=None)
    with store.write() as connection:  # what `assign` wrote before 0011: no time on the row
        connection.execute(insert(assignments), [{"user_id": ann.id, "commitment_id": c}
                                                 for c in ("C12", "C13")])
        store.append_audit(connection, None, "assign", f"U{ann.id}", commitments=["C12"])
    assigned = clock.now
    clock.advance(days=10)
    upgrade(before_0011)
    assert store.assignments.held(ann.id) == {"C12": assigned, "C13": None}
    desk = assistant.with_store(store, frozenset({"telegram:1"}))
    overdue = desk.respond("/overdue", None, ADMIN).plain()
    assert "C13" in overdue and "C12" not in overdue  # C13: undated, counted as before
