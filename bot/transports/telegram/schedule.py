"""Scheduled work on python-telegram-bot's JobQueue: reminders to owners of silent commitments.

JobQueue jobs are not persisted, and need not be: each run asks the database who is due.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.conversation.assistant import Assistant
from . import render

log = logging.getLogger(__name__)


async def send_reminders(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send each due reminder to the focal point's private chat (Telegram: their user id)."""
    assistant: Assistant = context.bot_data["assistant"]
    if assistant.reminders is None:
        return
    due = await asyncio.to_thread(assistant.reminders.round, "telegram")
    for reminder in due:
        try:
            await context.bot.send_message(int(reminder.user.external_id),
                                           render.chunks(render.html(reminder.reply))[0],
                                           parse_mode=ParseMode.HTML,
                                           reply_markup=render.keyboard(reminder.reply))
        except TelegramError as exc:  # blocked the bot, never started it …: try next time
            log.warning("reminder to user %s not delivered: %s", reminder.user.id,
                        type(exc).__name__)
    if due:
        log.info("sent %d reminders", len(due))
