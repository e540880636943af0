"""The Slack fake must behave like Slack towards the real slack_sdk WebClient, or tests built on
it would pass against a Slack that does not exist."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.fake_slack import FakeSlack


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(signing_secret="s3cret") as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.base_url, timeout=5)


def _button(action_id: str, value: str, label: str = "Go") -> dict:
    return {"type": "button", "action_id": action_id, "value": value,
            "text": {"type": "plain_text", "text": label}}


def _blocks(*buttons: dict) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}},
            {"type": "actions", "block_id": "acts", "elements": list(buttons)}]


def test_auth_test_identifies_the_bot(slack: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"], answer["user"]) == (
        "UBOT", "BBOT", "T1", "a4p")
    call = slack.wait_for("auth.test")[0]
    assert call.headers["authorization"] == "Bearer xoxb-test-token"


def test_post_then_update_keeps_one_message_per_ts(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hello", blocks=_blocks(_button("a", "1")))
    second = client.chat_postMessage(channel="C1", text="again")
    assert first["channel"] == "C1" and float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"][1]["elements"][0]["action_id"] == "a"
    updated = client.chat_update(channel="C1", ts=first["ts"], text="edited", blocks=[])
    assert updated["ts"] == first["ts"]
    shown = slack.messages("C1")
    assert [m["text"] for m in shown] == ["edited", "again"] and "blocks" not in shown[0]
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C1", ts="1.000001", text="x")
    assert exc.value.response["error"] == "message_not_found"
    # blocks as a JSON string (what form-encoded callers send) are accepted too
    client.api_call("chat.postMessage", params={"channel": "C2", "text": "t",
                                                "blocks": json.dumps(_blocks())})
    assert slack.messages("C2")[0]["blocks"][0]["type"] == "section"


def test_post_ephemeral_answers_message_ts(slack: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert answer["message_ts"] and slack.messages("C1") == []
    assert slack.ephemeral_messages("C1")[0]["text"] == "only you"


def test_views_open_update_push(slack: FakeSlack, client: WebClient) -> None:
    view = {"type": "modal", "callback_id": "form", "private_metadata": "m",
            "title": {"type": "plain_text", "text": "Form"},
            "blocks": [{"type": "input", "block_id": "b",
                        "label": {"type": "plain_text", "text": "L"},
                        "element": {"type": "plain_text_input", "action_id": "b"}}]}
    opened = client.views_open(trigger_id="1.2.abc", view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["callback_id"] == "form"
    changed = client.views_update(view_id=opened["id"], view={**view, "private_metadata": "n"})
    assert changed["view"]["private_metadata"] == "n"
    pushed = client.views_push(trigger_id="1.2.abd", view=view)["view"]
    assert pushed["root_view_id"] == opened["id"]
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="1.2.abc", view={**view, "title": {"type": "plain_text",
                                                                          "text": "x" * 25}})
    assert exc.value.response["error"] == "invalid_arguments"


def test_files_upload_v2_round_trip(slack: FakeSlack, client: WebClient) -> None:
    answer = client.files_upload_v2(channel="D1", initial_comment="here",
                                    file_uploads=[{"filename": "a.csv", "content": b"x,y\n"},
                                                  {"filename": "b.txt", "content": "日本",
                                                   "title": "B"}])
    assert [f["name"] for f in answer["files"]] == ["a.csv", "b.txt"]
    # slack_sdk asks for every upload URL first, then uploads (no token), then completes once
    assert [c.method for c in slack.calls] == ["files.getUploadURLExternal"] * 2 + [
        "upload"] * 2 + ["files.completeUploadExternal"]
    assert "authorization" not in slack.calls_to("upload")[0].headers
    files = slack.uploaded_files()
    assert [(f.filename, f.content, f.channel, f.initial_comment) for f in files] == [
        ("a.csv", b"x,y\n", "D1", "here"), ("b.txt", "日本".encode(), "D1", "here")]
    assert files[1].title == "B"


def test_wrong_or_missing_token_is_invalid_auth(slack: FakeSlack) -> None:
    for token in ("xoxb-wrong", None):
        with pytest.raises(SlackApiError) as exc:
            WebClient(token=token, base_url=slack.base_url).chat_postMessage(channel="C", text="x")
        assert exc.value.response["error"] == "invalid_auth"
    assert slack.messages("C") == []


@pytest.mark.parametrize("blocks", [
    [{"text": "no type"}],
    [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
    [{"type": "divider"}] * 51,
    _blocks(_button("same", "1"), _button("same", "2")),
    _blocks(_button("a", "v" * 2001)),
    _blocks(_button("a", "1", label="L" * 76)),
])
def test_invalid_blocks_are_rejected(client: WebClient, blocks: list) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    assert exc.value.response["error"] == "invalid_blocks"


def test_unknown_method(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as exc:
        client.api_call("chat.nonsense")
    assert exc.value.response["error"] == "unknown_method"


def test_sign_passes_slack_sdk_verifier(slack: FakeSlack) -> None:
    verifier = SignatureVerifier("s3cret")
    body, _ = slack.slash_command("hi")
    assert verifier.is_valid_request(body, slack.sign(body))
    assert not verifier.is_valid_request(body + b"x", slack.sign(body))
    assert not verifier.is_valid_request(body, slack.sign(body, int(time.time()) - 600))


def test_slash_command_and_respond(slack: FakeSlack) -> None:
    body, ctype = slack.slash_command("status", user_id="U9", channel_id="C7")
    assert ctype == "application/x-www-form-urlencoded"
    fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert (fields["command"], fields["text"], fields["user_id"]) == ("/a4p", "status", "U9")
    WebhookClient(fields["response_url"]).send(text="public", response_type="in_channel")
    WebhookClient(fields["response_url"]).send(text="private")
    calls = slack.wait_for("response_url", 2)
    assert calls[0].params["response_type"] == "in_channel"
    assert [m["text"] for m in slack.messages("C7")] == ["public"]
    assert [m["text"] for m in slack.ephemeral_messages("C7")] == ["private"]


def test_events_and_interactions_are_shaped_like_slack(slack: FakeSlack,
                                                       client: WebClient) -> None:
    body, ctype = slack.direct_message("hello")
    envelope = json.loads(body)
    assert ctype == "application/json" and envelope["type"] == "event_callback"
    assert envelope["event"]["channel_type"] == "im" and envelope["authorizations"][0]["is_bot"]
    assert json.loads(slack.app_mention("<@UBOT> hi")[0])["event"]["type"] == "app_mention"

    posted = client.chat_postMessage(channel="D1", text="pick", blocks=_blocks(_button("go", "v1")))
    body, _ = slack.block_actions("go")
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    assert payload["type"] == "block_actions" and payload["message"]["ts"] == posted["ts"]
    assert payload["actions"][0] | {"action_ts": ""} == {
        "action_id": "go", "block_id": "acts", "type": "button", "value": "v1", "action_ts": "",
        "text": {"type": "plain_text", "text": "Go"}}
    assert payload["container"] == {"type": "message", "message_ts": posted["ts"],
                                    "channel_id": "D1", "is_ephemeral": False}
    WebhookClient(payload["response_url"]).send(text="replaced", replace_original=True)
    assert slack.messages("D1")[0]["text"] == "replaced"
    with pytest.raises(LookupError):
        slack.block_actions("missing")

    view = client.views_open(trigger_id=payload["trigger_id"], view={
        "type": "modal", "callback_id": "cb", "private_metadata": "pm",
        "title": {"type": "plain_text", "text": "T"}, "blocks": []})["view"]
    values = {"b": {"b": {"type": "plain_text_input", "value": "typed"}}}
    payload = json.loads(parse_qs(slack.view_submission(values)[0].decode())["payload"][0])
    assert payload["type"] == "view_submission" and payload["view"]["id"] == view["id"]
    assert (payload["view"]["callback_id"], payload["view"]["private_metadata"]) == ("cb", "pm")
    assert payload["view"]["state"]["values"] == values


def test_reset_forgets_state_but_not_ids(slack: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="a")["ts"]
    slack.reset()
    assert slack.calls == [] and slack.messages("C1") == []
    assert float(client.chat_postMessage(channel="C1", text="b")["ts"]) > float(first)
    with pytest.raises(AssertionError):
        slack.wait_for("views.open", timeout=0.05)


def test_real_bolt_app_accepts_the_built_requests(slack: FakeSlack, client: WebClient) -> None:
    """Signatures, content types and payload shapes must get through bolt's own parsing."""
    app = App(client=client, signing_secret=slack.signing_secret)  # calls auth.test here
    seen: list[str] = []

    @app.command("/a4p")
    def command(ack: Ack, respond: Respond, command: dict) -> None:
        ack()
        seen.append(command["text"])
        respond(text="menu", blocks=_blocks(_button("go", "v")))

    @app.action("go")
    def button(ack: Ack, body: dict, respond: Respond) -> None:
        ack()
        seen.append(f"ephemeral={body['container']['is_ephemeral']},{'message' in body}")
        respond(text="done", replace_original=True)

    @app.event("message")
    def message(event: dict) -> None:
        seen.append(event["text"])

    @app.view("cb")
    def submit(ack: Ack, view: dict) -> None:
        ack()
        seen.append(view["state"]["values"]["b"]["b"]["value"])

    def dispatch(request: tuple[bytes, str]) -> int:
        body, ctype = request
        headers = {"content-type": ctype, **slack.sign(body)}
        return app.dispatch(BoltRequest(body=body.decode(), headers=headers)).status

    assert dispatch(slack.slash_command("hi")) == 200
    slack.wait_for("response_url")
    assert dispatch(slack.block_actions("go")) == 200  # clicks the ephemeral menu
    slack.wait_for("response_url", 2)
    assert [m["text"] for m in slack.ephemeral_messages("D1")] == ["done"]
    assert dispatch(slack.direct_message("hello")) == 200
    assert dispatch(slack.view_submission({"b": {"b": {"type": "plain_text_input",
                                                       "value": "typed"}}},
                                          callback_id="cb")) == 200
    body, ctype = slack.slash_command("forged")
    forged = {"content-type": ctype, **slack.sign(body + b" ")}
    assert app.dispatch(BoltRequest(body=body.decode(), headers=forged)).status == 401
    deadline = time.monotonic() + 5
    while len(seen) < 4 and time.monotonic() < deadline:  # events are acked before handling
        time.sleep(0.01)
    assert seen == ["hi", "ephemeral=True,False", "hello", "typed"]
