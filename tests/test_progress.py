"""Focal-point flows through the core entry point (`Assistant.respond` / `press`) on both databases:
registration, roles, the /update fast path, corrections, views and the permission rules."""

from __future__ import annotations

import re
import threading

import pytest
from conftest import BOTH, make_focal_point, sqlite_first
from interleave import when_writing

from bot.desk.access import FAILURE_WINDOW, MAX_FAILURES
from bot.conversation.identity import Sender
from bot.conversation.assistant import Assistant
from bot.desk.progress import MAX_TEXT

db_url = sqlite_first()  # PostgreSQL too for the tests marked @BOTH


ADMIN = Sender("telegram", "1", "Admin")
ANN = Sender("telegram", "42", "Ann")
BOB = Sender("telegram", "43", "Bob")


def say(desk: Assistant, sender: Sender, text: str, key: str | None = None) -> str:
    reply = desk.respond(text, None, sender, key)
    return reply.plain()


def invite(desk: Assistant, args: str = "focal_point") -> str:
    reply = desk.respond(f"/invite {args}", None, ADMIN)
    return reply.body[0]


@BOTH
def test_admin_invites_and_a_user_registers(desk: Assistant) -> None:
    code = invite(desk, "focal_point 2 14")
    assert re.fullmatch(r"[A-HJKMNP-TW-Z2-9]{5}(-[A-HJKMNP-TW-Z2-9]{5}){2}", code)
    assert "读者" in say(desk, ANN, "/whoami")
    assert "联络人" in say(desk, ANN, f"/register {code}")
    assert "角色：联络人" in say(desk, ANN, "/whoami")


def test_deep_link_registers(desk: Assistant) -> None:
    assert "登记成功" in say(desk, ANN, f"/start reg-{invite(desk)}")


def test_readers_cannot_invite_or_submit(desk: Assistant) -> None:
    assert "只有管理员" in say(desk, ANN, "/invite focal_point")
    assert "只有登记的联络人" in say(desk, ANN, "/update C12 进行中 说明")
    assert desk.store.updates.where() == []


@pytest.mark.parametrize("args, problem", [
    ("boss", "角色"), ("focal_point many", "数字"), ("focal_point 0", "次数"),
    ("focal_point 1 365", "天数"),
])
def test_bad_invite_arguments_are_explained(desk: Assistant, args: str, problem: str) -> None:
    assert problem in say(desk, ADMIN, f"/invite {args}")


@BOTH
def test_wrong_codes_are_rate_limited(desk: Assistant, clock) -> None:
    for _ in range(MAX_FAILURES):
        assert "无效" in say(desk, ANN, "/register wrong-code-123")
        clock.advance(minutes=1)
    code = invite(desk)
    locked = say(desk, ANN, f"/register {code}")  # even a right one, for a while
    assert "尝试次数过多" in locked and "请 10 分钟后再试" in locked  # the oldest lapses then
    assert "读者" in say(desk, ANN, "/whoami")
    clock.advance(minutes=10, seconds=1)
    assert "登记成功" in say(desk, ANN, f"/register {code}")


def test_a_code_is_read_as_people_type_it(desk: Assistant) -> None:
    """Lower case, spaces instead of dashes: a phone's keyboard must not lock anyone out."""
    code = invite(desk)
    assert "登记成功" in say(desk, ANN, f"/register {code.lower().replace('-', ' ')}")


