"""Handlers for messages, commands and buttons: parse the update, ask the core, send the reply.

The core call runs in a worker thread: it may wait on the database (a busy SQLite file,
a PostgreSQL round trip), and the event loop must keep serving other chats meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.conversation import i18n
from bot.conversation.assistant import Assistant, ChatState
from bot.conversation.identity import ANONYMOUS, Sender
from bot.conversation.replies import Reply
from . import render

log = logging.getLogger(__name__)
SORRY = "handler.sorry"  # message key: what a user hears when their update failed


def _assistant(context: ContextTypes.DEFAULT_TYPE) -> Assistant:
    return context.bot_data["assistant"]


def _state(context: ContextTypes.DEFAULT_TYPE) -> ChatState:
    if context.chat_data is None:  # inline queries have no chat
        return ChatState()
    return context.chat_data.setdefault("state", ChatState())


def _sender(update: Update) -> Sender:
    user = update.effective_user
    if user is None:
        return ANONYMOUS
    return Sender("telegram", str(user.id), user.full_name, user.language_code or "")


def _key(message: Message) -> str:
    """Idempotency key of a message: a redelivered update carries the same chat and message id."""
    return f"tg:{message.chat_id}:{message.message_id}"


async def send(message: Message, reply: Reply) -> None:
    """Send a reply as one or more HTML messages; buttons go under the last one."""
    pieces = render.chunks(render.html(reply))
    for n, piece in enumerate(pieces, start=1):
        markup = render.keyboard(reply) if n == len(pieces) else None
        await message.reply_html(piece, reply_markup=markup, do_quote=False)
    for attachment in reply.files:
        if attachment.filename.endswith(".png"):
            await message.reply_photo(attachment.data, filename=attachment.filename, do_quote=False)
        else:
            await message.reply_document(attachment.data, filename=attachment.filename,
                                         do_quote=False)


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer any command of the table (/start, /help, /areas, /area, /c, /p, /why)."""
    message = update.effective_message
    if message is None or not message.text:
        return
    addressee = message.text.split(maxsplit=1)[0].partition("@")[2]
    if addressee and addressee.lower() != (context.bot.username or "").lower():
        return  # /help@another_bot in a group is not for us
    reply = await asyncio.to_thread(_assistant(context).respond, message.text, _state(context),
                                    _sender(update), _key(message))
    await send(message, reply)


def _addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """The question in a message meant for the bot; None for group chatter not addressed to it."""
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{bot_username}"
    if bot_username and mention.lower() in text.lower():
        start = text.lower().index(mention.lower())
        return (text[:start] + text[start + len(mention):]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer a free question: any text in a private chat, mentions and replies in groups."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = _addressed_text(message, context.bot.username, context.bot.id)
    if text is None:
        return
    reply = await asyncio.to_thread(_assistant(context).respond, text, _state(context),
                                    _sender(update), _key(message))
    await send(message, reply)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Open what a button points to by editing its message in place."""
    query = update.callback_query
    if query is None:
        return
    reply = await asyncio.to_thread(_assistant(context).press, query.data or "", _state(context),
                                    _sender(update))
    await query.answer()
    text = render.chunks(render.html(reply))[0]
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                      reply_markup=render.keyboard(reply))
    except BadRequest as exc:
        # Pressing the button of the card already shown: Telegram refuses a no-op edit.
        if "not modified" not in str(exc).lower():
            raise


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (never the message text at INFO) and tell the user; keep serving."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed: %s", update_id, type(context.error).__name__,
              exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            # The platform's language only: the database may be what failed.
            user = update.effective_user
            language = i18n.choose(None, user.language_code if user else None)
            await context.bot.send_message(update.effective_chat.id,
                                           i18n.translate(language, SORRY))
        except Exception:  # noqa: BLE001 - the error handler must never raise
            log.warning("could not tell chat about the failure of update %s", update_id)
