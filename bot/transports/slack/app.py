"""The Slack bot: slash command, mentions, direct messages, buttons and the update modal.

Listeners are thin — parse the payload, call the core, render Block Kit — and all wiring
sits in `build_app` at the bottom. Events and slash commands go through the inbox
(bot/storage/inbox.py): kept in the database before they are acknowledged, marked done once
answered, and answered by `answer_pending` at start if a crash left them (a command's
`response_url` stays valid for 30 minutes). Slack retries an event it thinks failed
(`X-Slack-Retry-Num`); a retry of an event already kept (on any replica) is acknowledged
and not answered again.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.conversation import i18n
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.commands import find_command
from bot.conversation.identity import Sender
from bot.storage.inbox import Inbox
from bot.conversation.refusals import Refusal
from bot.conversation.replies import Reply
from bot.desk.sanitise import clean_text
from bot.settings import Settings
from . import blocks

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when progress tracking is on
    from bot.desk.reminders import Reminder

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/a4p"
PLATFORM = "slack"  # the inbox's platform name
REPLAY = "a4p_replay"  # context flag: a delivery answered again from the inbox
SHARE_WORDS = ("share", "公开")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


class SlackBot:
    """The listeners, holding the core and what they remember per channel."""

    def __init__(self, assistant: Assistant, inbox: Inbox | None = None) -> None:
        self.assistant = assistant
        self.inbox = inbox
        self._states: dict[str, ChatState] = {}
        self._seen: set[str] = set()  # event ids, when there is no store to keep them in
        self._locales: dict[str, str] = {}
        self._lock = threading.Lock()

    def state(self, channel: str) -> ChatState:
        with self._lock:
            return self._states.setdefault(channel, ChatState())

    def sender(self, client: WebClient, user_id: str, name: str = "") -> Sender:
        """The user, with their Slack locale (users.info, asked once per user and process;
        payloads carry none). The language choice follows it unless they set /lang."""
        with self._lock:
            locale = self._locales.get(user_id)
        if locale is None:
            try:
                locale = client.users_info(user=user_id, include_locale=True)["user"].get(
                    "locale", "")
            except SlackApiError as exc:  # missing users:read scope …: default language
                log.warning("no locale for a Slack user: %s", exc.response.get("error"))
                locale = ""
            with self._lock:
                self._locales[user_id] = locale
        return Sender("slack", user_id, name, language=locale)

    def receive(self, key: str, body: dict[str, Any]) -> bool:
        """Keep an event or command before it is acknowledged; False when it was kept
        before (a retry)."""
        key = clean_text(key)  # ids from the payload: no NUL reaches the database
        if self.inbox is not None:
            return self.inbox.receive(PLATFORM, key, json.dumps(body, ensure_ascii=False))
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    def keep(self, body: dict[str, Any], context: BoltContext,
             next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002 - bolt's name
        """Middleware of the event and command listeners, run before they are acknowledged:
        keep the event or command in the inbox; a retry of one kept before is acknowledged
        and dropped. If the database fails, bolt answers 500 and Slack retries."""
        key = _inbox_key(body)
        if context.get(REPLAY) or key is None or self.receive(key, body):
            next()
            return None
        return BoltResponse(status=200, body="")

    def done(self, key: str) -> None:
        if self.inbox is not None:
            self.inbox.mark_done(PLATFORM, key)

    # -- listeners ---------------------------------------------------------------------

    def command(self, ack: Ack, command: dict[str, Any], respond: Respond,
                client: WebClient) -> None:
        """`/a4p 问题`, `/a4p C17`, `/a4p areas`, `/a4p progress A2`, `/a4p update …`.

        Answers only the asker (ephemeral) unless the text starts with `share`/`公开`.
        Marked done in the inbox once answered (or failed, as `message`).
        """
        ack()
        try:
            text, shared = _shared(command.get("text", ""))
            sender = self.sender(client, command["user_id"], command.get("user_name", ""))
            if text.lower() == "update" and self.assistant.flow is not None:
                self._open_form(client, command["trigger_id"], sender, respond)
                return
            reply = self.assistant.respond(as_chat(text), self.state(command["channel_id"]),
                                           sender, key=f"slack:command:{command['trigger_id']}")
            respond(text=blocks.fallback(reply), blocks=blocks.blocks(reply),
                    response_type="in_channel" if shared else "ephemeral")
            self._upload(client, command["channel_id"], reply)
        finally:
            self.done(f"command:{command['trigger_id']}")

    def message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """A mention in a channel, or anything written to the bot in a direct message.

        Marked done in the inbox once answered, or once it failed (bolt logs the error):
        an event that breaks the bot is not retried forever."""
        if not _answerable(event):
            return
        try:
            text = _MENTION.sub("", event.get("text", "")).strip()
            sender = self.sender(client, event.get("user", ""))
            reply = self.assistant.respond(as_chat(text) if text else "/help",
                                           self.state(event["channel"]), sender,
                                           key=f"slack:event:{body.get('event_id')}")
            client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts"),
                                    text=blocks.fallback(reply), blocks=blocks.blocks(reply))
            self._upload(client, event["channel"], reply)
        finally:
            self.done(f"event:{_event_id(body)}")

    def button(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond,
               client: WebClient) -> None:
        """Open what a button points to, replacing the message it sits on."""
        ack()
        channel = (body.get("channel") or {}).get("id", "")
        sender = self.sender(client, body["user"]["id"], body["user"].get("name", ""))
        reply = self.assistant.press(action.get("value", ""), self.state(channel), sender)
        container = body.get("container") or {}
        if container.get("is_ephemeral") or not body.get("message"):
            respond(text=blocks.fallback(reply), blocks=blocks.blocks(reply), replace_original=True)
        else:
            client.chat_update(channel=channel, ts=body["message"]["ts"],
                               text=blocks.fallback(reply), blocks=blocks.blocks(reply))

    def submit(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
               client: WebClient) -> None:
        """The update modal: errors go back into the form; a stored update to the user's DM."""
        flow = self.assistant.flow
        sender = self.sender(client, body["user"]["id"], body["user"].get("name", ""))
        with i18n.use(self.assistant.language(sender)):
            result = (flow.form(sender, blocks.form_values(view), key=f"slack:view:{view['id']}")
                      if flow is not None else {"commitment": i18n.t("assistant.no_store")})
        if isinstance(result, dict):
            ack(response_action="errors", errors=result)
            return
        ack()
        client.chat_postMessage(channel=sender.id, text=blocks.fallback(result),
                                blocks=blocks.blocks(result))

    def _open_form(self, client: WebClient, trigger_id: str, sender: Sender,
                   respond: Respond) -> None:
        assert self.assistant.flow is not None
        with i18n.use(self.assistant.language(sender)):  # Slack sends no locale: /lang or zh
            try:
                view = blocks.update_modal(self.assistant.flow.form_choices(sender))
            except Refusal as refusal:
                respond(text=blocks.fallback(refusal.reply), blocks=blocks.blocks(refusal.reply),
                        response_type="ephemeral")
                return
        client.views_open(trigger_id=trigger_id, view=view)

    @staticmethod
    def _upload(client: WebClient, channel: str, reply: Reply) -> None:
        """Exports: the reply's files, uploaded into the conversation."""
        if reply.files:
            client.files_upload_v2(channel=channel, file_uploads=[
                {"content": f.data, "filename": f.filename, "title": f.filename}
                for f in reply.files])


