"""The step-by-step /update through the core entry point, on SQLite and PostgreSQL: every step,
cancel, stale buttons, over-long text kept, restarts, abandonment and near-duplicates."""

from __future__ import annotations

import pytest
from conftest import BOTH, actions, make_focal_point, sqlite_first
from interleave import when_writing

from bot.conversation.identity import Sender
from bot.conversation.assistant import Assistant
from bot.desk.progress import MAX_TEXT
from bot.conversation.replies import Reply
from bot.storage.store import Store

db_url = sqlite_first()  # PostgreSQL too for the tests marked @BOTH


ADMIN = Sender("telegram", "1", "Admin")
ANN = Sender("telegram", "42", "Ann")


@pytest.fixture
def ann(desk: Assistant) -> Assistant:
    """Ann is a focal point for C12 and C13."""
    make_focal_point(desk, ANN, "C12", "C13")
    return desk


def test_every_step_by_buttons_and_text(ann: Assistant) -> None:
    step1 = ann.respond("/update", None, ANN)
    assert step1.heading.startswith("第 1/4 步") and actions(step1)[:2] == ["draft:c:C12", "draft:c:C13"]
    step2 = ann.press("draft:c:C12", None, ANN)
    assert "第 2/4 步" in step2.heading and "draft:s:in_progress" in actions(step2)
    step3 = ann.press("draft:s:in_progress", None, ANN)
    assert "第 3/4 步" in step3.heading
    step4 = ann.respond("本季度女性警官比例升至18%", None, ANN)
    assert "第 4/4 步" in step4.heading and actions(step4)[0] == "draft:m:none"
    preview = ann.respond("UNMISS", None, ANN)
    assert preview.heading == "请确认这条进展：" and "本季度女性警官比例升至18%" in preview.plain()
    done = ann.press("draft:confirm", None, ANN)
    assert done.heading.startswith("已记录进展 #")
    (stored,) = ann.store.updates.where()
    assert (stored.commitment_id, stored.status, stored.mission) == ("C12", "in_progress", "UNMISS")
    assert "已经提交或取消" in ann.press("draft:confirm", None, ANN).plain()  # double tap
    assert len(ann.store.updates.where()) == 1


def test_mission_is_offered_next_time(ann: Assistant) -> None:
    ann.store.users.set_mission(ann.access.get_or_create_user(ANN).id, "MINUSCA")
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C13", None, ANN)
    ann.press("draft:s:done", None, ANN)
    mission_step = ann.respond("完成了", None, ANN)
    assert "沿用：MINUSCA" in [b.label for row in mission_step.buttons for b in row]
    ann.press("draft:m:keep", None, ANN)
    ann.press("draft:confirm", None, ANN)
    assert ann.store.updates.where()[0].mission == "MINUSCA"


