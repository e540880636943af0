"""The bot's core conversation: a message or a button press in, a `Reply` out.

Every transport (console, Telegram, Slack, tests) calls `Assistant.respond` or
`Assistant.press`, so they all behave the same; the per-chat `ChatState` is kept by the
adapter (PTB's chat_data, a dict in the console).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import replies
from .catalogue import EXPECTED_COUNTS, KINDS, Catalogue, load_catalogue, parse_id
from .commands import find_command
from .matching import Index, Result, match
from .references import find_references
from .normalisation import normalise
from .replies import Reply

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)
_PREFIX = {"area": "A", "c": "C", "p": "P"}
_LIMITS = {prefix: EXPECTED_COUNTS[f"{kind}s"] for prefix, kind in KINDS.items()}
_USAGE = {"A": "/area 3", "C": "/c 17", "P": "/p 12"}
_KIND_NAMES = {"A": "优先领域", "C": "承诺", "P": "段落"}


@dataclass
class ChatState:
    """What one chat remembers between messages: the last answered question (for /why)."""

    last: Result | None = None


class Assistant:
    """Catalogue + matcher, speaking in `Reply` objects."""

    def __init__(self, catalogue: Catalogue, index: Index | None = None) -> None:
        self.catalogue = catalogue
        self.index = index or Index(catalogue)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> Assistant:
        """Load and validate the knowledge, then build the search index."""
        return cls(load_catalogue(directory))

    def ask(self, question: str) -> Result:
        return match(question, self.index)

    def respond(self, text: str, state: ChatState | None = None) -> Reply:
        """Reply to one message: a command, or a free question."""
        state = state if state is not None else ChatState()
        text = text.strip()
        if not text:
            return replies.miss()
        command = _COMMAND.match(text)
        if command:
            return self._command(command.group(1).lower(), (command.group(2) or "").strip(), state)
        result = self.ask(text)
        state.last = result
        return replies.answer(self.catalogue, result)

    def press(self, action: str, state: ChatState | None = None) -> Reply:
        """Reply to a button: a catalogue id or a command name."""
        if action == "areas":
            return replies.areas_list(self.catalogue)
        if action == "help":
            return replies.help_text()
        if action == "why":
            return self._why(state or ChatState())
        if parse_id(action) and self.catalogue.get(action):
            return replies.card(self.catalogue, action.upper())
        return replies.error("这个按钮已失效。", "请重新提问，或发送 /areas 浏览。")

    def _command(self, name: str, args: str, state: ChatState) -> Reply:
        command = find_command(name)
        if command is None:
            return replies.error(f"不认识命令 /{name}。", "发送 /help 查看可用命令，或直接提问。")
        if command.name == "start":
            return self._start(args)
        if command.name == "help":
            return replies.help_text()
        if command.name == "areas":
            return replies.areas_list(self.catalogue)
        if command.name == "why":
            return self._why(state)
        if command.name == "area" and not args:
            return replies.areas_list(self.catalogue)
        return self._open(_PREFIX[command.name], args)

    def _start(self, payload: str) -> Reply:
        # Deep links (t.me/<bot>?start=C17) arrive as "/start C17".
        if payload and parse_id(payload) and self.catalogue.get(payload):
            return replies.card(self.catalogue, payload.upper())
        return replies.welcome(self.catalogue)

    def _open(self, prefix: str, args: str) -> Reply:
        """`/c 17`, `/c C17`, `/c 十七`, `/p 第12段` -> that card, or a polite correction."""
        name, limit, usage = _KIND_NAMES[prefix], _LIMITS[prefix], _USAGE[prefix]
        if not args:
            return replies.error(f"请给出{name}编号（1–{limit}），例如 {usage}。")
        number = _number(args, prefix)
        if number is None:
            return replies.error(f"“{args[:40]}”不是{name}编号。", f"编号为 1–{limit}，例如 {usage}。")
        entry_id = f"{prefix}{number}"
        if self.catalogue.get(entry_id) is None:
            return replies.not_found(entry_id)
        return replies.card(self.catalogue, entry_id)

    def _why(self, state: ChatState) -> Reply:
        if state.last is None:
            return replies.error("还没有可以解释的回答。", "先提一个问题，再发送 /why。")
        return replies.explanation(state.last)


def _number(args: str, prefix: str) -> int | None:
    """A number typed after a command, in any form the reference parser understands."""
    text = normalise(args)
    if text.isdigit():
        return int(text)
    if (parsed := parse_id(text)) and parsed[0][0].upper() == prefix:
        return parsed[1]
    suffix = {"A": "领域", "C": "项承诺", "P": "段"}[prefix]
    refs = [r for r in find_references(f"第{text}{suffix}" if text[:1] != "第" else text + suffix)
            if r.id.startswith(prefix)]
    return refs[0].number if refs else None
