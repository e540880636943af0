"""A fake Slack Web API on 127.0.0.1 for tests that drive the real slack_bolt App.

Why a real HTTP server rather than mocks: the bot's own `WebClient(base_url=...)` then does its
real request encoding (JSON for chat.*/views.*, form fields for the rest, the three requests of
files_upload_v2) and error mapping (ok=false -> SlackApiError), and the checks below answer what
Slack would answer for bad Block Kit, an unknown ts or a wrong token. It also builds the *signed*
requests Slack sends to the bot (slash commands, events, block_actions, view_submission) whose
response_url points back here, so bolt's respond() lands in the same recorder. Usage::

    with FakeSlack() as slack:
        app = App(client=WebClient(token=slack.bot_token, base_url=slack.base_url),
                  signing_secret=slack.signing_secret)
        body, ctype = slack.slash_command("hello")
        post_to_bot(body, {"Content-Type": ctype, **slack.sign(body)})
        slack.wait_for("response_url")
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import socketserver
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from hold import Hold, HoldsCalls

__all__ = ["Call", "FakeSlack", "SlackError", "UploadedFile", "check_blocks"]

TEAM_ID, TEAM_DOMAIN, APP_ID, BOT_USER_ID, BOT_ID = "T1", "a4p-test", "A1", "UBOT", "BBOT"
VERIFICATION_TOKEN = "fake-verification-token"  # the deprecated `token` Slack still sends
MAX_MESSAGE_BLOCKS, MAX_VIEW_BLOCKS, MAX_ACTIONS_ELEMENTS, MAX_ID = 50, 100, 25, 255
MAX_SECTION_TEXT, MAX_BUTTON_VALUE, MAX_BUTTON_TEXT, MAX_VIEW_TITLE = 3000, 2000, 75, 24
JSON_FIELDS = frozenset({"blocks", "attachments", "view", "files", "metadata"})  # in form bodies
FORM = "application/x-www-form-urlencoded"


class SlackError(Exception):
    """A Web API error, answered (with HTTP 200, as Slack does) as {"ok": false, "error": ...}."""

    def __init__(self, error: str, *messages: str) -> None:
        super().__init__(f"{error}: {'; '.join(messages)}" if messages else error)
        self.error, self.messages = error, list(messages)


@dataclass(frozen=True)
class Call:
    """One request: method ("chat.postMessage", or "upload"/"response_url" for those URLs),
    decoded params, lower-cased headers, URL path and what we answered."""

    method: str
    params: dict
    headers: dict
    path: str = ""
    response: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class UploadedFile:
    """A files_upload_v2 file; `content` stays None until the bytes are POSTed."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    initial_comment: str | None = None
    thread_ts: str | None = None
    completed: bool = False


def _json(value: Any, error: str) -> Any:
    try:
        return json.loads(value) if isinstance(value, (str, bytes)) else value
    except ValueError:
        raise SlackError(error, "not valid JSON") from None


def check_blocks(blocks: Any, *, limit: int = MAX_MESSAGE_BLOCKS,
                 error: str = "invalid_blocks") -> list[dict] | None:
    """Decode (JSON string or list) and check the Block Kit limits that bite in practice.

    action_ids must be unique in the whole message: stricter than Slack (unique per block),
    because the bot routes on action_id alone.
    """
    blocks = _json(blocks, error)
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise SlackError(error, "must provide an array [json-pointer:/blocks]")
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"no more than {limit} items allowed [json-pointer:/blocks]")
    ids: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"[json-pointer:/blocks/{i}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"missing required field: type {at}")
            continue
        text = block.get("text")
        if block["type"] == "section" and not (isinstance(text, dict) or block.get("fields")):
            problems.append(f"must provide text or fields {at}")
        if block["type"] == "section" and isinstance(text, dict) and not (
                1 <= len(text.get("text") or "") <= MAX_SECTION_TEXT):
            problems.append(f"text must be 1-{MAX_SECTION_TEXT} characters {at}")
        elements = list(block.get("elements") or []) if block["type"] == "actions" else []
        if len(elements) > MAX_ACTIONS_ELEMENTS:
            problems.append(f"no more than {MAX_ACTIONS_ELEMENTS} elements allowed {at}")
        elements += [block[k] for k in ("accessory", "element") if isinstance(block.get(k), dict)]
        for el in (e for e in elements if isinstance(e, dict)):
            if "action_id" in el:
                if el["action_id"] in ids or len(str(el["action_id"])) > MAX_ID:
                    problems.append(f"duplicate or long action_id {el['action_id']!r} {at}")
                ids.add(el["action_id"])
            if el.get("type") == "button" and not (
                    1 <= len((el.get("text") or {}).get("text") or "") <= MAX_BUTTON_TEXT
                    and len(str(el.get("value", ""))) <= MAX_BUTTON_VALUE):
                problems.append(f"button text over {MAX_BUTTON_TEXT} or value over "
                                f"{MAX_BUTTON_VALUE} characters {at}")
    if problems:
        raise SlackError(error, *problems)
    return blocks