def test_commitment_by_number_or_by_words(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    assert "第 2/4 步" in ann.respond("13", None, ANN).heading
    ann.respond("/cancel", None, ANN)
    ann.respond("/update", None, ANN)
    proposals = ann.respond("保护平民", None, ANN)
    assert proposals.heading == "你负责的承诺里，是这一项吗？请点选："
    assert actions(proposals)[0].startswith("draft:c:C") and actions(proposals)[-1] == "draft:cancel"


def test_unassigned_commitment_is_refused_and_the_step_stays(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    assert "C20 没有分配给你" in ann.respond("C20", None, ANN).plain()
    assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == "commitment"


def test_overlong_text_is_refused_with_the_count_and_kept(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.press("draft:s:blocked", None, ANN)
    long_text = "字" * (MAX_TEXT + 20)
    reply = ann.respond(long_text, None, ANN).plain()
    assert f"{MAX_TEXT + 20} 字" in reply and long_text in reply
    draft = ann.store.drafts.get(ann.access.get_or_create_user(ANN).id)
    assert draft.step == "text" and draft.data["overlong"] == long_text
    assert "第 4/4 步" in ann.respond("精简后的说明", None, ANN).heading
    assert "overlong" not in ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).data


def test_cancel_works_at_every_step(ann: Assistant) -> None:
    moves = [lambda: None, lambda: ann.press("draft:c:C12", None, ANN),
             lambda: ann.press("draft:s:done", None, ANN), lambda: ann.respond("说明", None, ANN),
             lambda: ann.press("draft:m:none", None, ANN)]
    for depth in range(len(moves)):
        ann.respond("/update", None, ANN)
        for move in moves[:depth + 1]:
            move()
        assert "已取消" in ann.respond("/cancel", None, ANN).plain()
        assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id) is None
    assert "没有进行中" in ann.respond("/cancel", None, ANN).plain()
    assert ann.store.updates.where() == []


def test_edit_from_the_preview_returns_to_the_preview(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.press("draft:s:done", None, ANN)
    ann.respond("初稿", None, ANN)
    ann.press("draft:m:none", None, ANN)
    assert "当前说明：初稿" in ann.press("draft:edit", None, ANN).plain()
    preview = ann.respond("定稿", None, ANN)
    assert preview.heading == "请确认这条进展：" and "定稿" in preview.plain()


def test_a_stale_button_shows_the_current_step(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    stale = ann.press("draft:confirm", None, ANN)
    assert stale.heading.startswith("这个按钮已过期") and "第 2/4 步" in stale.heading
    assert ann.store.updates.where() == []


@BOTH
def test_a_restart_continues_the_draft(ann: Assistant, store: Store) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    restarted = Assistant(ann.catalogue, ann.index, store=store)  # a new process, same database
    assert "第 3/4 步" in restarted.press("draft:s:in_progress", None, ANN).heading
    assert "继续你的进展草稿" in restarted.respond("/update", None, ANN).heading


def test_an_abandoned_draft_stops_capturing_text_but_is_kept(ann: Assistant, clock) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.press("draft:s:in_progress", None, ANN)
    clock.advance(minutes=31)
    answer = ann.respond("保护平民", None, ANN)
    assert "C13" in answer.plain() and "未完成的进展草稿" in answer.plain()
    assert "继续你的进展草稿 — 第 3/4 步" in ann.respond("/update", None, ANN).heading


def test_near_duplicate_asks_to_amend(ann: Assistant) -> None:
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%", None, ANN, "tg:42:1")
    question = ann.respond("/update C12 进行中 本季度女性警官比例升至18％。", None, ANN, "tg:42:2")
    assert "相似的进展" in question.heading and "draft:amend" in actions(question)
    amended = ann.press("draft:amend", None, ANN)
    assert "第 2 版" in amended.heading
    assert len(ann.store.updates.where()) == 1


def test_near_duplicate_can_still_be_stored_as_new(ann: Assistant) -> None:
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%", None, ANN, "tg:42:1")
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%!", None, ANN, "tg:42:2")
    assert "已记录进展" in ann.press("draft:new", None, ANN).heading
    assert len(ann.store.updates.where()) == 2
    # The same message delivered again is recognised before any duplicate question.
    again = ann.respond("/update C12 进行中 本季度女性警官比例升至18%!", None, ANN, "tg:42:2")
    assert "此前已记录" in again.heading and len(ann.store.updates.where()) == 2


def test_console_chat_runs_the_same_flow(ann: Assistant) -> None:
    import io

    from bot.transports.console import chat

    out = io.StringIO()
    script = "/update\n1\n2\n培训已完成\n1\n1\n"  # C12 → 进行中 → text → 不填 → 确认
    assert chat(ann, io.StringIO(script), out, sender=ANN) == 0
    assert "已记录进展" in out.getvalue()
    assert ann.store.updates.where()[0].text == "培训已完成"


def test_a_locked_database_asks_to_retry_and_loses_nothing(assistant: Assistant, tmp_path) -> None:
    import sqlite3

    path = tmp_path / "a4p.sqlite3"
    store = Store.open(f"sqlite:///{path}", busy_timeout=0.2)
    desk = assistant.with_store(store, frozenset({"telegram:42"}))
    desk.respond("/update", None, ANN)
    desk.press("draft:c:C12", None, ANN)
    desk.press("draft:s:in_progress", None, ANN)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        fast = desk.respond("/update C13 进行中 快速通道的说明", None, ANN, "tg:42:9").plain()
        step = desk.respond("分步流程的说明", None, ANN).plain()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert "没有保存" in fast and "/update C13 进行中 快速通道的说明" in fast
    assert "没有保存" in step
    assert store.drafts.get(desk.access.get_or_create_user(ANN).id).step == "text"  # the draft is where it was
    assert "第 4/4 步" in desk.respond("分步流程的说明", None, ANN).heading
    assert "已记录进展" in desk.respond("/update C13 进行中 快速通道的说明", None, ANN, "tg:42:9").heading
    store.close()


# -- a revocation is never outrun: every write checks who may write, inside the write ------

def _at_preview(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.press("draft:s:in_progress", None, ANN)
    ann.respond("本季度女性警官比例升至18%", None, ANN)
    assert ann.press("draft:m:none", None, ANN).heading == "请确认这条进展："


def _revoke_ann(ann: Assistant) -> None:
    assert "已撤销" in ann.respond(f"/revoke {ann.access.get_or_create_user(ANN).id}", None, ADMIN).plain()


@BOTH
def test_a_revoke_committed_while_confirming_refuses_and_keeps_the_draft(ann: Assistant) -> None:
    _at_preview(ann)
    # Ann's press passes every early check; the admin's /revoke commits before her write.
    refused = when_writing(ann.store, lambda: ann.press("draft:confirm", None, ANN),
                           lambda: _revoke_ann(ann))
    assert "只有登记的联络人" in refused.plain() and "草稿已保留" in refused.plain()
    assert ann.store.updates.where() == []
    draft = ann.store.drafts.get(ann.access.get_or_create_user(ANN).id)
    assert draft.step == "preview" and draft.data["text"] == "本季度女性警官比例升至18%"


@BOTH
def test_a_revoke_committed_while_amending_refuses(ann: Assistant) -> None:
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%", None, ANN, "tg:42:1")
    assert "draft:amend" in actions(ann.respond("/update C12 进行中 本季度女性警官比例升至18％。",
                                                None, ANN, "tg:42:2"))
    refused = when_writing(ann.store, lambda: ann.press("draft:amend", None, ANN),
                           lambda: _revoke_ann(ann))
    assert "只有登记的联络人" in refused.plain() and "草稿已保留" in refused.plain()
    (kept,) = ann.store.updates.where()
    assert kept.revision == 1 and ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == "duplicate"


@pytest.mark.parametrize("action", ["draft:confirm", "draft:edit"])
def test_after_a_revoke_the_preview_buttons_refuse_politely(ann: Assistant, action: str) -> None:
    _at_preview(ann)
    _revoke_ann(ann)
    refused = ann.press(action, None, ANN).plain()
    assert "只有登记的联络人" in refused and "草稿已保留" in refused
    assert ann.store.updates.where() == []
    assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == "preview"


@pytest.mark.parametrize("action", ["draft:amend", "draft:new"])
def test_after_a_revoke_the_duplicate_buttons_refuse_politely(ann: Assistant, action: str) -> None:
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%", None, ANN, "tg:42:1")
    ann.respond("/update C12 进行中 本季度女性警官比例升至18%!", None, ANN, "tg:42:2")
    _revoke_ann(ann)
    assert "草稿已保留" in ann.press(action, None, ANN).plain()
    (only,) = ann.store.updates.where()
    assert only.revision == 1 and ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == "duplicate"


def test_a_revoked_users_text_is_answered_as_a_question_and_the_draft_waits(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.press("draft:s:in_progress", None, ANN)
    _revoke_ann(ann)
    answer = ann.respond("保护平民", None, ANN)
    assert "第 4/4 步" not in answer.plain() and "C13" in answer.plain()
    assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == "text"
    assert "已取消" in ann.respond("/cancel", None, ANN).plain()  # and it can still be dropped


def test_the_console_conversation_refuses_after_a_revoke(ann: Assistant) -> None:
    import io

    from bot.transports.console import chat

    class Keyboard(io.StringIO):
        """Ann types the flow up to the preview; the admin revokes her before she confirms."""

        def readline(self, *args: object) -> str:
            line = super().readline()
            if line and self.tell() == len(self.getvalue()):  # the last line: 确认提交
                _revoke_ann(ann)
            return line

    out = io.StringIO()
    script = "/update\n1\n2\n培训已完成\n1\n1\n"  # C12 → 进行中 → text → 不填 → 确认
    assert chat(ann, Keyboard(script), out, sender=ANN) == 0
    assert "草稿已保留" in out.getvalue() and "已记录进展" not in out.getvalue()
    assert ann.store.updates.where() == []


@BOTH
def test_a_revoke_committed_while_the_slack_form_is_stored_refuses_it(ann: Assistant) -> None:
    fields = {"commitment": "C12", "status": "done", "text": "培训全部完成", "mission": ""}
    errors = when_writing(ann.store, lambda: ann.flow.form(ANN, fields, "slack:view:V1"),
                          lambda: _revoke_ann(ann))
    assert "只有登记的联络人" in errors["commitment"] and ann.store.updates.where() == []


def test_a_mission_name_has_one_rule_wherever_it_is_typed(ann: Assistant) -> None:
    """/mission, /assign … mission, the flow's mission step and the Slack form: the same
    limit (the column's width) and the same spacing, so a name one accepts the others do."""
    from bot.storage.schema import MAX_MISSION

    spaced, longest, too_long = "UN   MISS", "M" * MAX_MISSION, "M" * (MAX_MISSION + 1)
    ann_id = ann.access.get_or_create_user(ANN).id
    assert f"最多 {MAX_MISSION} 个字符" in ann.respond(f"/mission {too_long}", None, ANN).plain()
    assert f"最多 {MAX_MISSION} 个字符" in ann.respond(f"/assign {ann_id} mission {too_long}",
                                                    None, ADMIN).plain()
    ann.respond(f"/mission {spaced}", None, ANN)
    assert ann.access.get_or_create_user(ANN).mission == "UN MISS"
    ann.respond("/update C12", None, ANN)
    ann.press("draft:s:done", None, ANN)
    ann.respond("培训全部完成", None, ANN)
    assert f"最多 {MAX_MISSION} 个字符" in ann.respond(too_long, None, ANN).plain()
    assert ann.store.drafts.get(ann_id).step == "mission"
    assert "任务区/单位：MINUSCA X" in ann.respond("MINUSCA    X", None, ANN).plain()
    fields = {"commitment": "C13", "status": "done", "text": "另一条", "mission": too_long}
    assert ann.flow.form(ANN, fields, "slack:view:V1") == {
        "mission": f"最多 {MAX_MISSION} 个字符。"}
    stored = ann.flow.form(ANN, {**fields, "mission": longest}, "slack:view:V2")
    assert isinstance(stored, Reply) and ann.store.updates.where()[0].mission == longest


def test_the_step_table_is_whole_and_the_form_has_every_field() -> None:
    """Each step leads to a step that exists, each button belongs to one step, and every
    field typed in the chat flow is a field of the Slack form, in the same order."""
    from bot.desk.drafts import FIELDS, STEPS, FormChoices
    from bot.transports.slack.blocks import form_values, update_modal

    for step in STEPS.values():
        assert step.next is None or step.next in STEPS
        assert (step.fills is None) == (step.next is None)  # typing steps lead on
    verbs = [verb for step in STEPS.values() for verb in step.buttons]
    assert len(verbs) == len(set(verbs)) and "cancel" not in verbs  # cancel: every step
    modal = update_modal(FormChoices((("C12", "C12"),), (("done", "完成"),), ""))
    assert [block["block_id"] for block in modal["blocks"]] == [f.name for f in FIELDS]
    assert list(form_values({"state": {"values": {}}})) == [f.name for f in FIELDS]


_TO_STEP = {"commitment": [], "status": ["/update C12"],
            "text": ["/update C12", "draft:s:done"],
            "mission": ["/update C12", "draft:s:done", "培训全部完成"]}


@pytest.mark.parametrize("name, typed", [
    ("commitment", "C20"), ("commitment", "C999"), ("status", "也许"),
    ("text", "字" * (MAX_TEXT + 1)), ("mission", "M" * 101)])
def test_the_chat_and_the_form_refuse_the_same_input(ann: Assistant, name: str, typed: str
                                                     ) -> None:
    """One rule per field: what the chat step will not take, the form will not either."""
    ann.respond("/update", None, ANN)
    for move in _TO_STEP[name]:
        if move.startswith("draft:"):
            ann.press(move, None, ANN)
        else:
            ann.respond(move, None, ANN)
    ann.respond(typed, None, ANN)
    assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).step == name  # the step stays
    fields = {"commitment": "C12", "status": "done", "text": "培训全部完成", "mission": "",
              name: typed}
    assert list(ann.flow.form(ANN, fields, "slack:view:V1")) == [name]
    assert ann.store.updates.where() == []


@pytest.mark.parametrize("said, status", [("搞定了", "done"), ("已经完成了", "done"),
                                          ("卡住了", "blocked"), ("还在弄", "in_progress"),
                                          ("done", "done"), ("en cours", "in_progress")])
def test_the_status_step_understands_how_people_say_it(ann: Assistant, said: str,
                                                      status: str) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    ann.respond(said, None, ANN)
    assert ann.store.drafts.get(ann.access.get_or_create_user(ANN).id).data["status"] == status


def test_a_wrong_word_keeps_the_step_buttons(ann: Assistant) -> None:
    ann.respond("/update", None, ANN)
    ann.press("draft:c:C12", None, ANN)
    wrong = ann.respond("差不多吧", None, ANN)
    assert "请点选状态按钮" in wrong.plain()
    assert "draft:s:done" in actions(wrong)  # the buttons are still there
    assert "draft:s:done" in actions(ann.respond("随便", None, ANN))
