"""Reminders on both databases: only the owners of silent commitments, only those items, at
most as often as they chose, once across replicas — and sent by the Telegram JobQueue."""

from __future__ import annotations

from pathlib import Path

from fake_telegram import FakeTelegram, visible_text
from running_bot import TOKEN, RunningBot

from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.storage.store import Store

ADMIN = Sender("telegram", "1", "Admin")
ANN = Sender("telegram", "1001", "Ann")


def make_focal_point(desk: Assistant, sender: Sender, *commitments: str) -> int:
    code = desk.respond("/invite focal_point", None, ADMIN).body[0]
    reply = desk.respond(f"/register {code}", None, sender).plain()
    assert "登记成功" in reply or "Registered" in reply
    user_id = desk.access.user(sender).id
    desk.respond(f"/assign {user_id} {' '.join(commitments)}", None, ADMIN)
    return user_id


def test_only_silent_assigned_commitments_are_named(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12", "C13")
    desk.respond("/update C12 进行中 第一条", None, ANN)
    clock.advance(days=20)
    desk.respond("/update C13 进行中 第二条", None, ANN)
    clock.advance(days=11)
    (reminder,) = desk.reminders.due("telegram")
    assert reminder.user.external_id == "1001"
    text = reminder.reply.plain()
    assert "C12" in text and "C13" not in text
    assert [b.action for row in reminder.reply.buttons for b in row] == ["update:C12"]
    assert desk.reminders.due("telegram") == []  # claimed for today
    assert desk.reminders.due("slack") == []


def test_frequency_and_opt_out(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(days=31)
    assert len(desk.reminders.due("telegram")) == 1
    clock.advance(days=3)
    assert desk.reminders.due("telegram") == []  # weekly
    clock.advance(days=4)
    assert len(desk.reminders.due("telegram")) == 1
    assert "每月" in desk.respond("/remind monthly", None, ANN).heading
    clock.advance(days=8)
    assert desk.reminders.due("telegram") == []
    assert "已关闭" in desk.respond("/remind off", None, ANN).heading
    clock.advance(days=60)
    assert desk.reminders.due("telegram") == []
    assert "不是提醒设置" in desk.respond("/remind sometimes", None, ANN).plain()
    assert "只有登记的联络人" in desk.respond("/remind on", None, Sender("telegram", "9")).plain()


def test_two_replicas_send_one_reminder(desk: Assistant, store: Store, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    clock.advance(days=31)
    other = Assistant(desk.catalogue, desk.index, store=Store(store.engine, clock=clock))
    assert len(desk.reminders.due("telegram") + other.reminders.due("telegram")) == 1


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
    (reminder,) = desk.reminders.due("telegram")
    assert "Eve" in reminder.reply.heading
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in reminder.reply.heading)
