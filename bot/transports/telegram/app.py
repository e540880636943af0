"""The Telegram application: all wiring in one function, so the bot's surface reads in one screen."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any, Callable

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler,
                          CommandHandler, InlineQueryHandler, MessageHandler, filters)

from bot.conversation.assistant import Assistant
from bot.conversation.commands import COMMANDS, MENU
from bot.desk.health import health_report
from bot.storage.inbox import Inbox
from bot.settings import Settings
from . import conversation, inline, schedule
from .delivery import InboxProcessor, InboxQueue, KeepingRequest
from .request import AiohttpRequest
from .webhook import serve_webhook

log = logging.getLogger(__name__)
WEBHOOK_PATH = "telegram"
DASHBOARD_PATH = "/dashboard"  # the web dashboard (bot/web/) beside the webhook
HTTP_SESSIONS = "http_sessions"  # bot_data key: the AiohttpRequest objects, closed by `run`
STARTED = "started"  # bot_data key: what to begin once Telegram accepted the token

# Updates handled at once. Answering costs ~2 ms of CPU on the event loop; with every pending
# update interleaved (PTB's `True` = 256) each waits for all the others, so a burst answers
# everyone late (benchmarks/telegram_pipeline.py: p99 3-4x p50). A few at a time answer in
# arrival order with a tight tail, and 4 round trips of ~0.1 s to Telegram still carry ~40
# updates/s, above the 30 messages/s Telegram accepts from a bot.
CONCURRENT_UPDATES = 4
# Connections for the handlers' requests (getUpdates has its own): one per concurrent update,
# plus slack for the error handler, jobs and start-up.
CONNECTION_POOL_SIZE = 2 * CONCURRENT_UPDATES


async def _register_commands(application: Application) -> None:
    """Publish the command menu: Chinese by default, English and French for users whose
    Telegram speaks them."""
    bot = application.bot
    await bot.set_my_commands([BotCommand(c.name, c.help) for c in MENU],
                              scope=BotCommandScopeDefault())
    for language in ("en", "fr"):
        await bot.set_my_commands([BotCommand(c.name, c.describe(language)) for c in MENU],
                                  scope=BotCommandScopeDefault(), language_code=language)
    assistant: Assistant = application.bot_data["assistant"]
    if assistant.access is not None and bot.username:  # invites then carry a one-tap link
        assistant.access.deep_links["telegram"] = f"https://t.me/{bot.username}?start="
    log.info("bot @%s ready: %d commands registered", bot.username, len(MENU))


async def _start(application: Application) -> None:
    """Before serving (Telegram has accepted the token): begin the background warm-ups, queue
    what a crash left unanswered, then publish the menu."""
    started: Callable[[], None] | None = application.bot_data.get(STARTED)
    if started is not None:
        started()
    if isinstance(application.update_queue, InboxQueue):
        await application.update_queue.replay(application.bot)
    await _register_commands(application)


def build_application(settings: Settings, assistant: Assistant, *,
                      rate_limit: bool = True) -> Application:
    """Build the PTB Application with every handler; nothing is sent until it starts.

    With a store, updates go through the inbox (delivery.py): kept before Telegram is
    told they arrived, marked done once answered, answered at start if a crash left them.
    """
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry the token URL
    token = settings.bot_token()
    queue = (InboxQueue(Inbox(assistant.store.engine), token.partition(":")[0])
             if assistant.store is not None else None)
    requests = (AiohttpRequest(CONNECTION_POOL_SIZE),  # handlers; getUpdates:
                KeepingRequest(queue) if queue is not None else AiohttpRequest(1))
    builder = (ApplicationBuilder()
               .token(token)
               .base_url(settings.base_url())
               .base_file_url(settings.base_url().removesuffix("/bot") + "/file/bot")
               .concurrent_updates(CONCURRENT_UPDATES)
               .request(requests[0])
               .get_updates_request(requests[1])
               .post_init(_start))
    if queue is not None:
        builder = (builder.update_queue(queue).concurrent_updates(
            InboxProcessor(queue.inbox, queue.bot_id, CONCURRENT_UPDATES)))
    if rate_limit:
        # PTB types the builder's rate limiter as BaseRateLimiter[None]; AIORateLimiter's is int
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))  # type: ignore[arg-type]
    application = builder.build()
    application.bot_data["assistant"] = assistant
    application.bot_data[HTTP_SESSIONS] = requests

    names = [name for c in COMMANDS if c.typed for name in (c.name, *c.aliases)]
    application.add_handler(CommandHandler(names, conversation.command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, conversation.question))
    application.add_handler(MessageHandler(filters.COMMAND, conversation.command))  # unknown: polite reply
    application.add_handler(CallbackQueryHandler(conversation.button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_error_handler(conversation.on_error)
    if application.job_queue is not None and assistant.reminders is not None:
        application.job_queue.run_repeating(schedule.send_reminders, name="reminders",
                                            interval=settings.a4p_reminder_interval,
                                            first=min(5.0, settings.a4p_reminder_interval))
    return application


def run(settings: Settings, assistant: Assistant, *, webhook_url: str | None = None,
        listen: str = "0.0.0.0", port: int = 8443,
        started: Callable[[], None] | None = None) -> None:
    """Serve until SIGINT/SIGTERM: long polling by default, a webhook if a URL is given.
    `started` runs once Telegram has accepted the token, so a rejected one exits at once
    instead of waiting for warm-ups it will never use."""
    secret = settings.webhook_secret()  # the one the log filter blanks out
    application = build_application(settings, assistant)
    application.bot_data[STARTED] = started
    loop = asyncio.get_event_loop_policy().get_event_loop()
    try:
        serve(application, webhook_url=webhook_url, listen=listen, port=port, secret=secret,
              close_loop=False)
    finally:
        # PTB skips shutdown when start-up fails (a rejected token): close our HTTP sessions.
        loop.run_until_complete(asyncio.gather(
            *(r.shutdown() for r in application.bot_data[HTTP_SESSIONS])))
        loop.close()
        if isinstance(application.update_queue, InboxQueue):
            application.update_queue.inbox.close()  # this process no longer answers any


def serve(application: Application, *, webhook_url: str | None = None, listen: str = "0.0.0.0",
          port: int = 8443, secret: str | None = None, stop: asyncio.Event | None = None,
          **run_options: Any) -> None:
    """Run a built application; `run_options` go to PTB (tests pass stop_signals=None).

    Webhook requests must carry `secret` in X-Telegram-Bot-Api-Secret-Token (403
    otherwise); without a configured secret a random one is made per start, which
    Telegram learns through setWebhook. Webhook mode also serves /healthz; `stop` (tests)
    ends it like SIGTERM does.
    """
    if webhook_url is None:
        application.run_polling(allowed_updates=Update.ALL_TYPES, **run_options)
        return
    assistant: Assistant = application.bot_data["assistant"]
    serving = serve_webhook(
        application, webhook_url=webhook_url.rstrip("/") + "/" + WEBHOOK_PATH, path=WEBHOOK_PATH,
        listen=listen, port=port, secret=secret or secrets.token_urlsafe(32),
        health=lambda: health(assistant), stop=stop,
        handle_signals=run_options.get("stop_signals", ()) is not None,
        more=dashboard(assistant))
    asyncio.get_event_loop_policy().get_event_loop().run_until_complete(serving)


def dashboard(assistant: Assistant) -> list[Any]:
    """The web dashboard's routes under /dashboard (it needs the store)."""
    if assistant.store is None:
        return []
    from bot.web.server import routes

    return routes(assistant, DASHBOARD_PATH)


def health(assistant: Assistant) -> dict[str, Any]:
    """What /healthz reports (bot/desk/health.py, as `a4pbot health` does)."""
    store = assistant.store
    return health_report(assistant.catalogue, store.ping() if store is not None else None)
