"""The Slack bot end to end: the real bolt App built by `build_app`, served over HTTP by the
production WSGI server, its WebClient pointed at FakeSlack; tests send signed requests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qsl
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fake_slack import FakeSlack
from running_bot import free_port
from questions import COOPERATION, UNSURE

from bot.conversation.assistant import Assistant
from bot.settings import Settings
from bot.transports.slack.app import (COMMAND, EVENTS_PATH, build_app, make_server,
                                      run_until_closed)
from bot.storage.store import Store

ADMIN, ANN, BOB = "UADMIN", "UANN", "UBOB"
QUIET = 0.4


class RunningSlackBot:
    """The bot's HTTP endpoint in a thread; `post` sends a (signed) request to it."""

    def __init__(self, fake: FakeSlack, assistant: Assistant) -> None:
        settings = Settings(slack_bot_token=fake.bot_token, slack_signing_secret=fake.signing_secret,
                            slack_api_url=fake.base_url)
        self.fake = fake
        self.server = make_server(build_app(settings, assistant), "127.0.0.1", free_port())
        self.url = f"http://127.0.0.1:{self.server.effective_port}{EVENTS_PATH}"
        self.thread = threading.Thread(target=run_until_closed, args=(self.server,), daemon=True)

    def __enter__(self) -> RunningSlackBot:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.close()
        self.thread.join(timeout=5)

    def post(self, request: tuple[bytes, str], *, signed: bool = True,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        body, content_type = request
        all_headers = {"Content-Type": content_type, **(self.fake.sign(body) if signed else {}),
                       **(headers or {})}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.url, body, all_headers),
                                        timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture(scope="module")
def slack_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path_factory.mktemp('slack') / 'a4p.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def bot(fake: FakeSlack, assistant: Assistant, slack_store: Store) -> Iterator[RunningSlackBot]:
    with RunningSlackBot(fake, assistant.with_store(slack_store,
                                                    frozenset({f"slack:{ADMIN}"}))) as running:
        yield running


def texts(blocks: list[dict]) -> str:
    """Everything a person reads in a Block Kit message."""
    out = []
    for block in blocks:
        if block["type"] == "section":
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"]]
        elif block["type"] == "actions":
            out += [e["text"]["text"] for e in block["elements"]]
    return "\n".join(out)


def command(bot: RunningSlackBot, text: str, user_id: str = ANN, channel: str = "C1") -> dict:
    """Run `/a4p text` and return what the bot sent to the response URL."""
    before = len(bot.fake.calls_to("response_url"))
    status, _ = bot.post(bot.fake.slash_command(text, user_id=user_id, channel_id=channel))
    assert status == 200
    return bot.fake.wait_for("response_url", before + 1)[before].params


def test_slash_question_answers_the_asker_only(bot: RunningSlackBot) -> None:
    answer = command(bot, "保户平民")
    assert answer["response_type"] == "ephemeral"
    assert "承诺 C13" in texts(answer["blocks"])
    kinds = [b["type"] for b in answer["blocks"]]
    assert kinds[0] == "section" and "context" in kinds and kinds[-1] == "actions"


def test_share_posts_in_the_channel(bot: RunningSlackBot) -> None:
    answer = command(bot, "share C17")
    assert answer["response_type"] == "in_channel" and "承诺 C17" in texts(answer["blocks"])


@pytest.mark.parametrize("text, expected", [
    ("", "可用命令"), ("help", "可用命令"), ("areas", "八个优先领域"),
    ("progress A2", "A2"), ("我想知道火星上的天气", "没有找到答案"),
])
def test_slash_subcommands(bot: RunningSlackBot, text: str, expected: str) -> None:
    assert expected in texts(command(bot, text)["blocks"])


def test_mention_gets_a_block_kit_card_in_the_channel(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls_to("chat.postMessage"))
    assert bot.post(bot.fake.app_mention("<@UBOT> 女性维和人员太少", channel="C2"))[0] == 200
    (call,) = bot.fake.wait_for("chat.postMessage", before + 1)[before:]
    assert call.params["channel"] == "C2" and "承诺" in texts(call.params["blocks"])


