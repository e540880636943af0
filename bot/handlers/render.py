"""Core `Reply` -> Telegram: HTML text (escaped), split under 4096 characters, inline keyboard."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..replies import Reply, split_text

MESSAGE_LIMIT = 4096


def html(reply: Reply) -> str:
    """The reply as Telegram HTML: a bold heading, every user-visible string escaped."""
    parts = [f"<b>{escape(reply.heading)}</b>"] if reply.heading else []
    parts += [escape(line) for line in reply.body]
    return "\n".join(parts)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action)
                                  for b in row] for row in reply.buttons])


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so each piece fits one message; never inside a tag or entity
    (the only tags are whole <b>…</b> headings on their own line, far shorter than the limit)."""
    return split_text(text, limit)
