"""The Telegram application: all wiring in one function, so the bot's surface reads in one screen."""

from __future__ import annotations

import logging
import secrets

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler,
                          CommandHandler, InlineQueryHandler, MessageHandler, filters)

from ..assistant import Assistant
from ..commands import COMMANDS
from ..settings import Settings
from . import conversation, inline

log = logging.getLogger(__name__)


async def _register_commands(application: Application) -> None:
    """Publish the command menu: Chinese by default, English for English-speaking users."""
    bot = application.bot
    await bot.set_my_commands([BotCommand(c.name, c.help) for c in COMMANDS],
                              scope=BotCommandScopeDefault())
    await bot.set_my_commands([BotCommand(c.name, c.help_en) for c in COMMANDS],
                              scope=BotCommandScopeDefault(), language_code="en")
    log.info("bot @%s ready: %d commands registered", bot.username, len(COMMANDS))


def build_application(settings: Settings, assistant: Assistant, *,
                      rate_limit: bool = True) -> Application:
    """Build the PTB Application with every handler; nothing is sent until it starts."""
    builder = (ApplicationBuilder()
               .token(settings.bot_token())
               .base_url(settings.base_url())
               .base_file_url(settings.base_url().removesuffix("/bot") + "/file/bot")
               .concurrent_updates(True)
               .post_init(_register_commands))
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    application = builder.build()
    application.bot_data["assistant"] = assistant

    names = [name for c in COMMANDS for name in (c.name, *c.aliases)]
    application.add_handler(CommandHandler(names, conversation.command))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, conversation.question))
    application.add_handler(MessageHandler(filters.COMMAND, conversation.command))  # unknown: polite reply
    application.add_handler(CallbackQueryHandler(conversation.button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_error_handler(conversation.on_error)
    return application


def run(settings: Settings, assistant: Assistant, *, webhook_url: str | None = None,
        listen: str = "0.0.0.0", port: int = 8443) -> None:
    """Serve until stopped: long polling by default, a webhook with a secret token if a URL is given."""
    application = build_application(settings, assistant)
    if webhook_url is None:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
        return
    secret = (settings.telegram_webhook_secret.get_secret_value()
              if settings.telegram_webhook_secret else secrets.token_urlsafe(32))
    application.run_webhook(listen=listen, port=port, url_path="telegram",
                            webhook_url=webhook_url.rstrip("/") + "/telegram",
                            secret_token=secret, allowed_updates=Update.ALL_TYPES)