def _answerable(event: dict[str, Any]) -> bool:
    """A mention, or a user's own message in a DM (not edits, joins or bots' messages)."""
    if event.get("type") == "app_mention":
        return True
    return (event.get("type") == "message" and event.get("channel_type") == "im"
            and not event.get("subtype") and not event.get("bot_id"))


def _event_id(body: dict[str, Any]) -> str:
    return str(body.get("event_id") or (body.get("event") or {}).get("ts"))


def _inbox_key(body: dict[str, Any]) -> str | None:
    """What identifies a delivery in the inbox: a command's trigger id, an answerable
    event's id; None for what is not answered (and so not kept)."""
    if body.get("command") and body.get("trigger_id"):
        return f"command:{body['trigger_id']}"
    if _answerable(body.get("event") or {}):
        return f"event:{_event_id(body)}"
    return None


def as_chat(text: str) -> str:
    """Slack text -> what the core understands: `progress A2` -> `/progress A2`, else a question."""
    text = text.strip()
    if not text:
        return "/help"
    head, _, rest = text.partition(" ")
    if not head.startswith("/") and find_command(head.lower()) is not None:
        return f"/{head.lower()} {rest}".strip()
    return text


def _shared(text: str) -> tuple[str, bool]:
    head, _, rest = text.strip().partition(" ")
    if head.lower() in SHARE_WORDS:
        return rest.strip(), True
    return text.strip(), False


def build_app(settings: Settings, assistant: Assistant, *, client: WebClient | None = None,
              inbox: Inbox | None = None) -> App:
    """The bolt App with every listener; `client` defaults to one on SLACK_API_URL, `inbox`
    to one on the assistant's store (events then go through it)."""
    token, secret, _ = settings.slack()
    client = client or WebClient(token=token, base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=secret or "", logger=log,
              request_verification_enabled=bool(secret))
    if inbox is None and assistant.store is not None:
        inbox = Inbox(assistant.store.engine)
    bot = SlackBot(assistant, inbox)
    app.command(COMMAND, middleware=[bot.keep])(bot.command)
    app.event("app_mention", middleware=[bot.keep])(bot.message)
    app.event("message", middleware=[bot.keep])(bot.message)
    app.action(re.compile(r"^a4p:"))(bot.button)
    app.view(blocks.UPDATE_VIEW)(bot.submit)
    return app


