"""The HTTP edge of the Slack bot: a request bolt cannot handle is refused before it gets there.

Bolt parses a body before it checks anything and its listeners index payloads directly, so
a signed but malformed request (`null`, `[]`, a slash command without a user, an action
without a user id) used to end in a 500 with a traceback. Here an unsigned request gets
401 as from bolt, a signed one whose shape our listeners cannot read gets 400 and one log
line, and everything else goes to bolt unchanged.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)
MAX_BODY = 1_000_000  # Slack's payloads are a few kilobytes; a modal's state a few more


class GuardedRequestHandler(SlackRequestHandler):
    """bolt's WSGI adapter with the body read once, checked, then dispatched."""

    def __init__(self, app: App, path: str, signing_secret: str | None) -> None:
        super().__init__(app, path=path)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        raw = _read(request.environ)
        headers = request.get_headers()
        try:
            body = raw.decode("utf-8") if raw is not None else None
        except UnicodeDecodeError:  # never from Slack, and no signature can be checked over it
            return BoltResponse(status=401, body={"error": "invalid request"})
        if self.verifier is not None and not self.verifier.is_valid_request(
                body or "", headers):  # type: ignore[arg-type]  # bolt's own header shape
            return BoltResponse(status=401, body={"error": "invalid request"})
        problem = "unreadable body" if body is None else malformed(body, headers)
        if problem is not None or body is None:
            log.warning("Slack request refused (400): %s", problem)
            return BoltResponse(status=400, body="")
        return self.app.dispatch(BoltRequest(body=body, query=request.query_string,
                                             headers=headers))


def _read(environ: dict[str, Any]) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 <= length <= MAX_BODY or "wsgi.input" not in environ:
        return None if length else b""
    return environ["wsgi.input"].read(length)


def malformed(body: str, headers: dict[str, Any]) -> str | None:
    """What our listeners (and bolt's middleware) could not read in a request; None if fine."""
    content_type = headers.get("content-type")
    try:
        payload = parse_body(body, content_type if isinstance(content_type, str) else None)
    except ValueError:
        return "not JSON or form data"
    if not isinstance(payload, dict):
        return "not an object"
    if "command" in payload:
        return None if _texts(payload, "command", "user_id", "channel_id", "trigger_id") \
            else "a command without user, channel or trigger"
    kind = payload.get("type")
    check = _SHAPES.get(kind) if isinstance(kind, str) else None
    if check is None:
        return None if isinstance(kind, str) else "no type"
    return None if check(payload) else f"a {kind} payload missing what it needs"


def _texts(payload: Any, *keys: str) -> bool:
    """Does `payload` hold a non-empty string under each key?"""
    return isinstance(payload, dict) and all(isinstance(payload.get(k), str) and payload[k]
                                             for k in keys)


def _optional(payload: dict[str, Any], key: str, kind: type) -> bool:
    return payload.get(key) is None or isinstance(payload.get(key), kind)


def _event(payload: dict[str, Any]) -> bool:
    event = payload.get("event")
    if not isinstance(event, dict) or not _texts(event, "type"):
        return False
    if event["type"] in ("message", "app_mention"):
        return (isinstance(event.get("channel"), str)
                and all(_optional(event, key, str)
                        for key in ("text", "user", "ts", "thread_ts", "subtype", "channel_type")))
    return True


def _user(payload: dict[str, Any]) -> bool:
    return _texts(payload.get("user"), "id") and _optional(payload["user"], "name", str)


def _actions(payload: dict[str, Any]) -> bool:
    actions = payload.get("actions")
    return (_user(payload) and isinstance(actions, list) and bool(actions)
            and all(isinstance(a, dict) and _optional(a, "value", str) for a in actions)
            and all(_optional(payload, key, dict) for key in ("channel", "container", "message"))
            and (payload.get("message") is None or _texts(payload["message"], "ts")))


def _view(payload: dict[str, Any]) -> bool:
    view = payload.get("view")
    values = (view.get("state") or {}).get("values") if isinstance(view, dict) else None
    return (_user(payload) and _texts(view, "id", "type", "callback_id") and isinstance(values, dict)
            and all(isinstance(block, dict) and all(isinstance(e, dict) for e in block.values())
                    for block in values.values()))


_SHAPES = {"event_callback": _event, "block_actions": _actions, "view_submission": _view,
           "url_verification": lambda p: _texts(p, "challenge")}
