"""The Slack bot: slash command, mentions, direct messages, buttons and the update modal.

Listeners are thin — parse the payload, call the core, render Block Kit — and all wiring
sits in `build_app` at the bottom. Slack retries an event it thinks failed
(`X-Slack-Retry-Num`); each event id is claimed in the database first, so a retry (on
any replica) is answered once and stores nothing twice.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from .. import i18n
from ..assistant import Assistant, ChatState
from ..commands import find_command
from ..identity import Sender
from ..replies import Reply
from ..sanitise import clean_text
from ..settings import Settings
from . import blocks

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
COMMAND = "/a4p"
SHARE_WORDS = ("share", "公开")
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


class SlackBot:
    """The listeners, holding the core and what they remember per channel."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._states: dict[str, ChatState] = {}
        self._seen: set[str] = set()  # event ids, when there is no store to claim them in
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

    def first(self, key: str) -> bool:
        """Claim a delivery; False when it was processed before (a Slack retry)."""
        key = clean_text(key)  # ids from the payload: no NUL reaches the database
        if self.assistant.store is not None:
            return self.assistant.store.first_delivery(key)
        with self._lock:
            if key in self._seen:
                return False
            self._seen.add(key)
            return True

    # -- listeners ---------------------------------------------------------------------

    def command(self, ack: Ack, command: dict[str, Any], respond: Respond,
                client: WebClient) -> None:
        """`/a4p 问题`, `/a4p C17`, `/a4p areas`, `/a4p progress A2`, `/a4p update …`.

        Answers only the asker (ephemeral) unless the text starts with `share`/`公开`.
        """
        ack()
        text, shared = _shared(command.get("text", ""))
        sender = self.sender(client, command["user_id"], command.get("user_name", ""))
        if text.lower() == "update" and self.assistant.flow is not None:
            self._open_form(client, command["trigger_id"], sender, respond)
            return
        reply = self.assistant.respond(as_chat(text), self.state(command["channel_id"]), sender,
                                       key=f"slack:command:{command['trigger_id']}")
        respond(text=blocks.fallback(reply), blocks=blocks.blocks(reply),
                response_type="in_channel" if shared else "ephemeral")
        self._upload(client, command["channel_id"], reply)

    def message(self, event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        """A mention in a channel, or anything written to the bot in a direct message."""
        if event.get("type") == "message" and (event.get("channel_type") != "im"
                                               or event.get("subtype") or event.get("bot_id")):
            return
        if not self.first(f"slack:event:{body.get('event_id') or event.get('ts')}"):
            return  # a retry of an event already answered
        text = _MENTION.sub("", event.get("text", "")).strip()
        sender = self.sender(client, event.get("user", ""))
        reply = self.assistant.respond(as_chat(text) if text else "/help",
                                       self.state(event["channel"]), sender,
                                       key=f"slack:event:{body.get('event_id')}")
        client.chat_postMessage(channel=event["channel"], thread_ts=event.get("thread_ts"),
                                text=blocks.fallback(reply), blocks=blocks.blocks(reply))
        self._upload(client, event["channel"], reply)

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
            choices = self.assistant.flow.form_choices(sender)
            view = None if isinstance(choices, Reply) else blocks.update_modal(choices)
        if isinstance(choices, Reply):
            respond(text=blocks.fallback(choices), blocks=blocks.blocks(choices),
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


def build_app(settings: Settings, assistant: Assistant, *,
              client: WebClient | None = None) -> App:
    """The bolt App with every listener; `client` defaults to one on SLACK_API_URL."""
    token, secret, _ = settings.slack()
    client = client or WebClient(token=token, base_url=settings.slack_api_url)
    app = App(client=client, signing_secret=secret or "", logger=log,
              request_verification_enabled=bool(secret))
    bot = SlackBot(assistant)
    app.command(COMMAND)(bot.command)
    app.event("app_mention")(bot.message)
    app.event("message")(bot.message)
    app.action(re.compile(r"^a4p:"))(bot.button)
    app.view(blocks.UPDATE_VIEW)(bot.submit)
    return app


def start_reminders(assistant: Assistant, client: WebClient, interval: float
                    ) -> threading.Event:
    """Every `interval` seconds, DM each Slack focal point their due reminder (see
    bot/reminders.py: claimed in the database, so replicas send it once). Set the returned
    event to stop."""
    stop = threading.Event()

    def loop() -> None:
        wait = min(5.0, interval)  # the first round soon after start
        while not stop.wait(wait):
            wait = interval
            if assistant.reminders is None or assistant.store is None:
                return
            try:
                assistant.store.prune()
                for reminder in assistant.reminders.due("slack"):
                    client.chat_postMessage(channel=reminder.user.external_id,
                                            text=blocks.fallback(reminder.reply),
                                            blocks=blocks.blocks(reminder.reply))
            except Exception:  # noqa: BLE001 - try again next round; never kill the loop
                log.exception("Slack reminders failed this round")

    threading.Thread(target=loop, name="slack-reminders", daemon=True).start()
    return stop


def serve(app: App, settings: Settings, *, listen: str = "0.0.0.0", port: int = 3000) -> None:
    """Socket Mode when SLACK_APP_TOKEN is set, else HTTP on `EVENTS_PATH` (waitress)."""
    _, _, app_token = settings.slack()
    if app_token:
        socket_mode(app, app_token).start()  # blocks; SIGINT/SIGTERM end the process
        return
    server = make_server(app, listen, port)

    def stop(signum: int, _frame: object) -> None:
        # Stop accepting; requests already received finish, and bolt's listener threads
        # (answers sent after the ack) are joined when the interpreter exits.
        log.info("signal %d: stopping", signum)
        server.close()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.run()
    except (OSError, ValueError):  # the loop ends once the closed listener is gone
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
