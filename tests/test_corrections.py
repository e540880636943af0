"""No dead ends for focal points (issue 14), through the Assistant and the console: partial
/update forms continue the flow, the preview changes any field, the keyword step offers the
user's own commitments, withdraw asks first and can be undone for a while, /edit previews
and offers to add to the text or replace it — in Chinese, English and French."""

from __future__ import annotations

import io

import pytest
from conftest import BOTH, actions, make_focal_point, sqlite_first
from interleave import when_writing

from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.conversation.replies import Reply
from bot.desk.progress import MAX_TEXT
from bot.storage.audit import check_rows, first_broken
from bot.transports.console import chat

ADMIN = Sender("telegram", "1", "Admin")
ANN = Sender("telegram", "42", "Ann")
BOB = Sender("telegram", "43", "Bob")


db_url = sqlite_first()  # PostgreSQL too for the tests marked @BOTH (the undo's write)


@pytest.fixture
def ann(desk: Assistant) -> Assistant:
    """Ann is a focal point for C12 and C13; Bob for C20."""
    make_focal_point(desk, ANN, "C12", "C13")
    make_focal_point(desk, BOB, "C20")
    return desk


def draft(desk: Assistant):
    return desk.store.drafts.get(desk.access.get_or_create_user(ANN).id)


def at_preview(ann: Assistant) -> Reply:
    ann.respond("/update C12 进行中", None, ANN)
    ann.respond("女性警官比例升至18%", None, ANN)
    preview = ann.respond("UNMISS", None, ANN)
    assert preview.heading == "请确认这条进展："
    return preview


def audit_intact(desk: Assistant) -> None:
    entries, update_rows, revision_rows = desk.store.audit_log.snapshot()
    assert first_broken(entries) is None
    assert check_rows(entries, update_rows, revision_rows).problems == []


# -- 1. the preview changes the status and the mission too --------------------------------

def test_the_preview_changes_status_and_mission_and_keeps_the_rest(ann: Assistant) -> None:
    preview = at_preview(ann)
    assert {"draft:edit:status", "draft:edit:text", "draft:edit:mission"} <= set(actions(preview))
    status_step = ann.press("draft:edit:status", None, ANN)
    assert "第 2/4 步" in status_step.heading and "当前状态：进行中" in status_step.plain()
    assert actions(status_step)[-2:] == ["draft:back", "draft:cancel"]
    preview = ann.press("draft:s:done", None, ANN)
    assert preview.heading == "请确认这条进展：" and "状态：已完成" in preview.plain()
    assert "女性警官比例升至18%" in preview.plain() and "任务区/单位：UNMISS" in preview.plain()
    mission_step = ann.press("draft:edit:mission", None, ANN)
    assert "第 4/4 步" in mission_step.heading and "任务区/单位：UNMISS" in mission_step.plain()
    preview = ann.respond("MINUSCA", None, ANN)  # typed, back to the preview
    assert "任务区/单位：MINUSCA" in preview.plain() and "状态：已完成" in preview.plain()
    ann.press("draft:edit:text", None, ANN)
    unchanged = ann.press("draft:back", None, ANN)  # back without changing anything
    assert unchanged.heading == "请确认这条进展：" and "女性警官比例升至18%" in unchanged.plain()
    assert ann.press("draft:confirm", None, ANN).heading.startswith("已记录进展 #")
    (stored,) = ann.store.updates.where()
    assert (stored.status, stored.mission, stored.text) == ("done", "MINUSCA", "女性警官比例升至18%")


def test_back_outside_an_edit_and_unknown_fields_are_polite(ann: Assistant) -> None:
    ann.respond("/update C12", None, ANN)
    stale = ann.press("draft:back", None, ANN)
    assert stale.heading.startswith("这个按钮已失效") and draft(ann).step == "status"
    at_preview_again = ann.press("draft:s:done", None, ANN)
    assert "第 3/4 步" in at_preview_again.heading
    ann.respond("说明", None, ANN)
    ann.press("draft:m:none", None, ANN)
    assert ann.press("draft:edit:commitment", None, ANN).heading.startswith("这个按钮已失效")
    assert draft(ann).step == "preview"


