"""Core `Reply` -> Telegram: HTML text (escaped), split under 4096 characters, inline keyboard."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.replies import Reply, split_text

MESSAGE_LIMIT = 4096


def html(reply: Reply) -> str:
    """The reply as Telegram HTML: a bold heading, every user-visible string escaped."""
    parts = _bold_lines(reply.heading) if reply.heading else []
    parts += [escape(line) for line in reply.body]
    return "\n".join(parts)


def _bold_lines(heading: str) -> list[str]:
    """The heading in bold, one `<b>…</b>` per line, each short enough for one message, so
    splitting the text at line breaks never separates a tag from its end."""
    room = MESSAGE_LIMIT - len("<b></b>")
    return [f"<b>{piece}</b>" for line in escape(heading).split("\n")
            for piece in split_text(line, room) if piece]


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action)
                                  for b in row] for row in reply.buttons])


def chunks(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so each piece fits one message; never inside a tag or entity
    (the only tags are <b>…</b> heading lines, each within the limit: see `html`)."""
    return split_text(text, limit)
