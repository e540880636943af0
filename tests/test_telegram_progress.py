"""Focal points in Telegram, end to end: the real Application polling FakeTelegram, a real
SQLite store underneath — registration by deep link, /update, redelivery, undo, escaping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram
from running_bot import TOKEN, RunningBot, answer, shown

from bot.conversation.assistant import Assistant
from bot.storage.store import Store

ADMIN, ANN, BOB = 1, 1001, 1002


@pytest.fixture(scope="module")
def module_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("db") / "a4p.sqlite3"
    opened = Store.open(f"sqlite:///{path}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def bot(tg: FakeTelegram, assistant: Assistant, module_store: Store) -> Iterator[RunningBot]:
    with RunningBot(tg, assistant.with_store(module_store, frozenset({f"telegram:{ADMIN}"}))) as running:
        tg.wait_for("getUpdates")
        yield running


def say(tg: FakeTelegram, text: str, user_id: int) -> str:
    return answer(tg, text, user_id=user_id, first_name=f"User{user_id}")


@pytest.fixture(scope="module")
def ann_is_focal_point(bot: RunningBot, tg: FakeTelegram, module_store: Store) -> int:
    invite = say(tg, "/invite focal_point 1 7", ADMIN)
    code = invite.splitlines()[1]
    assert "登记成功" in say(tg, f"/start reg-{code}", ANN)
    ann = module_store.users.get_or_create("telegram", str(ANN))
    assert "已把 C12" in say(tg, f"/assign {ann.id} C12", ADMIN)
    return ann.id


def test_invites_carry_a_one_tap_deep_link(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    invite = say(tg, "/invite focal_point 1 7", ADMIN)
    code = invite.splitlines()[1]
    link = f"https://t.me/{tg.bot_username}?start=reg-{code}"
    assert link in invite
    assert "登记成功" in say(tg, f"/start reg-{code}", 2002)  # what opening the link sends


def test_a_used_code_does_not_work_twice(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    invite = say(tg, "/invite focal_point 1 7", ADMIN)
    code = invite.splitlines()[1]
    assert "登记成功" in say(tg, f"/register {code}", 2001)
    assert "无效或已过期" in say(tg, f"/register {code}", BOB)


def test_update_is_stored_once_even_when_the_message_comes_again(
        ann_is_focal_point: int, tg: FakeTelegram, module_store: Store) -> None:
    before = len(module_store.updates.where())
    count = len(tg.calls_to("sendMessage"))
    delivered = tg.message("/update C12 进行中 女性警官比例升至18%", user_id=ANN)
    (first,) = tg.wait_for("sendMessage", count + 1)[count:]
    assert "已记录进展" in shown(first)
    # The client re-sends the same message (same chat and message id, a new update id).
    tg.push_update({"update_id": None, "message": delivered["message"]})
    (again,) = tg.wait_for("sendMessage", count + 2)[count + 1:]
    assert "此前已记录" in shown(again)
    assert len(module_store.updates.where()) == before + 1


def test_undo_button_asks_withdraws_and_can_be_undone_in_place(
        ann_is_focal_point: int, tg: FakeTelegram, module_store: Store) -> None:
    assert "已记录进展" in say(tg, "/update C12 已完成 培训全部结束", ANN)
    number = module_store.updates.where()[0].id
    assert f"确定撤回进展 #{number}？" in _press(tg, ANN, f"withdraw:{number}")
    assert module_store.updates.get(number).withdrawn_at is None  # asked, nothing done
    assert "10 分钟内" in _press(tg, ANN, f"withdraw_yes:{number}")
    assert all(u.text != "培训全部结束" for u in module_store.updates.where())
    assert f"已恢复进展 #{number}" in _press(tg, ANN, f"restore:{number}")
    assert module_store.updates.get(number).withdrawn_at is None


def test_the_preview_changes_the_status_in_place(ann_is_focal_point: int, tg: FakeTelegram,
                                                 module_store: Store) -> None:
    assert "第 3/4 步" in say(tg, "/update C12 进行中", ANN)
    assert "第 4/4 步" in say(tg, "女性警官培训班开课", ANN)
    assert "请确认" in _press(tg, ANN, "draft:m:none")
    assert "当前状态：进行中" in _press(tg, ANN, "draft:edit:status")
    preview = _press(tg, ANN, "draft:s:blocked")
    assert "状态：受阻" in preview and "女性警官培训班开课" in preview
    assert "已记录进展" in _press(tg, ANN, "draft:confirm")
    latest = module_store.updates.where()[0]
    assert (latest.status, latest.text) == ("blocked", "女性警官培训班开课")


def test_someone_elses_undo_button_does_nothing(ann_is_focal_point: int, tg: FakeTelegram,
                                               module_store: Store) -> None:
    assert "已记录进展" in say(tg, "/update C12 进行中 第二阶段", ANN)
    update_id = module_store.updates.where()[0].id
    card = max(tg.sent_messages(ANN), key=lambda m: m["message_id"])
    edits = len(tg.calls_to("editMessageText"))
    tg.callback(f"withdraw:{update_id}", message=card, user_id=BOB)
    (edit,) = tg.wait_for("editMessageText", edits + 1)[edits:]
    assert "只能修改或撤回自己" in shown(edit)
    assert module_store.updates.get(update_id).withdrawn_at is None


def test_stored_html_reaches_other_users_as_text(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    hostile = '<a href="http://evil">点我</a></b>'
    assert "已记录进展" in say(tg, f"/update C12 受阻 {hostile}", ANN)
    call_count = len(tg.calls_to("sendMessage"))
    tg.message("/updates C12", user_id=BOB)
    (call,) = tg.wait_for("sendMessage", call_count + 1)[call_count:]
    assert hostile in shown(call)  # FakeTelegram parses the HTML: escaped text survives intact
    assert "&lt;a href" in call.params["text"]


def test_readers_see_progress_but_cannot_submit(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    assert "只有登记的联络人" in say(tg, "/update C12 进行中 路人", BOB)
    progress = say(tg, "/progress", BOB)
    assert progress.startswith("各优先领域进展") and progress.count("项有进展") == 8


def _press(tg: FakeTelegram, user_id: int, data: str) -> str:
    """Press the button `data` on the newest message the bot sent to `user_id`."""
    card = max(tg.sent_messages(user_id), key=lambda m: m["message_id"])
    offered = [b["callback_data"] for row in card.get("reply_markup", {}).get("inline_keyboard", [])
               for b in row]
    assert data in offered, offered
    edits = len(tg.calls_to("editMessageText"))
    tg.callback(data, message=card, user_id=user_id)
    (edit,) = tg.wait_for("editMessageText", edits + 1)[edits:]
    return shown(edit)


def test_step_by_step_update_survives_a_restart(assistant: Assistant, tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'a4p.sqlite3'}")
    desk = assistant.with_store(store, frozenset({f"telegram:{ANN}"}))  # Ann may update anything
    with FakeTelegram(token=TOKEN) as fake:
        with RunningBot(fake, desk):
            fake.wait_for("getUpdates")
            assert "第 1/4 步" in say(fake, "/update", ANN)
            assert "是这一项吗" in say(fake, "女性维和人员", ANN)
            card = max(fake.sent_messages(ANN), key=lambda m: m["message_id"])
            choice = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            assert "第 2/4 步" in _press(fake, ANN, choice)
        # The process stops between two steps; a new one (same database) carries on.
        with RunningBot(fake, assistant.with_store(store, frozenset({f"telegram:{ANN}"}))):
            assert "第 3/4 步" in _press(fake, ANN, "draft:s:in_progress")
            assert "第 4/4 步" in say(fake, "女性军警人员比例达到 18%", ANN)
            assert "请确认" in say(fake, "UNMISS", ANN)
            assert "已记录进展" in _press(fake, ANN, "draft:confirm")
    (stored,) = store.updates.where()
    assert (stored.status, stored.text, stored.mission) == ("in_progress", "女性军警人员比例达到 18%",
                                                            "UNMISS")
    store.close()


def test_admin_export_sends_csv_and_xlsx(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    before = len(tg.calls_to("sendDocument"))
    assert "导出进展" in say(tg, "/export", ADMIN)
    documents = tg.wait_for("sendDocument", before + 2)[before:]
    files = {c.params["document"]["filename"]: c.params["document"]["bytes"] for c in documents}
    csv_name = next(name for name in files if name.endswith(".csv"))
    assert any(name.endswith(".xlsx") for name in files)
    csv_text = files[csv_name].decode("utf-8-sig")
    assert csv_text.startswith("update_id,commitment_id,status,text") and ",C12," in csv_text
    assert "只有管理员" in say(tg, "/export", BOB)
    assert "YYYY-MM-DD" in say(tg, "/export last-week", ADMIN)


def test_fifty_concurrent_submitters_each_stored_exactly_once(assistant: Assistant,
                                                              db_url: str) -> None:
    """50 focal points submit at once through the real pipeline; every message comes twice."""
    store = Store.open(db_url)
    users = range(5000, 5050)
    desk = assistant.with_store(store, frozenset(f"telegram:{u}" for u in users))
    with FakeTelegram(token=TOKEN) as fake, RunningBot(fake, desk):
        fake.wait_for("getUpdates")
        sent = [fake.message(f"/update C{u % 45 + 1} 进行中 第 {u} 号的进展", user_id=u)
                for u in users]
        for update in sent:  # the client re-sends every message (new update id)
            fake.push_update({"update_id": None, "message": update["message"]})
        replies = fake.wait_for("sendMessage", 100, timeout=30)
    texts = sorted(u.text for u in store.updates.where())
    assert texts == sorted(f"第 {u} 号的进展" for u in users)
    headings = [shown(r).splitlines()[0] for r in replies]
    assert sum(h.startswith("已记录进展") for h in headings) == 50
    assert sum("此前已记录" in h for h in headings) == 50
    store.close()


def test_brief_sends_the_chart_as_a_photo(ann_is_focal_point: int, tg: FakeTelegram) -> None:
    before = len(tg.calls_to("sendPhoto"))
    assert say(tg, "/brief", BOB).startswith("A4P 进展简报")
    (photo,) = tg.wait_for("sendPhoto", before + 1)[before:]
    assert photo.params["photo"]["bytes"].startswith(b"\x89PNG")


def test_a_revoke_at_the_preview_refuses_the_confirm_and_keeps_the_draft(assistant: Assistant,
                                                                        db_url: str) -> None:
    store = Store.open(db_url)
    ann = store.users.get_or_create("telegram", str(ANN), f"User{ANN}")
    store.users.set_role(ann.id, "focal_point", by=None)
    store.assignments.add(ann.id, ["C12"], by=None)
    desk = assistant.with_store(store, frozenset({f"telegram:{ADMIN}"}))
    with FakeTelegram(token=TOKEN) as fake, RunningBot(fake, desk):
        fake.wait_for("getUpdates")
        assert "第 2/4 步" in say(fake, "/update C12", ANN)
        assert "第 3/4 步" in _press(fake, ANN, "draft:s:in_progress")
        assert "第 4/4 步" in say(fake, "培训已全部完成", ANN)
        assert "请确认" in _press(fake, ANN, "draft:m:none")
        assert "已撤销" in say(fake, f"/revoke {ann.id}", ADMIN)
        refused = _press(fake, ANN, "draft:confirm")  # the 确认提交 still on Ann's screen
    assert "只有登记的联络人" in refused and "草稿已保留" in refused
    assert store.updates.where() == []
    assert store.drafts.get(ann.id).data["text"] == "培训已全部完成"
    store.close()