# -- 2. every partial /update continues the flow ------------------------------------------

@pytest.mark.parametrize("typed, step, data", [
    ("/update C12", "status", {"commitment": "C12"}),
    ("/update C12 进行中", "text", {"commitment": "C12", "status": "in_progress"}),
    ("/update C12 搞定了", "text", {"commitment": "C12", "status": "done"}),
    ("/update C12 培训已完成", "status", {"commitment": "C12", "text": "培训已完成"}),
    ("/update 进行中", "commitment", {"status": "in_progress"}),
])
def test_a_partial_update_asks_for_the_rest(ann: Assistant, typed: str, step: str,
                                            data: dict[str, str]) -> None:
    reply = ann.respond(typed, None, ANN, "tg:42:1")
    assert draft(ann).step == step and draft(ann).data == data, reply.plain()
    assert "draft:cancel" in actions(reply)
    assert ann.store.updates.where() == []


def test_commitment_and_status_given_asks_the_text_then_goes_on(ann: Assistant) -> None:
    text_step = ann.respond("/update C12 进行中", None, ANN)
    assert "第 3/4 步" in text_step.heading
    assert "第 4/4 步" in ann.respond("培训已开始", None, ANN).heading


def test_a_text_given_without_a_status_is_kept_past_the_status_step(ann: Assistant) -> None:
    status_step = ann.respond("/update C13 培训已完成", None, ANN)
    assert "第 2/4 步" in status_step.heading and "当前说明：培训已完成" in status_step.plain()
    assert "第 4/4 步" in ann.press("draft:s:done", None, ANN).heading  # the text is there


def test_a_status_alone_asks_the_commitment_then_the_text(ann: Assistant) -> None:
    assert "第 1/4 步" in ann.respond("/update 已完成", None, ANN).heading
    assert "第 3/4 步" in ann.press("draft:c:C13", None, ANN).heading


def test_words_after_update_are_read_by_the_commitment_step(ann: Assistant) -> None:
    proposals = ann.respond("/update 女性维和人员", None, ANN)
    assert proposals.heading == "你负责的承诺里，是这一项吗？请点选："
    assert actions(proposals)[0] == "draft:c:C12"


def test_wrong_or_foreign_commitments_are_refused_with_a_way_on(ann: Assistant) -> None:
    missing = ann.respond("/update C99 进行中", None, ANN)
    assert "C99" in missing.plain() and "用法" in missing.plain()
    foreign = ann.respond("/update C20 进行中", None, ANN)
    assert "C20 没有分配给你" in foreign.plain() and "/assign" in foreign.plain()
    assert actions(foreign)[:2] == ["draft:c:C12", "draft:c:C13"]  # her own, one tap away
    assert draft(ann).step == "commitment"


def test_a_partial_form_with_a_draft_under_way_resumes_it_and_says_how_to_start_over(
        ann: Assistant) -> None:
    ann.respond("/update C12", None, ANN)
    ann.press("draft:s:done", None, ANN)
    resumed = ann.respond("/update C13 进行中", None, ANN)
    assert "继续你的进展草稿 — 第 3/4 步" in resumed.heading and "/cancel" in resumed.plain()
    assert draft(ann).data["commitment"] == "C12"


def test_the_full_form_is_still_stored_at_once(ann: Assistant) -> None:
    assert "已记录进展" in ann.respond("/update C12 进行中 培训已开始", None, ANN, "k1").heading
    assert draft(ann) is None


# -- 3. the keyword step offers the user's own commitments --------------------------------