def test_button_updates_the_message_in_place(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls_to("chat.postMessage"))
    bot.post(bot.fake.direct_message("保护平民", channel="D9"))
    (card,) = bot.fake.wait_for("chat.postMessage", before + 1)[before:]
    message = bot.fake.messages("D9")[-1]
    paragraph_button = next(e for b in message["blocks"] if b["type"] == "actions"
                            for e in b["elements"] if e["value"].startswith("P"))
    updates = len(bot.fake.calls_to("chat.update"))
    bot.post(bot.fake.block_actions(paragraph_button["action_id"], channel="D9", ts=message["ts"]))
    (update,) = bot.fake.wait_for("chat.update", updates + 1)[updates:]
    assert update.params["ts"] == message["ts"] and "宣言第" in texts(update.params["blocks"])
    assert len(bot.fake.calls_to("chat.postMessage")) == before + 1  # no new message
    assert card


def test_bad_signature_is_refused_and_nothing_happens(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls)
    request = bot.fake.slash_command("C17")
    status, _ = bot.post(request, signed=False, headers={
        "X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64})
    assert status == 401
    time.sleep(QUIET)
    assert len(bot.fake.calls) == before


def test_a_retried_event_is_answered_once(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls_to("chat.postMessage"))
    request = bot.fake.app_mention("<@UBOT> 第十段", channel="C3")
    assert bot.post(request)[0] == 200
    bot.fake.wait_for("chat.postMessage", before + 1)
    for retry in ("1", "2"):
        assert bot.post(request, headers={"X-Slack-Retry-Num": retry,
                                          "X-Slack-Retry-Reason": "http_timeout"})[0] == 200
    time.sleep(QUIET)
    assert len(bot.fake.calls_to("chat.postMessage")) == before + 1


@pytest.fixture(scope="module")
def ann_focal_point(bot: RunningSlackBot, slack_store: Store) -> int:
    code = texts(command(bot, "invite focal_point 1 7", user_id=ADMIN)["blocks"]).splitlines()[1]
    assert "登记成功" in texts(command(bot, f"register {code}", user_id=ANN)["blocks"])
    ann = slack_store.users.get_or_create("slack", ANN)
    assert "已把" in texts(command(bot, f"assign {ann.id} C12", user_id=ADMIN)["blocks"])
    return ann.id


def test_fast_path_update_from_slack(bot: RunningSlackBot, ann_focal_point: int,
                                     slack_store: Store) -> None:
    reply = command(bot, "update C12 进行中 <b>女性警官</b>比例升至18%")
    assert "已记录进展" in texts(reply["blocks"])
    assert "&lt;b&gt;女性警官&lt;/b&gt;" in texts(reply["blocks"])  # stored text shown as text
    stored = slack_store.updates.where(user_id=ann_focal_point)[0]
    assert stored.text == "<b>女性警官</b>比例升至18%"


def test_the_update_modal_validates_then_stores(bot: RunningSlackBot, ann_focal_point: int,
                                                slack_store: Store) -> None:
    opened = len(bot.fake.calls_to("views.open"))
    command_status, _ = bot.post(bot.fake.slash_command("update", user_id=ANN))
    assert command_status == 200
    view = bot.fake.wait_for("views.open", opened + 1)[opened].params["view"]
    options = [o["value"] for o in view["blocks"][0]["element"]["options"]]
    assert options == ["C12"]

    def submit(text: str) -> tuple[int, bytes]:
        return bot.post(bot.fake.view_submission({
            "commitment": {"commitment": {"type": "static_select",
                                          "selected_option": {"value": "C12"}}},
            "status": {"status": {"type": "static_select", "selected_option": {"value": "done"}}},
            "text": {"text": {"type": "plain_text_input", "value": text}},
            "mission": {"mission": {"type": "plain_text_input", "value": "UNMISS"}}},
            callback_id="a4p_update", user_id=ANN))

    before = len(slack_store.updates.where())
    status, body = submit("长" * 501)
    refusal = json.loads(body)
    assert status == 200 and refusal["response_action"] == "errors"
    assert "501" in refusal["errors"]["text"] and len(slack_store.updates.where()) == before
    dms = len(bot.fake.calls_to("chat.postMessage"))
    status, body = submit("培训全部完成，共 40 人参加")
    assert status == 200 and b"errors" not in body
    (dm,) = bot.fake.wait_for("chat.postMessage", dms + 1)[dms:]
    assert dm.params["channel"] == ANN and "已记录进展" in texts(dm.params["blocks"])
    newest = slack_store.updates.where()[0]
    assert (newest.status, newest.mission) == ("done", "UNMISS")


def test_readers_get_no_modal(bot: RunningSlackBot) -> None:
    opened = len(bot.fake.calls_to("views.open"))
    reply = command(bot, "update", user_id=BOB)
    assert "只有登记的联络人" in texts(reply["blocks"])
    assert len(bot.fake.calls_to("views.open")) == opened


def test_admin_export_is_uploaded(bot: RunningSlackBot, ann_focal_point: int) -> None:
    before = len(bot.fake.uploaded_files())
    assert "导出进展" in texts(command(bot, "export", user_id=ADMIN, channel="C9")["blocks"])
    deadline = time.monotonic() + 5
    while len(bot.fake.uploaded_files()) < before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    names = sorted(f.filename for f in bot.fake.uploaded_files()[before:])
    assert [n.rsplit(".", 1)[1] for n in names] == ["csv", "xlsx"]


def test_missing_settings_are_one_line_errors(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "A4P_DATA_DIR": str(tmp_path)}
    for extra, name in (({}, "SLACK_BOT_TOKEN"),
                        ({"SLACK_BOT_TOKEN": "xoxb-1-secret-value"}, "SLACK_SIGNING_SECRET"),
                        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN")):
        done = subprocess.run([sys.executable, "-m", "bot.cli", "slack"], env={**env, **extra},
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and name in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "secret-value" not in done.stderr


def test_manifest_matches_the_app() -> None:
    manifest = yaml.safe_load((Path(__file__).parent.parent / "slack/manifest.yml")
                              .read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == [COMMAND]
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == {"app_mention",
                                                                              "message.im"}
    urls = {manifest["settings"]["interactivity"]["request_url"],
            manifest["settings"]["event_subscriptions"]["request_url"],
            manifest["features"]["slash_commands"][0]["url"]}
    assert len(urls) == 1 and urls.pop().endswith(EVENTS_PATH)
    assert {"commands", "chat:write", "app_mentions:read", "im:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"])


def test_replies_follow_the_slack_locale(bot: RunningSlackBot) -> None:
    bot.fake.locales["UENGLISH"] = "en-US"
    assert "Commands" in texts(command(bot, "help", user_id="UENGLISH")["blocks"])
    assert "可用命令" in texts(command(bot, "help", user_id="UCHINESE")["blocks"])
    command(bot, "lang zh", user_id="UENGLISH")  # a stored choice beats the locale
    assert "可用命令" in texts(command(bot, "help", user_id="UENGLISH")["blocks"])
    assert "users:read" in (Path(__file__).parent.parent
                                           / "slack/manifest.yml").read_text()


def test_socket_mode_answers_a_slash_command(fake: FakeSlack, assistant: Assistant) -> None:
    from fake_slack_socket import FakeSocketMode

    from bot.transports.slack.app import socket_mode

    settings = Settings(slack_bot_token=fake.bot_token, slack_app_token=fake.app_token,
                        slack_api_url=fake.base_url)
    with FakeSocketMode() as socket:
        fake.socket_url = socket.url
        handler = socket_mode(build_app(settings, assistant), fake.app_token)
        handler.connect()
        try:
            socket.wait_connected()
            body, _ = fake.slash_command("C17", user_id="USOCKET")
            before = len(fake.calls_to("response_url"))
            envelope = socket.push("slash_commands", dict(parse_qsl(body.decode())))
            socket.wait_ack(envelope)
            answer = fake.wait_for("response_url", before + 1)[before].params
        finally:
            handler.close()
            fake.socket_url = ""
    assert "承诺 C17" in texts(answer["blocks"])


def test_slack_focal_points_get_their_reminders_by_dm(fake: FakeSlack, assistant: Assistant,
                                                      tmp_path: Path) -> None:
    from slack_sdk import WebClient

    from bot.conversation.identity import Sender
    from bot.transports.slack.app import start_reminders

    store = Store.open(f"sqlite:///{tmp_path / 'a4p.sqlite3'}")
    desk = assistant.with_store(store, frozenset({"slack:UBOSS"}), remind_after_days=0)
    code = desk.respond("/invite focal_point", None, Sender("slack", "UBOSS")).body[0]
    desk.respond(f"/register {code}", None, Sender("slack", "UREMIND"))
    desk.respond(f"/assign {desk.access.get_or_create_user(Sender('slack', 'UREMIND')).id} C12", None,
                 Sender("slack", "UBOSS"))
    before = len(fake.calls_to("chat.postMessage"))
    stop = start_reminders(desk, WebClient(token=fake.bot_token, base_url=fake.base_url), 0.2)
    try:
        calls = fake.wait_for("chat.postMessage", before + 1, timeout=10)[before:]
    finally:
        stop.set()
    (dm,) = [c for c in calls if c.params["channel"] == "UREMIND"]
    assert "C12" in texts(dm.params["blocks"])
    assert any(b["type"] == "actions" and b["elements"][0]["value"] == "update:C12"
               for b in dm.params["blocks"])
    store.close()


def test_a_reminder_that_cannot_be_delivered_does_not_stop_the_others(
        fake: FakeSlack, assistant: Assistant, tmp_path: Path) -> None:
    """Every reminder of a round is claimed before it is sent: a DM that fails (a user gone
    from the workspace) must not lose the ones after it until the next period."""
    from slack_sdk import WebClient

    from bot.conversation.identity import Sender
    from bot.transports.slack.app import start_reminders

    store = Store.open(f"sqlite:///{tmp_path / 'a4p.sqlite3'}")
    desk = assistant.with_store(store, frozenset({"slack:UBOSS"}), remind_after_days=0)
    for user in ("UGONE", "USTAYS"):  # UGONE's reminder comes first
        code = desk.respond("/invite focal_point", None, Sender("slack", "UBOSS")).body[0]
        desk.respond(f"/register {code}", None, Sender("slack", user))
        desk.respond(f"/assign {desk.access.get_or_create_user(Sender('slack', user)).id} C12", None,
                     Sender("slack", "UBOSS"))
    fake.unreachable.add("UGONE")
    stop = start_reminders(desk, WebClient(token=fake.bot_token, base_url=fake.base_url), 0.2)
    try:
        deadline = time.monotonic() + 10
        while not fake.messages("USTAYS") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        fake.unreachable.clear()
        store.close()
    assert "C12" in texts(fake.messages("USTAYS")[0]["blocks"])


def test_did_you_mean_buttons_open_the_chosen_card_in_place(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls_to("chat.postMessage"))
    bot.post(bot.fake.direct_message(UNSURE, channel="D7"))
    (unsure,) = bot.fake.wait_for("chat.postMessage", before + 1)[before:]
    assert "我不太确定您问的是哪一项" in texts(unsure.params["blocks"])
    message = bot.fake.messages("D7")[-1]
    choices = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    first = choices[0]["value"].removeprefix("pick:")  # one of cooperation's entries
    assert first in COOPERATION and choices[-1]["value"] == "pick:none"
    updates = len(bot.fake.calls_to("chat.update"))
    bot.post(bot.fake.block_actions(choices[0]["action_id"], channel="D7", ts=message["ts"]))
    (update,) = bot.fake.wait_for("chat.update", updates + 1)[updates:]
    assert f"承诺 {first} · " in texts(update.params["blocks"])


# -- hostile requests (issue 12) --------------------------------------------------------------

FORM = "application/x-www-form-urlencoded"
MALFORMED = [
    (b"null", "application/json"), (b"[]", "application/json"), (b'"text"', "application/json"),
    (b"{}", "application/json"), (b'{"type": "event_callback"}', "application/json"),
    (b'{"type": "event_callback", "event": {"type": "message", "channel_type": "im"}}',
     "application/json"),
    (b'{"type": "event_callback", "event": {"type": "app_mention", "text": 5}}', "application/json"),
    (b"{not json", "application/json"), (b"payload=%7Bnot+json", FORM), (b"payload=null", FORM),
    (b'payload={"type":"block_actions"}', FORM),
    (b'payload={"type":"block_actions","actions":[{"action_id":"a4p:0","value":"withdraw:1"}]}',
     FORM),
    (b'payload={"type":"view_submission","view":{"callback_id":"a4p_update"}}', FORM),
    (b"command=%2Fa4p&text=help", FORM), (b"command=%2Fa4p&user_id=U1&text=%00", FORM),
    (b'payload={"type":"view_submission","user":{"id":"UANN"},"view":{"id":"V9","type":"modal",'
     b'"callback_id":"a4p_update","state":{"values":{"text":{"text":{"value":5,"selected_option":"x"}}}}}}', FORM),
]


@pytest.mark.parametrize("body, content_type", MALFORMED)
def test_signed_malformed_requests_are_answered_cleanly(bot: RunningSlackBot, body: bytes,
                                                        content_type: str, caplog) -> None:
    with caplog.at_level("WARNING"):
        status, _ = bot.post((body, content_type))
    assert status in (200, 400, 404)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "承诺 C17" in texts(command(bot, "C17")["blocks"])  # and it keeps serving


def test_unsigned_malformed_requests_are_still_401(bot: RunningSlackBot) -> None:
    for body, content_type in (*MALFORMED[:3], (b"\xff\xfe{", "application/json")):
        assert bot.post((body, content_type), signed=False)[0] == 401
    assert bot.post((b"\xff\xfe{", "application/json"))[0] == 401  # not UTF-8: never Slack's


def test_a_command_with_nul_is_answered(bot: RunningSlackBot, slack_store: Store) -> None:
    assert "承诺 C17" in texts(command(bot, "C\x0017", user_id="U\x00NUL")["blocks"])
    assert "slack:UNUL" in texts(command(bot, "whoami", user_id="U\x00NUL")["blocks"])


def test_fallback_text_is_escaped_like_the_blocks(bot: RunningSlackBot) -> None:
    answer = command(bot, "lang <!channel>")
    assert "<!channel>" not in answer["text"] and "&lt;!channel&gt;" in answer["text"]


# -- corrections (issue 14): the preview changes any field; withdraw asks, undo restores -------

def _dm(bot: RunningSlackBot, text: str, channel: str) -> str:
    """Ann writes `text` in her DM with the bot; what the bot posts back."""
    before = len(bot.fake.calls_to("chat.postMessage"))
    assert bot.post(bot.fake.direct_message(text, user_id=ANN, channel=channel))[0] == 200
    (call,) = bot.fake.wait_for("chat.postMessage", before + 1)[before:]
    return texts(call.params["blocks"])


def _tap(bot: RunningSlackBot, value: str, channel: str) -> str:
    """Ann taps the button `value` on the bot's newest message there; the message as updated."""
    message = bot.fake.messages(channel)[-1]
    (button,) = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["value"] == value]
    updates = len(bot.fake.calls_to("chat.update"))
    bot.post(bot.fake.block_actions(button["action_id"], channel=channel, ts=message["ts"],
                                    user_id=ANN))
    (update,) = bot.fake.wait_for("chat.update", updates + 1)[updates:]
    return texts(update.params["blocks"])


def test_the_preview_changes_the_mission_in_slack(bot: RunningSlackBot, ann_focal_point: int,
                                                  slack_store: Store) -> None:
    assert "第 3/4 步" in _dm(bot, "update C12 进行中", "D21")
    assert "第 4/4 步" in _dm(bot, "维和警察培训开始", "D21")
    assert "请确认" in _dm(bot, "UNMISS", "D21")
    assert "第 4/4 步" in _tap(bot, "draft:edit:mission", "D21")
    assert "请确认" in _tap(bot, "draft:m:none", "D21")
    assert "已记录进展" in _tap(bot, "draft:confirm", "D21")
    latest = slack_store.updates.where(user_id=ann_focal_point)[0]
    assert (latest.text, latest.mission) == ("维和警察培训开始", "")


def test_withdraw_asks_and_undo_restores_in_slack(bot: RunningSlackBot, ann_focal_point: int,
                                                  slack_store: Store) -> None:
    assert "已记录进展" in _dm(bot, "update C12 已完成 第三期培训结束", "D22")
    number = slack_store.updates.where(user_id=ann_focal_point)[0].id
    assert "确定撤回" in _tap(bot, f"withdraw:{number}", "D22")
    assert "已撤回" in _tap(bot, f"withdraw_yes:{number}", "D22")
    assert slack_store.updates.get(number).withdrawn_at is not None
    assert "已恢复" in _tap(bot, f"restore:{number}", "D22")
    assert slack_store.updates.get(number).withdrawn_at is None


def test_a_long_card_is_paged_and_more_replaces_it(bot: RunningSlackBot) -> None:
    before = len(bot.fake.calls_to("chat.postMessage"))
    bot.post(bot.fake.direct_message("/area 5", channel="D11"))
    bot.fake.wait_for("chat.postMessage", before + 1)
    message = bot.fake.messages("D11")[-1]
    assert "（1/2）" in texts(message["blocks"])
    more = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["value"].startswith("more:2:"))
    updates = len(bot.fake.calls_to("chat.update"))
    bot.post(bot.fake.block_actions(more["action_id"], channel="D11", ts=message["ts"]))
    (update,) = bot.fake.wait_for("chat.update", updates + 1)[updates:]
    assert "（2/2）" in texts(update.params["blocks"]) and "C29" in texts(update.params["blocks"])