def answer_pending(app: App, inbox: Inbox) -> int:
    """Before serving: answer the events and commands a crash left unanswered, oldest
    first, by dispatching them through the app again (on bolt's worker threads)."""
    pending = inbox.pending(PLATFORM)
    for entry in pending:
        app.dispatch(BoltRequest(body=json.loads(entry.payload), mode="socket_mode",
                                 context={REPLAY: True}))
    if pending:
        log.warning("answering %d Slack event(s) the last run left unanswered", len(pending))
    return len(pending)


def start_reminders(assistant: Assistant, client: WebClient, interval: float
                    ) -> threading.Event:
    """Every `interval` seconds, DM each Slack focal point their due reminder (see
    bot/desk/reminders.py: claimed in the database, so replicas send it once). Set the returned
    event to stop."""
    stop = threading.Event()

    def loop() -> None:
        wait = min(5.0, interval)  # the first round soon after start
        while not stop.wait(wait):
            wait = interval
            if assistant.reminders is None:
                return
            try:
                for reminder in assistant.reminders.round("slack"):
                    _deliver_reminder(client, reminder)
            except Exception:  # noqa: BLE001 - try again next round; never kill the loop
                log.exception("Slack reminders failed this round")

    threading.Thread(target=loop, name="slack-reminders", daemon=True).start()
    return stop


def _deliver_reminder(client: WebClient, reminder: Reminder) -> None:
    """DM one reminder; one that cannot be delivered (a deactivated user …) does not stop
    the others, already claimed for this round."""
    try:
        client.chat_postMessage(channel=reminder.user.external_id,
                                text=blocks.fallback(reminder.reply),
                                blocks=blocks.blocks(reminder.reply))
    except SlackApiError as exc:
        log.warning("reminder to user %s not delivered: %s", reminder.user.id,
                    exc.response.get("error"))


def run(settings: Settings, assistant: Assistant, *, listen: str = "0.0.0.0",
        port: int = 3000) -> None:
    """`a4pbot slack`: answer what a crash left pending, then serve until SIGTERM/SIGINT."""
    inbox = Inbox(assistant.store.engine) if assistant.store is not None else None
    app = build_app(settings, assistant, inbox=inbox)
    if inbox is not None:
        answer_pending(app, inbox)
    start_reminders(assistant, app.client, settings.a4p_reminder_interval)
    try:
        serve(app, settings, listen=listen, port=port)
    finally:
        if inbox is not None:
            inbox.close()


def serve(app: App, settings: Settings, *, listen: str = "0.0.0.0", port: int = 3000) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP on `EVENTS_PATH` (waitress)."""
    _, _, app_token = settings.slack()
    if app_token:
        socket_mode(app, app_token).start()  # blocks; SIGINT/SIGTERM end the process
        return
    server = make_server(app, listen, port)

    def stop(signum: int, _frame: object) -> None:
        # Let the requests in hand finish first, then stop accepting: closing first would
        # pull the rug (the wake-up pipe) from under a worker still answering. bolt's
        # listener threads (answers sent after the ack) are joined when the interpreter exits.
        log.info("signal %d: stopping", signum)
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=10)
        server.close()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_until_closed(server)


def run_until_closed(server) -> None:  # noqa: ANN001 - a waitress server
    """Serve until `server.close()` (from a signal handler or another thread): waitress's
    loop then fails on the closed listener (OSError, ValueError), which is how it ends."""
    try:
        server.run()
    except (OSError, ValueError):
        pass


def socket_mode(app: App, app_token: str):  # noqa: ANN201 - a bolt SocketModeHandler
    """Socket Mode: Slack pushes over a WebSocket the bot opens (no public address); the
    connection URL comes from `apps.connections.open` on SLACK_API_URL."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(app, app_token, web_client=app.client)


def make_server(app: App, listen: str, port: int):  # noqa: ANN201 - a waitress server
    """A production WSGI server for events, commands and interactivity on one path; requests
    bolt could not read are refused at the door (see guard.py)."""
    from waitress import create_server

    from .guard import GuardedRequestHandler

    secret = getattr(app, "_signing_secret", "") or None  # bolt keeps it private; "" = unsigned mode
    return create_server(GuardedRequestHandler(app, EVENTS_PATH, secret), host=listen, port=port,
                         ident="a4p-bot")
