"""Long replies cut into pages that fit two phone screens, with "◂" and "more ▸" buttons.

What "two phone screens" means here, concretely. A 6-inch phone in Telegram's default text
size shows about 20 lines of text between the app bar and the input field, each line about
40 columns wide (a Chinese character is two columns: ~20 of them, or ~40 Latin letters).
An inline button row is about as tall as two lines of text. A page therefore holds:

- at most `MAX_LINES` = 25 lines of text once wrapped at `COLUMNS` = 40 (heading included):
  a screen and a quarter of text;
- at most `MAX_BUTTONS` = 8 buttons in at most `MAX_ROWS` = 6 rows, navigation included —
  with the text, under two screens on a phone;
- at most `MAX_CHARS` = 1,200 characters of text, which keeps a reply short where lines are
  wide (Slack and Telegram on a desktop) and wrapping no longer measures it.

Pages are stateless: the "more" button carries the page number and what made the reply
(`Reply.origin`, a button action such as `stale:七天` or `card:A5`), and pressing it makes
the reply again and shows that page — any replica, after any restart. Telegram keeps a
button's data within 64 bytes, so a reply whose origin does not fit is not paged.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import replace

from .i18n import t
from .replies import Button, Reply

COLUMNS = 40
MAX_LINES = 25
MAX_CHARS = 1200
MAX_BUTTONS = 8
MAX_ROWS = 6
ACTION_BYTES = 64  # Telegram's limit on callback data
MORE = "more"      # the button action: `more:<page>:<origin>`
_PER_PAGE = MAX_BUTTONS - 2  # room for "◂" and "▸"
_SENTENCE = re.compile(r"(?<=[。！？；.!?;])\s*")


def width(text: str) -> int:
    """Display columns: wide (Chinese) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def screen_lines(lines: tuple[str, ...] | list[str]) -> int:
    """How many phone lines `lines` take once wrapped at `COLUMNS`."""
    return sum(max(1, math.ceil(width(line) / COLUMNS)) for part in lines
               for line in part.split("\n"))


def text_of(reply: Reply) -> list[str]:
    return [part for part in (reply.heading, *reply.body) if part]


def fits(reply: Reply) -> bool:
    """Does `reply` fit two phone screens (see the module docstring)?"""
    text = text_of(reply)
    buttons = sum(len(row) for row in reply.buttons)
    return (screen_lines(text) <= MAX_LINES and sum(len(line) for line in text) <= MAX_CHARS
            and buttons <= MAX_BUTTONS and len(reply.buttons) <= MAX_ROWS)


def first(reply: Reply) -> Reply:
    """The reply as sent: whole when it fits (or cannot be paged), else its first page."""
    return reply if fits(reply) or not _pageable(reply) else page(reply, 1)


def page(reply: Reply, number: int) -> Reply:
    """Page `number` (clamped to the pages there are) of `reply`, with its navigation."""
    if fits(reply) or not _pageable(reply):
        return reply
    texts = _text_pages(reply)
    rows = _button_pages(reply.buttons)
    count = max(len(texts), len(rows))
    number = min(max(number, 1), count)
    nav = []
    if number > 1:
        nav.append(Button(t("page.previous"), _action(number - 1, reply.origin)))
    if number < count:
        nav.append(Button(t("page.more"), _action(number + 1, reply.origin)))
    body = texts[number - 1] if number <= len(texts) else ()
    buttons = rows[number - 1] if number <= len(rows) else ()
    return replace(reply, heading=t("page.heading", heading=reply.heading or "", page=number,
                                    pages=count),
                   body=body, buttons=(*buttons, *((tuple(nav),) if nav else ())))


def _action(number: int, origin: str | None) -> str:
    return f"{MORE}:{number}:{origin}"


def _pageable(reply: Reply) -> bool:
    return bool(reply.origin) and len(_action(99, reply.origin).encode()) <= ACTION_BYTES


def _text_pages(reply: Reply) -> list[tuple[str, ...]]:
    """The body in runs that fit a page under the heading (with its "(2/3)")."""
    heading = t("page.heading", heading=reply.heading or "", page=99, pages=99)
    room_lines = MAX_LINES - screen_lines([heading])
    room_chars = MAX_CHARS - len(heading)
    pages: list[list[str]] = [[]]
    for line in (piece for part in reply.body for piece in _pieces(part, room_lines, room_chars)):
        current = pages[-1]
        if current and (screen_lines(current + [line]) > room_lines
                        or sum(map(len, current)) + len(line) > room_chars):
            pages.append([])
        pages[-1].append(line)
    return [tuple(p) for p in pages if p]


def _pieces(line: str, room_lines: int, room_chars: int) -> list[str]:
    """A line too long for a page alone, cut at sentence ends (or, failing that, anywhere)."""
    if screen_lines([line]) <= room_lines and len(line) <= room_chars:
        return [line]
    pieces: list[str] = []
    for sentence in (s for s in _SENTENCE.split(line) if s):
        while screen_lines([sentence]) > room_lines or len(sentence) > room_chars:
            cut = _cut(sentence, room_lines, room_chars)
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if pieces and screen_lines([pieces[-1] + sentence]) <= room_lines \
                and len(pieces[-1] + sentence) <= room_chars:
            pieces[-1] += sentence
        else:
            pieces.append(sentence)
    return pieces


def _cut(text: str, room_lines: int, room_chars: int) -> int:
    """The longest prefix of `text` that fits a page alone."""
    end = min(len(text), room_chars)
    while end > 1 and screen_lines([text[:end]]) > room_lines:
        end -= 1
    return end


def _button_pages(rows: tuple[tuple[Button, ...], ...]) -> list[tuple[tuple[Button, ...], ...]]:
    """The button rows in runs that leave room for the navigation: the first and the last
    page have one navigation button, the others two; a row is never split unless it alone
    is too wide, and a short last run joins the page before it when they fit together."""
    pages: list[list[tuple[Button, ...]]] = [[]]
    for row in (row[i:i + _PER_PAGE] for row in rows for i in range(0, len(row), _PER_PAGE)):
        current = pages[-1]
        room = _PER_PAGE + (len(pages) == 1)
        if current and (sum(map(len, current)) + len(row) > room
                        or len(current) + 1 > MAX_ROWS - 1):
            pages.append([])
        pages[-1].append(row)
    if len(pages) > 1 and (sum(map(len, pages[-2] + pages[-1])) <= _PER_PAGE + 1
                           and len(pages[-2] + pages[-1]) <= MAX_ROWS - 1):
        pages[-2:] = [pages[-2] + pages[-1]]
    return [tuple(p) for p in pages if p]