@BOTH
def test_fast_path_stores_and_offers_undo(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    reply = desk.respond("/update C12 进行中 本季度女性警官比例升至18%", None, ANN, "tg:42:1")
    assert reply.heading.startswith("已记录进展 #")
    assert "本季度女性警官比例升至18%" in reply.plain() and "进行中" in reply.plain()
    (undo,), = reply.buttons
    assert undo.action.startswith("withdraw:")
    (stored,) = desk.store.updates.where()
    assert (stored.commitment_id, stored.status, stored.user_name) == ("C12", "in_progress", "Ann")
    assert "确定撤回" in desk.press(undo.action, None, ANN).plain()  # asks first
    assert len(desk.store.updates.where()) == 1
    assert "已撤回" in desk.press(f"withdraw_yes:{stored.id}", None, ANN).plain()
    assert desk.store.updates.where() == []


@pytest.mark.parametrize("command", [
    "/update 12 in_progress 说明", "/update c12 進行中 说明", "/update C12 进行中：说明",
    "/update 十二 进行中 说明", "/update 第十二项 进行中 说明",
    "/update C12 doing-nothing 说明",
])
def test_fast_path_accepts_the_forms_people_type(desk: Assistant, command: str) -> None:
    make_focal_point(desk, ANN, "C12")
    reply = say(desk, ANN, command)
    if "doing-nothing" in command:  # no status word: the status step, the text kept
        assert "第 2/4 步" in reply and "当前说明：doing-nothing 说明" in reply
    else:
        assert "已记录进展" in reply and desk.store.updates.where()[0].text == "说明"


@BOTH
def test_redelivered_message_stores_one_update(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    first = say(desk, ANN, "/update C12 已完成 培训结束", key="tg:42:7")
    second = say(desk, ANN, "/update C12 已完成 培训结束", key="tg:42:7")
    assert "已记录进展" in first and "此前已记录" in second
    assert len(desk.store.updates.where()) == 1


def test_too_long_text_is_refused_with_the_count_and_given_back(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    text = "进" * (MAX_TEXT + 1)
    reply = say(desk, ANN, f"/update C12 进行中 {text}")
    assert f"{MAX_TEXT + 1} 字" in reply and text in reply
    assert desk.store.updates.where() == []


def test_focal_points_update_only_their_commitments(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12", "C13")
    reply = say(desk, ANN, "/update C20 进行中 说明")
    assert "C20 没有分配给你" in reply and "C12、C13" in reply
    assert "已记录进展" in say(desk, ADMIN, "/update C20 进行中 管理员可以更新任何承诺")


@BOTH
def test_users_edit_only_their_own_updates_within_a_day(desk: Assistant, clock) -> None:
    make_focal_point(desk, ANN, "C12")
    make_focal_point(desk, BOB, "C12")
    say(desk, ANN, "/update C12 进行中 初稿")
    update_id = desk.store.updates.where()[0].id
    assert "只能修改或撤回自己" in say(desk, BOB, f"/edit {update_id} 改别人的")
    assert "请确认" in say(desk, ANN, f"/edit {update_id} 已完成 定稿")
    assert "第 2 版" in desk.press("draft:apply:replace", None, ANN).heading
    clock.advance(hours=25)
    assert "超过 24 小时" in say(desk, ANN, f"/edit {update_id} 再改")
    assert [r["text"] for r in desk.store.updates.revisions(update_id)] == ["初稿", "定稿"]


def test_mission_is_remembered_for_the_next_update(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    assert "提示：发送 /mission" in say(desk, ANN, "/update C12 进行中 一")
    assert "UNMISS" in say(desk, ANN, "/mission UNMISS")
    assert "Ann（UNMISS）" in say(desk, ANN, "/update C12 进行中 二")


@BOTH
def test_views_show_latest_updates_and_counts(desk: Assistant, clock) -> None:
    area = desk.catalogue.commitments["C12"].area
    first, second = (c.id for c in desk.catalogue.commitments_in(area)[:2])
    make_focal_point(desk, ANN, first, second)
    say(desk, ANN, f"/update {first} 进行中 第一条")
    clock.advance(days=1)
    say(desk, ANN, f"/update {first} 已完成 第二条")
    say(desk, ANN, f"/update {second} 受阻 第三条")
    updates = say(desk, BOB, f"/updates {first}")
    assert updates.index("第二条") < updates.index("第一条")
    progress = say(desk, BOB, "/progress")
    line = next(l for l in progress.splitlines() if l.startswith(area))
    assert "2/" in line and "已完成 1" in line and "受阻 1" in line and "2026-11-26" in line
    assert all("0/" in l for l in progress.splitlines()[1:] if not l.startswith(area))
    one_area = say(desk, BOB, f"/progress {area}")
    assert f"{first} " in one_area and "已完成（2026-11-26）" in one_area
    assert "#" in say(desk, ANN, "/myupdates") and "还没有提交" in say(desk, BOB, "/myupdates")


@pytest.mark.parametrize("command, problem", [
    ("/progress A9", "不是优先领域"), ("/updates C99", "不是承诺编号"), ("/updates", "承诺编号"),
    ("/assign 999 C12", "没有编号为 999"), ("/assign 1 C99", "不是承诺编号"), ("/revoke x", "用户编号"),
    ("/edit abc", "进展编号"), ("/register", "邀请码"),
])
def test_bad_arguments_get_a_polite_explanation(desk: Assistant, command: str, problem: str) -> None:
    assert problem in say(desk, ADMIN, command)


@BOTH
def test_revoke_makes_a_reader_and_keeps_their_updates(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    say(desk, ANN, "/update C12 进行中 说明")
    ann = desk.access.get_or_create_user(ANN)
    assert "已撤销" in say(desk, ADMIN, f"/revoke {ann.id}")
    assert "只有登记的联络人" in say(desk, ANN, "/update C12 进行中 再来")
    assert len(desk.store.updates.where()) == 1 and desk.store.assignments.commitments(ann.id) == []


def test_users_list_shows_roles_and_assignments(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    listing = say(desk, ADMIN, "/users")
    assert "Ann — 联络人" in listing and "负责 C12" in listing


def test_without_a_store_the_commands_say_so(assistant: Assistant) -> None:
    assert "没有启用" in assistant.respond("/progress", None, ANN).plain()


@BOTH
def test_linked_accounts_act_as_one_person(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    ann_on_slack = Sender("slack", "U42", "ann")
    assert "只有登记的联络人" in say(desk, ann_on_slack, "/update C12 进行中 来自 Slack")
    slack_id, main_id = desk.access.get_or_create_user(ann_on_slack).id, desk.access.get_or_create_user(ANN).id
    assert "无法关联" in say(desk, ADMIN, f"/link {slack_id} {slack_id}")
    assert "已关联" in say(desk, ADMIN, f"/link {slack_id} {main_id}")
    assert "已记录进展" in say(desk, ann_on_slack, "/update C12 进行中 来自 Slack")
    assert desk.store.updates.where()[0].user_id == main_id
    assert f"{slack_id}. ann — 关联到 {main_id}" in say(desk, ADMIN, "/users")
    assert "只有管理员" in say(desk, ANN, f"/link {slack_id} {main_id}")


@BOTH
def test_a_mission_owner_updates_any_commitment_for_that_mission_only(desk: Assistant) -> None:
    assert "登记成功" in say(desk, ANN, f"/register {invite(desk)}")
    ann = desk.access.get_or_create_user(ANN)
    assert "已把任务区 UNMISS" in say(desk, ADMIN, f"/assign {ann.id} mission UNMISS")
    assert "负责的任务区：UNMISS" in say(desk, ANN, "/whoami")
    assert "已记录进展" in say(desk, ANN, "/update C30 进行中 任务区内任何承诺都可以")
    assert desk.store.updates.where()[0].mission == "UNMISS"
    assert "你负责的任务区是：UNMISS" in say(desk, ANN, "/mission MINUSCA")
    assert "任务区 UNMISS" in say(desk, ADMIN, "/users")
    desk.respond("/update", None, ANN)
    desk.press("draft:c:C31", None, ANN)
    desk.press("draft:s:done", None, ANN)
    desk.respond("说明", None, ANN)
    assert "你负责的任务区是" in say(desk, ANN, "MINUSCA")
    assert "请确认" in desk.press("draft:m:keep", None, ANN).heading


@pytest.mark.parametrize("command", ["/update C99 进行中 说明", "/update X1 进行中 说明",
                                     "/update 0 done 说明"])
def test_a_bad_commitment_in_the_fast_path_is_explained(desk: Assistant, command: str) -> None:
    make_focal_point(desk, ANN, "C12")
    reply = say(desk, ANN, command)
    assert "不是承诺编号" in reply and "/update C12" in reply


# -- a revocation is never outrun: the rule is checked again inside every write ------------

CAROL = Sender("telegram", "44", "Carol")


def revoke(desk: Assistant, sender: Sender, by: Sender = ADMIN) -> None:
    assert "已撤销" in say(desk, by, f"/revoke {desk.access.get_or_create_user(sender).id}")


@BOTH
def test_a_revoke_committed_during_a_fast_update_refuses_it(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    refused = when_writing(desk.store, lambda: say(desk, ANN, "/update C12 进行中 抢在撤销之后", "tg:42:1"),
                           lambda: revoke(desk, ANN))
    assert "只有登记的联络人" in refused and desk.store.updates.where() == []


@pytest.mark.parametrize("command", ["/edit {id} 已完成 撤销后再改", "withdraw:{id}"])
def test_a_revoked_reader_can_no_longer_edit_or_withdraw(desk: Assistant, command: str) -> None:
    make_focal_point(desk, ANN, "C12")
    say(desk, ANN, "/update C12 进行中 初稿")
    (item,) = desk.store.updates.where()
    revoke(desk, ANN)
    action = command.format(id=item.id)
    reply = (desk.press(action, None, ANN) if action.startswith("withdraw:")
             else desk.respond(action, None, ANN)).plain()
    assert "只有登记的联络人可以修改或撤回进展" in reply
    (unchanged,) = desk.store.updates.where()
    assert (unchanged.revision, unchanged.text, unchanged.withdrawn_at) == (1, "初稿", None)


@BOTH
@pytest.mark.parametrize("command", ["/edit {id} 已完成 抢在撤销之后", "withdraw:{id}"])
def test_a_revoke_committed_during_an_edit_or_withdrawal_refuses_it(desk: Assistant,
                                                                    command: str) -> None:
    make_focal_point(desk, ANN, "C12")
    say(desk, ANN, "/update C12 进行中 初稿")
    (item,) = desk.store.updates.where()
    action = command.format(id=item.id)
    if action.startswith("/edit"):
        desk.respond(action, None, ANN)  # the preview; the write is the choice
    pressed = "draft:apply:replace" if action.startswith("/edit") else f"withdraw_yes:{item.id}"

    def step() -> str:
        return desk.press(pressed, None, ANN).plain()

    assert "修改或撤回" in when_writing(desk.store, step, lambda: revoke(desk, ANN))
    (unchanged,) = desk.store.updates.where()
    assert (unchanged.revision, unchanged.withdrawn_at) == (1, None)


def _second_admin(desk: Assistant) -> None:
    assert "管理员" in say(desk, CAROL, f"/register {invite(desk, 'admin')}")


@pytest.mark.parametrize("command", ["/invite focal_point", "/assign {ann} C13",
                                     "/assign {ann} mission UNMISS", "/revoke {ann}",
                                     "/link {slack} {ann}"])
def test_an_admin_revoked_meanwhile_can_no_longer_act(desk: Assistant, command: str) -> None:
    _second_admin(desk)
    make_focal_point(desk, ANN, "C12")
    slack = desk.access.get_or_create_user(Sender("slack", "U42", "ann")).id
    ann = desk.access.get_or_create_user(ANN).id
    before = desk.store.audit_log.entries()
    refused = when_writing(desk.store,
                           lambda: say(desk, CAROL, command.format(ann=ann, slack=slack)),
                           lambda: revoke(desk, CAROL))
    assert "只有管理员" in refused
    after = desk.store.audit_log.entries()
    assert [e.action for e in after[len(before):]] == ["role.set"]  # only the revocation
    assert desk.access.get_or_create_user(ANN).role == "focal_point" and desk.store.assignments.commitments(ann) == ["C12"]


def test_a_mission_change_refused_after_a_revoke(desk: Assistant) -> None:
    make_focal_point(desk, ANN, "C12")
    refused = when_writing(desk.store, lambda: say(desk, ANN, "/mission UNMISS"),
                           lambda: revoke(desk, ANN))
    assert "只有登记的联络人" in refused and desk.access.get_or_create_user(ANN).mission is None


@BOTH
def test_concurrent_wrong_codes_are_limited_to_the_allowance(desk: Assistant) -> None:
    """Twelve guesses at once: exactly MAX_FAILURES are evaluated, the rest are turned away."""
    desk.access.get_or_create_user(ANN)
    start = threading.Barrier(12)
    replies: list[str] = []

    def guess(n: int) -> None:
        start.wait()
        replies.append(say(desk, ANN, f"/register wrong-code-{n:03}"))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(replies) == 12
    assert sum("无效" in r for r in replies) == MAX_FAILURES
    assert sum("尝试次数过多" in r for r in replies) == 12 - MAX_FAILURES
    assert desk.store.invites.recent_failures(desk.access.get_or_create_user(ANN).id, FAILURE_WINDOW) == MAX_FAILURES


@pytest.mark.parametrize("days, expected", [("七天", 7), ("30 days", 30), ("三十", 30), ("14", 14)])
def test_stale_reads_days_as_people_write_them(desk: Assistant, days: str, expected: int) -> None:
    assert f"{expected}" in desk.respond(f"/stale {days}").heading