def test_keywords_offer_own_commitments_and_name_the_others_with_the_way_to_get_them(
        ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    reply = ann.respond("保护平民", None, ANN)  # C13 is Ann's; C14, C15 … are not
    assert reply.heading == "你负责的承诺里，是这一项吗？请点选："
    offered = [a for a in actions(reply) if a.startswith("draft:c:")]
    assert offered == ["draft:c:C13"]
    assert "也相关，但没有分配给你：" in reply.plain() and "/assign" in reply.plain()
    assert "C13" not in reply.body[0]


def test_keywords_matching_none_of_yours_offer_yours(ann: Assistant) -> None:
    ann.respond("/update", None, BOB)
    reply = ann.respond("女性维和人员", None, BOB)  # C12 is Ann's, not Bob's
    assert reply.heading == "和“女性维和人员”相关的承诺都没有分配给你。"
    assert "C12" in reply.plain() and "/assign" in reply.plain()
    assert actions(reply) == ["draft:c:C20", "draft:cancel"]


def test_an_admin_is_offered_everything_unmarked(ann: Assistant) -> None:
    ann.respond("/update", None, ADMIN)
    reply = ann.respond("保护平民", None, ADMIN)
    assert reply.heading == "是这一项吗？请点选：" and reply.body == ()
    assert actions(reply)[:2] == ["draft:c:C13", "draft:c:C14"]  # not his, yet his to update


# -- 4. withdraw asks first, and can be undone for ten minutes ----------------------------

def _stored(ann: Assistant, text: str = "培训已开始") -> int:
    reply = ann.respond(f"/update C12 进行中 {text}", None, ANN, f"k:{text[:20]}")
    assert actions(reply) == [f"withdraw:{ann.store.updates.where()[0].id}"]
    return ann.store.updates.where()[0].id


@BOTH
def test_withdraw_asks_then_withdraws_then_undo_restores(ann: Assistant) -> None:
    number = _stored(ann)
    asked = ann.press(f"withdraw:{number}", None, ANN)
    assert asked.heading == f"确定撤回进展 #{number}？" and "培训已开始" in asked.plain()
    assert actions(asked) == [f"withdraw_yes:{number}", f"withdraw_no:{number}"]
    assert [b.label for row in asked.buttons for b in row] == ["✅ 确定撤回", "✖️ 不撤回"]
    assert ann.store.updates.get(number).withdrawn_at is None  # nothing yet
    done = ann.press(f"withdraw_yes:{number}", None, ANN)
    assert done.heading == f"已撤回进展 #{number}" and "10 分钟内" in done.plain()
    assert actions(done) == [f"restore:{number}"]
    assert ann.store.updates.where() == []
    again = ann.press(f"withdraw_yes:{number}", None, ANN)  # a double tap
    assert "已撤回" in again.heading and len(ann.store.audit_log.entries()) == \
        len([e for e in ann.store.audit_log.entries()])
    restored = ann.press(f"restore:{number}", None, ANN)
    assert restored.heading == f"已恢复进展 #{number}，它重新计入进展。"
    assert actions(restored) == [f"withdraw:{number}"]
    assert [u.id for u in ann.store.updates.where()] == [number]
    assert [e.action for e in ann.store.audit_log.entries()][-2:] == ["update.withdrawn",
                                                                  "update.restored"]
    audit_intact(ann)
    assert "没有被撤回" in ann.press(f"restore:{number}", None, ANN).heading


def test_keep_changes_nothing(ann: Assistant) -> None:
    number = _stored(ann)
    ann.press(f"withdraw:{number}", None, ANN)
    kept = ann.press(f"withdraw_no:{number}", None, ANN)
    assert kept.heading == f"没有撤回，进展 #{number} 保持不变。"
    assert actions(kept) == [f"withdraw:{number}"]
    assert ann.store.updates.get(number).withdrawn_at is None


def test_undo_after_ten_minutes_says_it_is_too_late_and_what_to_do(ann: Assistant,
                                                                    clock) -> None:
    number = _stored(ann)
    ann.press(f"withdraw_yes:{number}", None, ANN)
    clock.advance(minutes=11)
    late = ann.press(f"restore:{number}", None, ANN)
    assert "已超过 10 分钟" in late.heading and "/update C12" in late.plain()
    assert ann.store.updates.where() == []


def test_only_the_owner_or_an_admin_may_undo(ann: Assistant) -> None:
    number = _stored(ann)
    ann.press(f"withdraw_yes:{number}", None, ANN)
    assert "只能修改或撤回自己" in ann.press(f"restore:{number}", None, BOB).plain()
    assert ann.store.updates.where() == []
    assert "已恢复" in ann.press(f"restore:{number}", None, ADMIN).heading


@pytest.mark.parametrize("payload", ["restore:abc", "restore:999", "withdraw_yes:", "withdraw_no:x"])
def test_forged_correction_buttons_are_answered(ann: Assistant, payload: str) -> None:
    assert ann.press(payload, None, ANN).heading


@BOTH
def test_an_undo_rechecks_rights_inside_the_write(ann: Assistant) -> None:
    number = _stored(ann)
    ann.press(f"withdraw_yes:{number}", None, ANN)
    ann_id = ann.access.get_or_create_user(ANN).id
    refused = when_writing(ann.store, lambda: ann.press(f"restore:{number}", None, ANN),
                           lambda: ann.respond(f"/revoke {ann_id}", None, ADMIN))
    assert "只有登记的联络人" in refused.plain()
    assert ann.store.updates.where() == []


# -- 5. /edit previews, and offers to add to the text or replace it -----------------------

def test_edit_previews_and_changes_nothing_until_chosen(ann: Assistant) -> None:
    number = _stored(ann, "第一阶段培训完成")
    preview = ann.respond(f"/edit {number} 补充：第二阶段下月开始", None, ANN)
    assert preview.heading == f"修改进展 #{number} — 请确认："
    assert "原文：第一阶段培训完成" in preview.plain() and "新写的：补充：第二阶段下月开始" in preview.plain()
    assert actions(preview) == ["draft:apply:add", "draft:apply:replace", "draft:cancel"]
    assert ann.store.updates.get(number).revision == 1
    added = ann.press("draft:apply:add", None, ANN)
    assert added.heading == f"已修改进展 #{number}（第 2 版）"
    assert ann.store.updates.get(number).text == "第一阶段培训完成\n补充：第二阶段下月开始"
    assert draft(ann) is None
    audit_intact(ann)


def test_edit_with_only_a_number_asks_for_the_text(ann: Assistant) -> None:
    number = _stored(ann, "第一阶段培训完成")
    asked = ann.respond(f"/edit {number}", None, ANN)
    assert asked.heading == f"修改进展 #{number}：请发送新的说明。"
    assert "原文：第一阶段培训完成" in asked.plain() and actions(asked) == ["draft:cancel"]
    preview = ann.respond("第二阶段下月开始", None, ANN)  # the typed text goes to the preview
    assert preview.heading == f"修改进展 #{number} — 请确认："
    assert actions(preview) == ["draft:apply:add", "draft:apply:replace", "draft:cancel"]
    assert ann.store.updates.get(number).revision == 1
    ann.press("draft:apply:replace", None, ANN)
    assert ann.store.updates.get(number).text == "第二阶段下月开始" and draft(ann) is None


def test_edit_add_marks_the_addition_and_replace_replaces(ann: Assistant) -> None:
    number = _stored(ann, "第一阶段培训完成")
    ann.respond(f"/edit {number} 已完成 第二阶段也完成了", None, ANN)
    ann.press("draft:apply:add", None, ANN)
    item = ann.store.updates.get(number)
    assert (item.text, item.status) == ("第一阶段培训完成\n补充：第二阶段也完成了", "done")
    preview = ann.respond(f"/edit {number} 全部培训完成", None, ANN)
    assert "状态" not in preview.plain()  # the status is not being changed
    ann.press("draft:apply:replace", None, ANN)
    assert ann.store.updates.get(number).text == "全部培训完成"
    assert ann.store.updates.get(number).revision == 3


def test_edit_of_the_status_alone_asks_to_apply(ann: Assistant) -> None:
    number = _stored(ann)
    preview = ann.respond(f"/edit {number} 受阻", None, ANN)
    assert "状态：进行中 → 受阻" in preview.plain()
    assert actions(preview) == ["draft:apply", "draft:cancel"]
    ann.press("draft:apply", None, ANN)
    assert ann.store.updates.get(number).status == "blocked"


def test_an_addition_too_long_leaves_only_replace(ann: Assistant) -> None:
    number = _stored(ann, "字" * (MAX_TEXT - 10))
    preview = ann.respond(f"/edit {number} 这一段补充超过了剩下的十个字", None, ANN)
    assert actions(preview) == ["draft:apply:replace", "draft:cancel"]
    assert f"超过 {MAX_TEXT} 字" in preview.plain()
    assert "超过" in ann.press("draft:apply:add", None, ANN).heading  # a forged/old button


def test_edit_cancel_keeps_the_update_and_brings_back_the_update_draft(ann: Assistant) -> None:
    number = _stored(ann)
    ann.respond("/update C13", None, ANN)
    ann.press("draft:s:done", None, ANN)  # an /update draft at the text step
    ann.respond(f"/edit {number} 新说明", None, ANN)
    cancelled = ann.respond("/cancel", None, ANN)
    assert cancelled.heading == f"未修改，进展 #{number} 保持原样。"
    assert "之前的进展草稿还在" in cancelled.plain()
    assert ann.store.updates.get(number).text == "培训已开始"
    assert draft(ann).step == "text" and draft(ann).data["commitment"] == "C13"
    assert "第 4/4 步" in ann.respond("第三项说明", None, ANN).heading


def test_edit_refused_inside_the_write_drops_the_edit(ann: Assistant, clock) -> None:
    number = _stored(ann)
    ann.respond(f"/edit {number} 新说明", None, ANN)
    clock.advance(hours=25)
    refused = ann.press("draft:apply:replace", None, ANN)
    assert "超过 24 小时" in refused.heading and draft(ann) is None
    assert ann.store.updates.get(number).text == "培训已开始"


# -- 6. the whole walk in the console, in three languages ---------------------------------

WALK = {
    "zh": ("/update C12 进行中", "已记录进展", "确定撤回进展", "已撤回进展", "已恢复进展",
           "补充：", "修改进展"),
    "en": ("/update C12 in progress", "recorded", "Withdraw update", "withdrawn",
           "restored", "Addendum: ", "Correcting update"),
    "fr": ("/update C12 en cours", "enregistrée", "Retirer la mise à jour", "retirée",
           "rétablie", "Complément : ", "Correction de la mise à jour"),
}


@pytest.mark.parametrize("language", ["zh", "en", "fr"])
def test_a_focal_point_walks_the_console_without_a_dead_end(ann: Assistant,
                                                           language: str) -> None:
    update, recorded, ask, withdrawn, restored, marker, editing = WALK[language]
    ann.store.users.set_mission(ann.access.get_or_create_user(ANN).id, "UNMISS")
    # Buttons are numbered: preview = [1] submit [2] status [3] text [4] mission [5] cancel;
    # status step = [1..4] statuses [5] back [6] cancel; mission step = [1] keep [2] blank …
    script = [f"/lang {language}", "/update", "1",  # step 1: C12 (her first) → status step
              "/cancel", update,                    # a partial form: straight to the text
              "Training started", "1",              # text, keep UNMISS → preview
              "2", "3",                             # change the status: done → preview
              "4", "2",                             # change the mission: blank → preview
              "1",                                  # submit → [1] undo
              "1", "1",                             # withdraw? yes → [1] undo the withdrawal
              "1",                                  # undo → restored, [1] withdraw
              "/myupdates", "/edit 1 Second phase next month", "1"]  # add to the text
    out = io.StringIO()
    assert chat(ann, io.StringIO("\n".join(script) + "\n"), out, sender=ANN) == 0
    shown = out.getvalue()
    for expected in (recorded, ask, withdrawn, restored, editing):
        assert expected in shown, (expected, shown)
    (stored,) = ann.store.updates.where()
    assert (stored.status, stored.mission) == ("done", "")
    assert stored.text == f"Training started\n{marker}Second phase next month"
    assert stored.revision == 2 and draft(ann) is None
    assert "⚠" not in shown and "Traceback" not in shown


def test_a_pending_edit_takes_no_text_and_is_recalled_later(ann: Assistant, clock) -> None:
    number = _stored(ann)
    ann.respond(f"/edit {number} 新说明", None, ANN)
    assert "C13" in ann.respond("保护平民", None, ANN).plain()  # a question stays a question
    clock.advance(minutes=31)
    later = ann.respond("保护平民", None, ANN).plain()
    assert f"你对进展 #{number} 的修改还没确认" in later
    assert f"修改进展 #{number}" in ann.respond("/update", None, ANN).heading
