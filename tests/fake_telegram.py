"""A fake Telegram Bot API server for tests: the real PTB client talks HTTP to it on 127.0.0.1.

Why a real HTTP server rather than mocks: the bot's tests then exercise PTB's own request
encoding, error mapping (400 -> BadRequest, 401/404 -> InvalidToken, ...) and polling loop, and
the validation below rejects what the real Telegram would reject (over-long texts, broken HTML,
oversized callback_data), so those bugs surface in CI instead of in production.

Standard library only. Usage::

    with FakeTelegram() as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).build()
        tg.message("/start")
        tg.wait_for("sendMessage")
"""

from __future__ import annotations

import html
import itertools
import json
import re
import socket
import socketserver
import threading
import time
import traceback
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit

from hold import Hold, HoldsCalls

__all__ = ["Call", "FakeTelegram", "TelegramError"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
LONG_POLL_CAP = 2.0  # seconds; real Telegram allows 50, tests must stay quick

# Parameters whose value is always a plain string. PTB sends every parameter as a form field
# and JSON-encodes only non-string values, so a text "123" and an int 123 look alike on the
# wire; for these names we never JSON-decode (everything else is decoded when it parses).
STRING_FIELDS = frozenset(
    """text caption parse_mode callback_query_id inline_query_id inline_message_id url
    next_offset switch_pm_text switch_pm_parameter language_code secret_token ip_address action
    title description short_description name emoji business_connection_id message_effect_id
    file_id sticker document photo video audio voice animation video_note thumbnail cover
    certificate question explanation explanation_parse_mode caption_parse_mode question_parse_mode
    address foursquare_id foursquare_type google_place_id google_place_type first_name last_name
    vcard phone_number custom_title invite_link payload provider_token currency start_parameter
    shipping_query_id pre_checkout_query_id error_message game_short_name web_app_query_id
    sticker_set_name set_name""".split()
)

# Tags Telegram's HTML parse mode understands (https://core.telegram.org/bots/api#html-style).
HTML_TAGS = frozenset(
    "b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji".split()
)
HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}  # the only named ones allowed


