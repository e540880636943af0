"""Inline mode: `@bot 保护` in any chat offers commitment/area/paragraph cards to drop in."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.conversation import i18n, replies
from bot.conversation.assistant import Assistant
from . import render

INLINE_RESULTS = 10
CACHE_SECONDS = 300  # the catalogue changes only with a deploy
# Results are cached per user (is_personal): cards are in the asker's language.


def _article(assistant: Assistant, entry_id: str) -> InlineQueryResultArticle:
    reply = replies.card(assistant.catalogue, entry_id)
    entry = assistant.catalogue.get(entry_id)
    description = str(getattr(entry, "text", None) or getattr(entry, "summary", ""))
    return InlineQueryResultArticle(
        id=entry_id,
        title=reply.heading or entry_id,
        description=description[:120],
        input_message_content=InputTextMessageContent(
            render.chunks(render.html(reply))[0], parse_mode=ParseMode.HTML),
    )


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer up to 10 cards, best first, in the asker's language (Telegram's language_code;
    no database read on the event loop); an empty query offers the eight areas."""
    query = update.inline_query
    if query is None:
        return
    assistant: Assistant = context.bot_data["assistant"]
    ids = assistant.inline(query.query, INLINE_RESULTS)
    with i18n.use(i18n.choose(None, query.from_user.language_code)):
        articles = [_article(assistant, i) for i in ids]
    await query.answer(articles, cache_time=CACHE_SECONDS, is_personal=True)
