"""Core `Reply` -> Telegram: HTML text (escaped), split under 4096 characters, inline keyboard."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..replies import Reply

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
    """Split at line breaks (hard-split over-long lines) so each piece fits one message.

    Splitting never cuts inside a tag: the only tags are whole <b>…</b> headings on
    their own line, far shorter than the limit.
    """
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            head, line = _safe_cut(line, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return pieces or [""]


def _safe_cut(line: str, limit: int) -> tuple[str, str]:
    """Cut before `limit` but never inside an HTML entity such as &amp;."""
    cut = limit
    amp = line.rfind("&", max(0, cut - 8), cut)
    if amp != -1 and ";" not in line[amp:cut]:
        cut = amp
    return line[:cut], line[cut:]