class TelegramError(Exception):
    """An API error answered as {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def _bad(description: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class Call:
    """One API call the bot made: canonical method name, decoded params, time.monotonic()."""

    method: str
    params: dict
    at: float


# ----------------------------------------------------------------------------- HTML checking


class _HTMLChecker(HTMLParser):
    """Validates Telegram-flavoured HTML and collects the visible text (for length checks)."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.stack: list[str] = []
        self.visible: list[str] = []
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def _where(self) -> str:
        line, col = self.getpos()
        index = self._line_starts[line - 1] + col
        return f"byte offset {len(self.source[:index].encode('utf-8'))}"

    def _fail(self, what: str) -> None:
        raise _bad(f"can't parse entities: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_TAGS:
            self._fail(f'Unsupported start tag "{tag}" at {self._where()}')
        attributes = dict(attrs)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            self._fail(f'Tag "span" must have class "tg-spoiler" at {self._where()}')
        if tag == "tg-emoji" and not attributes.get("emoji-id"):
            self._fail(f'Custom emoji entity must have attribute "emoji-id" at {self._where()}')
        self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'Unsupported start tag "{tag}" at {self._where()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            self._fail(f'Unexpected end tag at {self._where()}')
        if self.stack[-1] != tag:
            self._fail(
                f'Unmatched end tag at {self._where()}, expected "</{self.stack[-1]}>", '
                f'found "</{tag}>"'
            )
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        for char, what in (("<", "Unescaped '<'"), ("&", "Unescaped '&'")):
            if char in data:
                self._fail(f"{what} in text at {self._where()}; escape it as an HTML entity")
        self.visible.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in HTML_ENTITIES:
            self._fail(f'Unescaped "&" or unsupported HTML entity "&{name}" at {self._where()}')
        self.visible.append(HTML_ENTITIES[name])

    def handle_charref(self, name: str) -> None:
        self.visible.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self._fail(f"Unsupported comment at {self._where()}")

    def handle_decl(self, decl: str) -> None:
        self._fail(f"Unsupported declaration at {self._where()}")

    def handle_pi(self, data: str) -> None:
        self._fail(f"Unsupported processing instruction at {self._where()}")

    def unknown_decl(self, data: str) -> None:
        self._fail(f"Unsupported declaration at {self._where()}")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text Telegram would display, raising the 400 it would raise for malformed HTML.

    Only HTML is parsed; Markdown/MarkdownV2 texts are returned as sent (their escapes count
    towards the length, so the length check is slightly stricter than Telegram's there).
    """
    mode = (parse_mode or "").lower()
    if mode not in ("", "html", "markdown", "markdownv2"):
        raise _bad(f"unsupported parse_mode {parse_mode!r}")
    if mode != "html":
        return text
    checker = _HTMLChecker(text)
    checker.feed(text)
    checker.close()  # flushes a trailing incomplete "<tag" as data, which then fails
    if checker.stack:
        checker._fail(f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"')
    return "".join(checker.visible)


def _check_text(text: Any, parse_mode: str | None, *, caption: bool = False) -> str:
    """Apply Telegram's empty/too-long rules (after entity parsing and stripping)."""
    if text is None or text == "":
        if caption:
            return ""
        raise _bad("message text is empty")
    shown = visible_text(str(text), parse_mode).strip()
    if not shown and not caption:
        raise _bad("message text is empty")
    if caption and len(shown) > MAX_CAPTION:
        raise _bad("message caption is too long")
    if not caption and len(shown) > MAX_TEXT:
        raise _bad("message is too long")
    return shown


def _check_reply_markup(markup: Any) -> dict | None:
    """Reject inline keyboards Telegram would reject (oversized/empty callback_data, bare text)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad("BUTTON_DATA_INVALID")
            elif len(button) <= 1:  # only "text"
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
    return markup


# ----------------------------------------------------------------------------- request parsing


def _coerce(name: str, value: Any) -> Any:
    """Undo PTB's form encoding: non-string values arrive JSON-encoded inside form fields."""
    if not isinstance(value, str) or name in STRING_FIELDS:
        return value
    try:
        return json.loads(value, parse_constant=_reject_constant)
    except ValueError:
        return value  # e.g. chat_id="@channel"


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


_FORM_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')
_FORM_UNESCAPE = re.compile(r"%([0-9A-Fa-f]{2})|\\(.)")


def _unescape_form_param(value: str) -> str:
    # httpx escapes '"' as %22, control characters as %XX and '\' as '\\' (HTML5 style).
    return _FORM_UNESCAPE.sub(
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), value
    )


def _parse_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise _bad("multipart body without boundary")
    delimiter = b"\r\n--" + match.group(1).encode("latin-1")
    params: dict[str, Any] = {}
    for segment in (b"\r\n" + body).split(delimiter)[1:]:
        if segment.startswith(b"--"):
            break  # closing delimiter
        segment = segment.split(b"\r\n", 1)[1] if b"\r\n" in segment else b""
        head, _, content = segment.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, val = line.partition(":")
            headers[key.strip().lower()] = val.strip()
        disposition = {
            k.lower(): _unescape_form_param(quoted) if quoted is not None else plain.strip()
            for k, quoted, plain in _FORM_PARAM.findall(headers.get("content-disposition", ""))
        }
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            params[name] = {
                "filename": disposition["filename"],
                "content_type": headers.get("content-type", "application/octet-stream"),
                "size": len(content),
                "bytes": content,
            }
        else:
            params[name] = content.decode("utf-8", "replace")
    return params


def _decode_params(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    """Parameters from the query string plus a JSON, urlencoded or multipart body."""
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if body:
        if ctype == "application/json":
            try:
                loaded = json.loads(body.decode("utf-8"))
            except ValueError as exc:
                raise _bad(f"can't parse JSON body: {exc}") from None
            if not isinstance(loaded, dict):
                raise _bad("JSON body must be an object")
            raw.update(loaded)
        elif ctype == "multipart/form-data":
            raw.update(_parse_multipart(body, content_type))
        else:  # application/x-www-form-urlencoded (what PTB/httpx sends without files)
            raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    params = {name: _coerce(name, value) for name, value in raw.items()}
    for name, value in list(params.items()):  # resolve attach://<part> references
        if isinstance(value, str) and value.startswith("attach://"):
            part = params.get(value[len("attach://"):])
            if isinstance(part, dict) and "bytes" in part:
                params[name] = params.pop(value[len("attach://"):])
    return params


# ----------------------------------------------------------------------------- HTTP plumbing


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # default 5 drops SYNs under bursts -> 1 s retransmit stalls

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.open_sockets: set[socket.socket] = set()
        super().__init__(("127.0.0.1", 0), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients dropping keep-alive connections is normal; stay quiet


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.open_sockets.add(self.connection)

    def finish(self) -> None:
        self.server.open_sockets.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the benchmark pushes hundreds of requests per second

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        body = self._read_body()
        url = urlsplit(self.path)
        status, payload = self.server.fake._handle_http(
            url.path, url.query, body, self.headers.get("Content-Type", "")
        )
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        # One write for status line, headers and body: fewer syscalls, no Nagle stalls.
        head = (
            f"HTTP/1.1 {status} {self.responses.get(status, ('Error',))[0]}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n"
            + ("Connection: close\r\n" if self.close_connection else "")
            + "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + data)


# ----------------------------------------------------------------------------- the fake


class FakeTelegram(HoldsCalls):
    """In-process Telegram Bot API: queue updates for the bot, inspect the calls it makes.

    Thread-safe: the HTTP server answers from its own threads while the test thread pushes
    updates and waits for calls. All state sits behind one Condition so long polls and
    wait_for() wake as soon as something relevant happens.
    """

    GROUP_CHAT_IDS = {"group": -100200300, "supergroup": -1001002003004, "channel": -1001002003005}

    def __init__(
        self, token: str = "123456:TEST-fake-token", bot_username: str = "a4p_test_bot"
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id: int = int(prefix) if prefix.isdigit() else 1_000_000
        self.calls: list[Call] = []  # every authorised call, in arrival order (401s are not)
        self.errors: list[str] = []  # tracebacks of bugs inside the fake itself (answered 500)
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._ids = itertools.count(1)  # callback/inline query ids, file ids
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.holding = Hold(self._cond, str.lower)  # calls that wait, see hold()
        self._methods: dict[str, tuple[str, Callable[[dict], Any]]] = {
            name.lower(): (name, getattr(self, f"_api_{name}"))
            for name in (
                "getMe getUpdates sendMessage editMessageText editMessageReplyMarkup "
                "deleteMessage answerCallbackQuery answerInlineQuery setMyCommands "
                "getMyCommands deleteMyCommands setWebhook deleteWebhook getWebhookInfo "
                "sendDocument sendPhoto sendChatAction setChatMenuButton getChatMenuButton"
            ).split()
        }
        self._clear_state()

    def _clear_state(self) -> None:
        self._updates: list[dict] = []
        self._messages: dict[tuple[int, int], dict] = {}  # (chat_id, message_id) -> Message
        self._next_message_id: dict[int, int] = {}
        self._chats: dict[int, dict] = {}
        self._users: dict[int, dict] = {}
        self._commands: dict[tuple[str, str], list] = {}
        self._menu_buttons: dict[Any, dict] = {}
        self._webhook: dict[str, Any] = {"url": ""}
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """Pass to ApplicationBuilder().base_url(); PTB appends token + "/" + method."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ApplicationBuilder().base_file_url() (file downloads are not served)."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeTelegram:
        """Bind an OS-assigned port on 127.0.0.1 and serve from a daemon thread."""
        if self._server is None:
            self._stopping = False
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"FakeTelegram:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake pending long polls and drop kept-alive connections."""
        server, self._server = self._server, None
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        for sock in list(server.open_sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, queued updates, sent messages and settings between test phases.

        update_id and message_id counters keep increasing so a running Updater, whose offset
        is already past the old ids, still receives updates pushed after the reset.
        """
        with self._cond:
            self.calls.clear()
            self.errors.clear()
            next_message_id = dict(self._next_message_id)
            self._clear_state()
            self._next_message_id = next_message_id
            self._cond.notify_all()

    # -- injecting updates -----------------------------------------------------------------

    def stale_button_press(self, chat_id: int, data: str = "C3") -> dict:
        """A press on a button of an old card whose query Telegram no longer accepts:
        answering it fails with "query is too old"."""
        chat = {"id": chat_id, "type": "private", "first_name": "Test"}
        return self.push_update({"update_id": None, "callback_query": {
            "id": "stale-query", "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "chat_instance": "1", "data": data,
            "message": {"message_id": 1, "date": int(time.time()), "chat": chat,
                        "from": {"id": self.bot_id, "is_bot": True, "first_name": "bot"},
                        "text": "old card"}}})

    def push_update(self, update: dict) -> dict:
        """Queue a raw update for getUpdates; assigns the next update_id unless one is given."""
        update = dict(update)
        with self._cond:
            if update.get("update_id") is None:
                update["update_id"] = self._last_update_id = next(self._update_ids)
            elif update["update_id"] > self._last_update_id:
                self._last_update_id = update["update_id"]
                self._update_ids = itertools.count(self._last_update_id + 1)
            self._updates.append(update)
            self._updates.sort(key=lambda u: u["update_id"])
            self._cond.notify_all()
        return update

    def message(
        self,
        text: str,
        *,
        user_id: int = 1001,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Test",
        language_code: str = "zh-hans",
        reply_to_message: dict | None = None,
        entities: list[dict] | None = None,
        update_id: int | None = None,
    ) -> dict:
        """Queue a message from a user, as Telegram would deliver it (commands get entities)."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        if chat_id is None:
            chat_id = user_id if chat_type == "private" else self.GROUP_CHAT_IDS.get(
                chat_type, self.GROUP_CHAT_IDS["group"]
            )
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": first_name}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": f"Test {chat_type}"}
        entities = list(entities or [])
        if text.startswith("/") and not any(
            e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities
        ):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            entities.insert(
                0, {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            )
        with self._cond:
            self._users[user_id] = user
            self._chats[chat_id] = chat
            msg: dict[str, Any] = {
                "message_id": self._new_message_id(chat_id),
                "date": int(time.time()),
                "chat": chat,
                "text": text,
            }
            if chat_type == "channel":
                msg["sender_chat"] = chat
            else:
                msg["from"] = user
            if entities:
                msg["entities"] = entities
            if reply_to_message is not None:
                msg["reply_to_message"] = reply_to_message
            self._messages[(chat_id, msg["message_id"])] = msg
        kind = "channel_post" if chat_type == "channel" else "message"
        return self.push_update({"update_id": update_id, kind: msg})

    def callback(
        self, data: str, *, message: dict, user_id: int = 1001, update_id: int | None = None
    ) -> dict:
        """Queue a button press on `message` (e.g. one from sent_messages()) with `data`."""
        with self._cond:
            key = (message["chat"]["id"], message["message_id"])
            message = self._messages.setdefault(key, message)  # latest version, after edits
            query_id = str(next(self._ids) * 7919 + 1_000_000)
            self._open_callback_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(user_id),
                "message": message,
                "chat_instance": str(abs(hash(key[0]))),
                "data": data,
            }
        return self.push_update({"update_id": update_id, "callback_query": query})

    def inline_query(self, query: str, *, user_id: int = 1001, offset: str = "") -> dict:
        """Queue an inline query (@bot query) from a user."""
        with self._cond:
            query_id = str(next(self._ids) * 7919 + 2_000_000)
            self._open_inline_queries.add(query_id)
            payload = {"id": query_id, "from": self._user(user_id), "query": query,
                       "offset": offset, "chat_type": "sender"}
        return self.push_update({"update_id": None, "inline_query": payload})


    # -- inspecting ------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """The recorded calls of one method (names are case-insensitive, as in the Bot API)."""
        wanted = method.lower()
        with self._cond:
            return [c for c in self.calls if c.method.lower() == wanted]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls of `method` were recorded; AssertionError on timeout.

        Blocking: from async code use ``await asyncio.to_thread(tg.wait_for, ...)`` so the
        bot's event loop keeps running.
        """
        wanted = method.lower()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method.lower() == wanted]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    names = [c.method for c in self.calls]
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, got "
                        f"{len(found)}; calls so far: {names}"
                        + (f"; fake errors: {self.errors}" if self.errors else "")
                    )
                self._cond.wait(remaining)

    def sent_messages(self, chat_id: int | None = None) -> list[dict]:
        """Messages the bot sent (current version, after edits; deleted ones gone)."""
        with self._cond:
            return [
                m for (chat, _), m in self._messages.items()
                if m.get("from", {}).get("id") == self.bot_id
                and (chat_id is None or chat == chat_id)
            ]

    @property
    def pending_updates(self) -> list[dict]:
        """Queued updates the bot has not confirmed yet."""
        with self._cond:
            return list(self._updates)

    # -- dispatch --------------------------------------------------------------------------

    def _handle_http(self, path: str, query: str, body: bytes, content_type: str
                     ) -> tuple[int, dict]:
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)", path)
        if not match:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if match.group(1) != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        name, handler = self._methods.get(match.group(2).lower(), (match.group(2), None))
        try:
            params = _decode_params(body, content_type, query)
        except TelegramError as exc:
            params = {"_raw_body": body}
            error: TelegramError | None = exc
        else:
            error = None
        with self._cond:
            if self.holding.holds(name) and not self.holding.wait(lambda: self._stopping):
                return 503, {"ok": False, "error_code": 503, "description": "Service Unavailable"}
            self.calls.append(Call(name, params, time.monotonic()))
            self._cond.notify_all()
        try:
            if error is not None:
                raise error
            if handler is None:
                raise TelegramError(404, "Not Found: method not found")
            return 200, {"ok": True, "result": handler(params)}
        except TelegramError as exc:
            return exc.code, {"ok": False, "error_code": exc.code, "description": exc.description}
        except Exception:  # a bug in the fake: make it loud in the test, not a hang
            trace = traceback.format_exc()
            with self._cond:
                self.errors.append(trace)
            return 500, {"ok": False, "error_code": 500,
                         "description": f"Internal Server Error: fake_telegram: {trace}"}

    # -- helpers (call with self._cond held unless noted) -----------------------------------

    def _user(self, user_id: int) -> dict:
        return self._users.get(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "Test", "language_code": "zh-hans"},
        )

    def _bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "A4P Test Bot",
                "username": self.bot_username}

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _chat(self, chat_id: Any) -> dict:
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, str):
            if not chat_id.startswith("@"):
                raise _bad("chat not found")
            return {"id": -1001000000000 - abs(hash(chat_id)) % 10**9, "type": "channel",
                    "title": chat_id[1:], "username": chat_id[1:]}
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Test"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Test {kind}"}

    def _new_bot_message(self, params: dict, **content: Any) -> dict:
        markup = _check_reply_markup(params.get("reply_markup"))
        with self._cond:
            chat = self._chat(params.get("chat_id"))
            msg: dict[str, Any] = {
                "message_id": self._new_message_id(chat["id"]),
                "date": int(time.time()),
                "chat": chat,
                "from": self._bot_user(),
                **content,
            }
            reply = params.get("reply_parameters") or {}
            reply_id = reply.get("message_id") or params.get("reply_to_message_id")
            if reply_id is not None and (chat["id"], reply_id) in self._messages:
                original = dict(self._messages[(chat["id"], reply_id)])
                original.pop("reply_to_message", None)  # Telegram nests only one level
                msg["reply_to_message"] = original
            if markup is not None and "inline_keyboard" in markup:
                msg["reply_markup"] = markup
            self._messages[(chat["id"], msg["message_id"])] = msg
            return msg

    def _editable(self, params: dict) -> dict | None:
        """A copy of the stored message an edit targets, or None for inline messages.

        Stored messages are never mutated (edits store a new dict), because queued updates and
        responses being serialised on other threads may share them.
        """
        if params.get("inline_message_id"):
            return None
        if params.get("message_id") is None:
            raise _bad("message identifier is not specified")
        key = (self._chat(params.get("chat_id"))["id"], params["message_id"])
        msg = self._messages.get(key)
        if msg is None:
            raise _bad("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_id:
            raise _bad("message can't be edited")
        return dict(msg)

    def _file_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}fake"

    # -- API methods (each gets decoded params, returns the "result") ------------------------

    def _api_getMe(self, params: dict) -> dict:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": True,
                "can_connect_to_business": False, "has_main_web_app": False}

    def _api_getUpdates(self, params: dict) -> list[dict]:
        offset = params.get("offset")
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), LONG_POLL_CAP)
        allowed = params.get("allowed_updates") or []
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._webhook["url"]:
                raise TelegramError(409, "Conflict: can't use getUpdates method while webhook "
                                         "is active; use deleteWebhook to delete the webhook first")
            if isinstance(offset, int):
                if offset < 0:  # keep only the last -offset updates
                    self._updates = self._updates[offset:]
                elif offset > 0:  # confirms every update with a smaller id
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while True:
                ready = [u for u in self._updates
                         if not allowed or any(kind in u for kind in allowed)]
                if ready or self._stopping:
                    return ready[:limit]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._cond.wait(remaining)

    def _api_sendMessage(self, params: dict) -> dict:
        shown = _check_text(params.get("text"), params.get("parse_mode"))
        return self._new_bot_message(params, text=shown)

    def _api_editMessageText(self, params: dict) -> dict | bool:
        shown = _check_text(params.get("text"), params.get("parse_mode"))
        markup = _check_reply_markup(params.get("reply_markup"))
        with self._cond:
            msg = self._editable(params)
            if msg is None:
                return True
            if msg.get("text") == shown and msg.get("reply_markup") == markup:
                raise _bad(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            msg["text"] = shown
            msg["edit_date"] = int(time.time())
            if markup is None:
                msg.pop("reply_markup", None)  # Telegram drops the keyboard when omitted
            else:
                msg["reply_markup"] = markup
            self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
            return msg

    def _api_editMessageReplyMarkup(self, params: dict) -> dict | bool:
        markup = _check_reply_markup(params.get("reply_markup"))
        with self._cond:
            msg = self._editable(params)
            if msg is None:
                return True
            if msg.get("reply_markup") == markup:
                raise _bad(
                    "message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message"
                )
            if markup is None:
                msg.pop("reply_markup", None)
            else:
                msg["reply_markup"] = markup
            msg["edit_date"] = int(time.time())
            self._messages[(msg["chat"]["id"], msg["message_id"])] = msg
            return msg

    def _api_deleteMessage(self, params: dict) -> bool:
        with self._cond:
            key = (self._chat(params.get("chat_id"))["id"], params.get("message_id"))
            if self._messages.pop(key, None) is None:
                raise _bad("message to delete not found")
            return True

    def _api_answerCallbackQuery(self, params: dict) -> bool:
        with self._cond:
            query_id = str(params.get("callback_query_id", ""))
            if query_id not in self._open_callback_queries:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            self._open_callback_queries.discard(query_id)
            return True

    def _api_answerInlineQuery(self, params: dict) -> bool:
        results = params.get("results") or []
        if not isinstance(results, list):
            raise _bad("can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise _bad("RESULTS_TOO_MUCH")
        ids = [str(r.get("id")) for r in results]
        if len(set(ids)) != len(ids):
            raise _bad("RESULT_ID_DUPLICATE")
        for result in results:
            _check_reply_markup(result.get("reply_markup"))
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                _check_text(content["message_text"], content.get("parse_mode"))
        with self._cond:
            query_id = str(params.get("inline_query_id", ""))
            if query_id not in self._open_inline_queries:
                raise _bad("query is too old and response timeout expired or query ID is invalid")
            self._open_inline_queries.discard(query_id)
            return True

    @staticmethod
    def _command_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code") or ""

    def _api_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise _bad("command description is empty")
        with self._cond:
            self._commands[self._command_key(params)] = commands
        return True

    def _api_getMyCommands(self, params: dict) -> list:
        with self._cond:
            return self._commands.get(self._command_key(params), [])

    def _api_deleteMyCommands(self, params: dict) -> bool:
        with self._cond:
            self._commands.pop(self._command_key(params), None)
        return True

    def _api_setWebhook(self, params: dict) -> bool:
        with self._cond:
            self._webhook = {k: v for k, v in params.items() if k != "certificate"}
            self._webhook["url"] = str(params.get("url") or "")
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_deleteWebhook(self, params: dict) -> bool:
        with self._cond:
            self._webhook = {"url": ""}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True

    def _api_getWebhookInfo(self, params: dict) -> dict:
        with self._cond:
            info = {"url": self._webhook["url"], "has_custom_certificate": False,
                    "pending_update_count": len(self._updates)}
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
            return info

    def _caption(self, params: dict) -> dict:
        caption = _check_text(params.get("caption"), params.get("parse_mode"), caption=True)
        return {"caption": caption} if caption else {}

    def _api_sendDocument(self, params: dict) -> dict:
        document = params.get("document")
        if not document:
            raise _bad("there is no document in the request")
        file_id = self._file_id("BQAC")
        doc: dict[str, Any] = {"file_id": file_id, "file_unique_id": file_id[-12:]}
        if isinstance(document, dict):
            doc.update(file_name=document["filename"], mime_type=document["content_type"],
                       file_size=document["size"])
        return self._new_bot_message(params, document=doc, **self._caption(params))

    def _api_sendPhoto(self, params: dict) -> dict:
        photo = params.get("photo")
        if not photo:
            raise _bad("there is no photo in the request")
        size = photo["size"] if isinstance(photo, dict) else 1024
        file_id = self._file_id("AgAC")
        sizes = [{"file_id": file_id, "file_unique_id": file_id[-12:], "width": 320,
                  "height": 240, "file_size": size}]
        return self._new_bot_message(params, photo=sizes, **self._caption(params))

    def _api_sendChatAction(self, params: dict) -> bool:
        with self._cond:
            self._chat(params.get("chat_id"))
        if not params.get("action"):
            raise _bad("action is empty")
        return True

    def _api_setChatMenuButton(self, params: dict) -> bool:
        with self._cond:
            self._menu_buttons[params.get("chat_id")] = params.get("menu_button") or {
                "type": "default"}
        return True

    def _api_getChatMenuButton(self, params: dict) -> dict:
        with self._cond:
            return self._menu_buttons.get(params.get("chat_id"), {"type": "default"})


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets/lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