def _check_view(view: Any) -> dict:
    """A modal/home view: title (and submit/close if given) 1-24 characters, valid blocks."""
    view = _json(view, "invalid_arguments")
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise SlackError("invalid_arguments", "view.type must be modal or home")
    for key in ("title", "submit", "close") if view["type"] == "modal" else ():
        if (key == "title" or key in view) and not (
                1 <= len((view.get(key) or {}).get("text") or "") <= MAX_VIEW_TITLE):
            raise SlackError("invalid_arguments", f"must be 1-24 characters [/view/{key}/text]")
    check_blocks(view.get("blocks") or [], limit=MAX_VIEW_BLOCKS, error="invalid_arguments")
    return view


def _form_payload(payload: dict) -> tuple[bytes, str]:
    """Interactions arrive as one form field `payload` holding JSON."""
    return urlencode({"payload": json.dumps(payload)}).encode(), FORM


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # default 5 drops SYNs under bursts -> 1 s retransmit stalls

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:  # skip HTTPServer's getfqdn(): reverse DNS can stall
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed bot's connections break mid-answer: normal in crash tests


class _Handler(BaseHTTPRequestHandler):
    """HTTP/1.0, one request per connection: slack_sdk's urllib sends Connection: close."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer = self.server.fake._handle_http(url.path, url.query, body, headers)
        text = isinstance(answer, str)
        data = answer.encode() if text else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if text else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST


class FakeSlack(HoldsCalls):
    """Serves the Web API methods the bot uses, records every call and keeps posted messages,
    views and files; all state sits behind one Condition so wait_for() wakes at once."""

    def __init__(self, bot_token: str = "xoxb-test-token",
                 signing_secret: str = "fake-signing-secret") -> None:
        self.bot_token, self.signing_secret = bot_token, signing_secret
        self.calls: list[Call] = []
        self.errors: list[str] = []  # tracebacks of bugs inside the fake (answered 500)
        self._cond = threading.Condition()
        self._ids = itertools.count(1)  # ts, view/file/event/trigger ids; never reset
        self._server: _Server | None = None
        self.locales: dict[str, str] = {}  # user id -> locale for users.info (default zh-CN)
        self.app_token = "xapp-1-test-app-token"  # Socket Mode: apps.connections.open
        self.socket_url = ""  # where apps.connections.open sends the client (a FakeSocketMode)
        self.holding = Hold(self._cond)  # calls that wait, see hold()
        self._clear_state()

    def _clear_state(self) -> None:
        self._messages: dict[str, list[dict]] = {}
        self._ephemeral: dict[str, list[dict]] = {}
        self._views: dict[str, dict] = {}
        self._files: dict[str, UploadedFile] = {}
        self._responses: dict[str, tuple[str | None, str | None]] = {}  # key -> (channel, ts)
        self.unreachable: set[str] = set()  # channels chat.postMessage answers channel_not_found

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """For WebClient(base_url=...), which urljoin()s it with e.g. "chat.postMessage"."""
        return f"http://127.0.0.1:{self.port}/api/"

    def start(self) -> FakeSlack:
        """Bind an OS-assigned port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is None:
            self._server = _Server(self)
            threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                             name=f"FakeSlack:{self.port}", daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, messages, views and files; ids keep increasing (no ts is reused)."""
        with self._cond:
            self.calls.clear()
            self.errors.clear()
            self._clear_state()

    # -- inspecting ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` were recorded; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(found := [c for c in self.calls if c.method == method]) < count:
                if (remaining := deadline - time.monotonic()) <= 0:
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got "
                        f"{len(found)}; calls: {[c.method for c in self.calls]}"
                        + (f"; fake errors: {self.errors}" if self.errors else ""))
                self._cond.wait(remaining)
            return found

    def messages(self, channel: str) -> list[dict]:
        """The bot's visible messages in a channel, oldest first, as updated since."""
        with self._cond:
            return [dict(m) for m in self._messages.get(channel, [])]

    def ephemeral_messages(self, channel: str) -> list[dict]:
        """chat.postEphemeral messages and ephemeral respond() replies in a channel."""
        with self._cond:
            return [dict(m) for m in self._ephemeral.get(channel, [])]

    def views(self) -> list[dict]:
        """Views opened or pushed, in that order, in their latest version."""
        with self._cond:
            return [dict(v) for v in self._views.values()]

    def uploaded_files(self) -> list[UploadedFile]:
        """Files whose files.completeUploadExternal succeeded, i.e. shared with the user."""
        with self._cond:
            return [f for f in self._files.values() if f.completed]

    def response_url(self, key: str | None = None, *, channel: str | None = None,
                     ts: str | None = None) -> str:
        """A URL recording respond() POSTs as Call("response_url"); given channel (and ts),
        replace_original/delete_original/in_channel act on the stored messages as in Slack."""
        key = key or f"R{next(self._ids):08d}"
        with self._cond:
            self._responses[key] = (channel, ts)
        return f"http://127.0.0.1:{self.port}/response/{key}"

    # -- dispatch --------------------------------------------------------------------------


    def _handle_http(self, path: str, query: str, body: bytes, headers: dict[str, str]
                     ) -> tuple[int, Any]:
        kind, _, name = path.strip("/").partition("/")
        method = {"upload": "upload", "response": "response_url", "api": name}.get(kind) or path
        with self._cond:
            if self.holding.holds(method) and not self.holding.wait(lambda: self._server is None):
                return 503, {"ok": False, "error": "service_unavailable"}
        status, answer, params = 200, None, {}
        try:
            if kind == "upload":
                params = {"file_id": name, "size": len(body)}
                answer = self._upload(name, body)
            elif kind == "response":
                params = _json(body or b"{}", "invalid_payload")
                answer = self._respond(name, params)
            elif kind == "api" and name:
                params = dict(parse_qsl(query))
                if headers.get("content-type", "").startswith("application/json"):
                    params.update(_json(body or b"{}", "invalid_json"))
                else:  # form fields; slack_sdk JSON-encodes blocks/view/files in them
                    params.update(parse_qsl(body.decode(), keep_blank_values=True))
                    params.update({k: _json(params[k], "invalid_json")
                                   for k in JSON_FIELDS & params.keys()})
                auth = headers.get("authorization", "")
                token = auth[7:] if auth.startswith("Bearer ") else params.get("token")
                expected = self.app_token if name == "apps.connections.open" else self.bot_token
                if token != expected:
                    raise SlackError("invalid_auth")
                handler = getattr(self, "_api_" + name.replace(".", "_"), None)
                if handler is None:
                    raise SlackError("unknown_method")
                answer = {"ok": True, **handler(params)}
            else:
                status, answer = 404, "Not Found"
        except SlackError as exc:
            status, answer = (200 if kind == "api" else 400), {"ok": False, "error": exc.error}
            if exc.messages:
                answer.update(errors=exc.messages, response_metadata={"messages": exc.messages})
        except Exception:  # a bug in the fake: loud in the test, not a hang
            trace = traceback.format_exc()
            status, answer = 500, {"ok": False, "error": "fake_slack_bug", "trace": trace}
            with self._cond:
                self.errors.append(trace)
        with self._cond:
            self.calls.append(Call(method, params, headers, path, answer))
            self._cond.notify_all()
        return status, answer

    def _ts(self) -> str:
        micros = next(self._ids) * 100  # "1700000000.000100", "1700000000.000200", ...
        return f"{1_700_000_000 + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: str | None, *, ephemeral: bool = False) -> dict:
        """A stored message by ts (ephemeral ones only for response_url; chat.update can't)."""
        for store in (self._messages, self._ephemeral)[:1 + ephemeral]:
            for message in store.get(channel, []):
                if message["ts"] == ts:
                    return message
        raise SlackError("message_not_found")

    def _content(self, params: dict) -> dict:
        blocks = check_blocks(params.get("blocks"))
        if not params.get("text") and not blocks and not params.get("attachments"):
            raise SlackError("no_text")
        return {"text": params.get("text") or "", **({"blocks": blocks} if blocks else {})}

    # -- Web API methods: decoded params -> the fields of an ok answer -----------------------

    def _api_auth_test(self, params: dict) -> dict:
        return {"url": f"https://{TEAM_DOMAIN}.slack.com/", "team": "A4P Test", "user": "a4p",
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _api_apps_connections_open(self, params: dict) -> dict:
        if not self.socket_url:
            raise SlackError("socket_mode_not_enabled")
        return {"url": self.socket_url}

    def _api_users_info(self, params: dict) -> dict:
        """users.info; `include_locale` adds the user's Slack locale (set via `locales`)."""
        user = dict(self._user(params.get("user", "")), real_name=params.get("user", ""))
        if str(params.get("include_locale", "")).lower() in ("1", "true"):
            user["locale"] = self.locales.get(params.get("user", ""), "zh-CN")
        return {"user": user}

    def _api_chat_postMessage(self, params: dict) -> dict:
        if not (channel := params.get("channel")) or channel in self.unreachable:
            raise SlackError("channel_not_found")
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
                   "team": TEAM_ID, **self._content(params), "ts": self._ts(),
                   **({"thread_ts": params["thread_ts"]} if params.get("thread_ts") else {})}
        with self._cond:
            self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _api_chat_update(self, params: dict) -> dict:
        channel, ts, content = params.get("channel") or "", params.get("ts"), self._content(params)
        with self._cond:
            message = self._find(channel, ts)
            message.pop("blocks", None)
            message.update(content, edited={"user": BOT_USER_ID, "ts": self._ts()})
            return {"channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _api_chat_postEphemeral(self, params: dict) -> dict:
        if not (channel := params.get("channel")) or not params.get("user"):
            raise SlackError("channel_not_found" if not channel else "user_not_in_channel")
        message = {**self._content(params), "user": params["user"], "ts": self._ts()}
        with self._cond:
            self._ephemeral.setdefault(channel, []).append(message)
        return {"message_ts": message["ts"]}

    def _api_views_open(self, params: dict, root_id: str | None = None) -> dict:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise SlackError("invalid_trigger_id")
        view_id = f"V{next(self._ids):08d}"
        view = {"team_id": TEAM_ID, "state": {"values": {}}, "private_metadata": "",
                "callback_id": "", "external_id": "", "previous_view_id": None,
                "root_view_id": root_id or view_id, "app_id": APP_ID, "bot_id": BOT_ID,
                "app_installed_team_id": TEAM_ID, "clear_on_close": False,
                "notify_on_close": False, **_check_view(params.get("view")),
                "id": view_id, "hash": f"{time.time():.6f}.{view_id}"}
        with self._cond:
            self._views[view_id] = view
        return {"view": dict(view)}

    def _api_views_push(self, params: dict) -> dict:
        with self._cond:
            root = next(reversed(self._views.values()), {}).get("root_view_id")
        return self._api_views_open(params, root)

    def _api_views_update(self, params: dict) -> dict:
        new = _check_view(params.get("view"))
        with self._cond:
            for view in self._views.values():
                if params.get("view_id") == view["id"] or (
                        params.get("external_id") and params["external_id"] == view["external_id"]):
                    if params.get("hash") and params["hash"] != view["hash"]:
                        raise SlackError("hash_conflict")
                    view.update(new, id=view["id"], hash=f"{time.time():.6f}.{view['id']}")
                    return {"view": dict(view)}
        raise SlackError("not_found")

    def _api_files_getUploadURLExternal(self, params: dict) -> dict:
        filename, length = params.get("filename"), str(params.get("length") or "")
        if not filename or not length.isdigit():
            raise SlackError("invalid_arguments", "filename and length are required")
        file_id = f"F{next(self._ids):08d}"
        with self._cond:
            self._files[file_id] = UploadedFile(file_id, filename, int(length))
        return {"upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, body: bytes) -> str:
        """The upload URL is pre-signed (no token) and answers text "OK - <size>"."""
        with self._cond:
            if file_id not in self._files:
                raise SlackError("file_not_found")
            self._files[file_id].content = body
        return f"OK - {len(body)}"

    def _api_files_completeUploadExternal(self, params: dict) -> dict:
        specs, channel = params.get("files"), params.get("channel_id") or params.get("channels")
        if not isinstance(specs, list) or not specs:
            raise SlackError("invalid_arguments", "files must be a JSON array of {id, title}")
        with self._cond:
            uploads = [self._files.get(str(spec.get("id"))) for spec in specs]
            if any(u is None or u.content is None for u in uploads):
                raise SlackError("file_not_found")
            for upload, spec in zip(uploads, specs):
                assert upload is not None and upload.content is not None
                upload.title = spec.get("title") or upload.filename
                upload.channel, upload.completed = channel, True
                upload.initial_comment = params.get("initial_comment")
                upload.thread_ts = params.get("thread_ts")
            return {"files": [{"id": u.id, "name": u.filename, "title": u.title,
                               "size": len(u.content), "user": BOT_USER_ID,
                               "channels": [channel] if channel else []}
                              for u in uploads if u and u.content is not None]}

    def _respond(self, key: str, params: dict) -> str:
        """What Slack does with a response_url POST (bolt's respond())."""
        with self._cond:
            if key not in self._responses:
                raise SlackError("expired_url")
            channel, ts = self._responses[key]
            if params.get("delete_original") and channel and ts:
                message = self._find(channel, ts, ephemeral=True)
                for store in (self._messages, self._ephemeral):
                    store[channel] = [m for m in store.get(channel, []) if m is not message]
                return "ok"
            content = self._content(params)
            if params.get("replace_original") and channel and ts:
                message = self._find(channel, ts, ephemeral=True)
                message.pop("blocks", None)
                message.update(content)
            elif channel:
                public = params.get("response_type") == "in_channel"
                (self._messages if public else self._ephemeral).setdefault(channel, []).append(
                    {**content, "bot_id": BOT_ID, "ts": self._ts()})
        return "ok"

    # -- signed requests from "Slack" to the bot ------------------------------------------------

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's v0 scheme: hex HMAC-SHA256 of b"v0:{ts}:" + body with the signing secret."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(self.signing_secret.encode(), f"v0:{ts}:".encode() + body,
                          hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    @staticmethod
    def _user(user_id: str) -> dict:
        name = f"user-{user_id.lower()}"
        return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}

    def _trigger_id(self) -> str:
        n = next(self._ids)
        return f"{n}.{n * 7}.{hashlib.md5(str(n).encode()).hexdigest()}"

    @staticmethod
    def _channel(channel: str) -> dict:
        return {"id": channel, "name": "directmessage" if channel[:1] == "D" else "general"}

    def slash_command(self, text: str = "", *, command: str = "/a4p", user_id: str = "U1",
                      channel_id: str = "D1", trigger_id: str | None = None,
                      team_id: str = TEAM_ID) -> tuple[bytes, str]:
        """A slash command (form fields, as Slack sends it); its response_url is ours."""
        fields = {"token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": TEAM_DOMAIN,
                  "channel_id": channel_id, "channel_name": self._channel(channel_id)["name"],
                  "user_id": user_id, "user_name": self._user(user_id)["name"],
                  "command": command, "text": text, "api_app_id": APP_ID,
                  "is_enterprise_install": "false",
                  "response_url": self.response_url(channel=channel_id),
                  "trigger_id": trigger_id or self._trigger_id()}
        return urlencode(fields).encode(), FORM

    def event_callback(self, event: dict, *, team_id: str = TEAM_ID) -> tuple[bytes, str]:
        """The Events API envelope (JSON) around any `event`."""
        n = next(self._ids)
        envelope = {"token": VERIFICATION_TOKEN, "team_id": team_id, "context_team_id": team_id,
                    "context_enterprise_id": None, "api_app_id": APP_ID, "event": event,
                    "type": "event_callback", "event_id": f"Ev{n:08d}",
                    "event_time": int(time.time()), "is_ext_shared_channel": False,
                    "event_context": f"4-fake-{n}",
                    "authorizations": [{"enterprise_id": None, "team_id": team_id,
                                        "user_id": BOT_USER_ID, "is_bot": True,
                                        "is_enterprise_install": False}]}
        return json.dumps(envelope).encode(), "application/json"

    def _user_event(self, kind: str, text: str, user_id: str, channel: str,
                    thread_ts: str | None, **extra: Any) -> tuple[bytes, str]:
        ts = self._ts()
        return self.event_callback({
            "type": kind, "user": user_id, "text": text, "ts": ts, "channel": channel,
            "event_ts": ts, "team": TEAM_ID, "client_msg_id": f"fake-{ts}", **extra,
            **({"thread_ts": thread_ts} if thread_ts else {})})

    def app_mention(self, text: str, *, user_id: str = "U1", channel: str = "C1",
                    thread_ts: str | None = None) -> tuple[bytes, str]:
        """An app_mention event; `text` should contain "<@UBOT>" as Slack's does."""
        return self._user_event("app_mention", text, user_id, channel, thread_ts)

    def direct_message(self, text: str, *, user_id: str = "U1", channel: str = "D1",
                       thread_ts: str | None = None) -> tuple[bytes, str]:
        """A message.im event: a user writing to the bot in their DM."""
        return self._user_event("message", text, user_id, channel, thread_ts, channel_type="im")

    def block_actions(self, action_id: str, *, channel: str = "D1", ts: str | None = None,
                      message: dict | None = None, value: str | None = None,
                      user_id: str = "U1") -> tuple[bytes, str]:
        """A button click on `message` / the message `ts` / else the newest message in `channel`
        (posted, ephemeral or respond()ed) that has this button; block_id, value and text come
        from it, so clicking a missing button raises LookupError (unless `value` is given).
        Like Slack, clicks on ephemeral messages carry container.is_ephemeral and no message."""
        ts = message["ts"] if message else ts
        with self._cond:
            stored = sorted([(m, False) for m in self._messages.get(channel, [])]
                            + [(m, True) for m in self._ephemeral.get(channel, [])],
                            key=lambda pair: float(pair[0]["ts"]), reverse=True)
        candidates = [(m, e) for m, e in stored if ts in (None, m["ts"])] or (
            [(message, False)] if message else [])
        found = next(((dict(m), b, el, e) for m, e in candidates for b in m.get("blocks") or []
                      for el in [*(b.get("elements") or []), b.get("accessory") or {}]
                      if isinstance(el, dict) and el.get("action_id") == action_id), None)
        if found is None and (value is None or not candidates):
            raise LookupError(f"no message in {channel} with a button {action_id!r}")
        msg, block, el, ephemeral = found or (dict(candidates[0][0]), {}, {}, candidates[0][1])
        action = {"action_id": action_id, "block_id": block.get("block_id", "fakeblk"),
                  "type": el.get("type", "button"), "action_ts": self._ts(),
                  "value": el.get("value") if value is None else value,
                  **({"text": el["text"]} if "text" in el else {})}
        return _form_payload({
            "type": "block_actions", "user": self._user(user_id), "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN, "trigger_id": self._trigger_id(),
            "container": {"type": "message", "message_ts": msg["ts"], "channel_id": channel,
                          "is_ephemeral": ephemeral},
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN}, "enterprise": None,
            "is_enterprise_install": False, "channel": self._channel(channel),
            **({} if ephemeral else {"message": msg}), "state": {"values": {}},
            "response_url": self.response_url(channel=channel, ts=msg["ts"]),
            "actions": [action]})

    def view_submission(self, values: dict[str, dict[str, dict]], *, view_id: str | None = None,
                        callback_id: str | None = None, private_metadata: str | None = None,
                        user_id: str = "U1") -> tuple[bytes, str]:
        """Submit the view `view_id`, else the newest opened one (with `callback_id` if given),
        else a bare modal with `callback_id`. `values` is state.values:
        {block_id: {action_id: {"type": "plain_text_input", "value": ...}}}."""
        with self._cond:
            opened = [v for v in reversed(self._views.values()) if view_id == v["id"]
                      or (not view_id and callback_id in (None, v.get("callback_id")))]
        if not opened and (view_id or not callback_id):
            raise LookupError(f"no view {view_id or callback_id or ''} was opened")
        view = dict(opened[0]) if opened else {
            "id": f"V{next(self._ids):08d}", "type": "modal", "callback_id": callback_id,
            "private_metadata": "", "blocks": [], "team_id": TEAM_ID, "app_id": APP_ID}
        view["state"] = {"values": values}
        if private_metadata is not None:
            view["private_metadata"] = private_metadata
        return _form_payload({
            "type": "view_submission", "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": self._user(user_id), "api_app_id": APP_ID, "token": VERIFICATION_TOKEN,
            "trigger_id": self._trigger_id(), "view": view, "response_urls": [],
            "is_enterprise_install": False, "enterprise": None})
