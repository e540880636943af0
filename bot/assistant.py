"""The bot's core conversation: a message or a button press in, a `Reply` out.

Every transport (console, Telegram, Slack, tests) calls `Assistant.respond` or
`Assistant.press`, so they all behave the same; the per-chat `ChatState` is kept by the
adapter (PTB's chat_data, a dict in the console).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import replies
from .identity import ANONYMOUS, Sender
from .catalogue import EXPECTED_COUNTS, KINDS, Catalogue, load_catalogue, parse_id
from .commands import find_command
from .matching import Index, Result, match
from .references import find_references
from .normalisation import normalise
from .replies import Reply

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when progress tracking is on
    from .access import Access
    from .drafts import UpdateFlow
    from .progress import Progress
    from .reminders import Reminders
    from .store import Draft, Store, User

log = logging.getLogger(__name__)
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)
_PREFIX = {"area": "A", "c": "C", "p": "P"}
_LIMITS = {prefix: EXPECTED_COUNTS[f"{kind}s"] for prefix, kind in KINDS.items()}
_USAGE = {"A": "/area 3", "C": "/c 17", "P": "/p 12"}
_KIND_NAMES = {"A": "优先领域", "C": "承诺", "P": "段落"}
_DESK = {"register", "whoami", "invite", "users", "assign", "revoke", "link", "update", "cancel",
         "edit", "mission", "myupdates", "updates", "progress", "export", "brief", "stale",
         "remind", "overdue"}


@dataclass
class ChatState:
    """What one chat remembers between messages: the last answered question (for /why)."""

    last: Result | None = None


NO_STORE = replies.error("进展功能没有启用。", "管理员需要配置 DATABASE_URL（或数据目录）后重启。")


class Assistant:
    """Catalogue + matcher (+ the progress desk when a store is given), speaking in `Reply`s."""

    def __init__(self, catalogue: Catalogue, index: Index | None = None, *,
                 store: Store | None = None, admin_ids: frozenset[str] = frozenset(),
                 remind_after_days: int = 30) -> None:
        self.catalogue = catalogue
        self.index = index or Index(catalogue)
        self.store = store
        self.access: Access | None = None
        self.progress: Progress | None = None
        self.flow: UpdateFlow | None = None
        self.reminders: Reminders | None = None
        if store is not None:
            from .access import Access
            from .drafts import UpdateFlow
            from .progress import Progress
            from .reminders import Reminders

            self.access = Access(store, catalogue, admin_ids)
            self.progress = Progress(store, catalogue, self.access)
            self.flow = UpdateFlow(store, catalogue, self.access, self.progress, self._suggest)
            self.reminders = Reminders(store, catalogue, self.access, remind_after_days)

    def with_store(self, store: Store, admin_ids: frozenset[str] = frozenset(),
                   remind_after_days: int = 30) -> Assistant:
        """The same catalogue and index, with the progress desk over `store`."""
        return Assistant(self.catalogue, self.index, store=store, admin_ids=admin_ids,
                         remind_after_days=remind_after_days)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> Assistant:
        """Load and validate the knowledge, then build the search index."""
        return cls(load_catalogue(directory))

    def ask(self, question: str) -> Result:
        return match(question, self.index)

    def respond(self, text: str, state: ChatState | None = None, sender: Sender = ANONYMOUS,
                key: str | None = None) -> Reply:
        """Reply to one message: a command, or a free question.

        `key` identifies the message for idempotent writes (a redelivered Telegram update
        carries the same chat and message id, so it does not store a second update).
        """
        state = state if state is not None else ChatState()
        text = text.strip()
        if not text:
            return replies.miss()
        command = _COMMAND.match(text)
        if command:
            return self._command(command.group(1).lower(), (command.group(2) or "").strip(), state,
                                 sender, key)
        pending = self._pending(sender)
        if pending is not None and self.flow is not None and self.flow.captures(pending[1]):
            from .store import StoreError
            try:
                return self.flow.text(*pending, text)
            except StoreError:
                return replies.error("数据库暂时不可用，这一步没有保存。", "请稍后重新发送刚才的内容。")
        result = self.ask(text)
        state.last = result
        reply = replies.answer(self.catalogue, result)
        if result.intent == "search":
            if result.answered:
                reply = replies.with_feedback(reply)
            else:
                self.log_miss("miss", sender, result)
        if pending is not None and self.flow is not None:
            if notice := self.flow.put_aside_notice(pending[1]):
                reply = Reply(reply.heading, (*reply.body, notice), reply.buttons)
        return reply

    def _pending(self, sender: Sender) -> tuple[User, Draft] | None:
        """The sender's /update draft, if progress tracking is on and they have one."""
        if self.flow is None or sender is ANONYMOUS:
            return None
        from .store import StoreError
        try:
            return self.flow.pending(sender)
        except StoreError:
            return None  # answer the question anyway; the draft is still there

    def _wrong(self, state: ChatState, sender: Sender) -> Reply:
        """"Not what I meant": logged like a miss, answered with the other candidates."""
        if state.last is None:
            return replies.error("这个按钮已失效。", "请换个说法再问一次。")
        self.log_miss("wrong", sender, state.last)
        return replies.not_what_i_meant(self.catalogue, state.last)

    def log_miss(self, kind: str, sender: Sender, result: Result) -> None:
        """Record the question (never who asked) so maintainers can extend knowledge/."""
        if self.store is None:
            return
        from .store import StoreError
        best = result.candidates[0].match if result.candidates else None
        source = sender.platform if sender is not ANONYMOUS else "cli"
        try:
            self.store.record_miss(kind, source, result.question, result.normalised,
                                   best.id if best else None, best.score if best else 0.0)
        except StoreError as exc:  # the answer matters more than the log
            log.warning("could not log an unanswered question: %s", exc)

    def _suggest(self, text: str) -> list[str]:
        """Commitments the matcher finds for free text, best first (for the /update flow)."""
        return [c.match.id for c in self.ask(text).candidates if c.match.kind == "commitment"]

    def press(self, action: str, state: ChatState | None = None,
              sender: Sender = ANONYMOUS) -> Reply:
        """Reply to a button: a catalogue id, a command name or `verb:argument`."""
        verb, _, argument = action.partition(":")
        if action == "stale":
            return self._desk("stale", "", sender, None)
        if verb in ("withdraw", "progress", "draft", "update"):
            return self._desk(verb, argument, sender, None)
        if action == "wrong":
            return self._wrong(state or ChatState(), sender)
        if action == "areas":
            return replies.areas_list(self.catalogue)
        if action == "help":
            return replies.help_text()
        if action == "why":
            return self._why(state or ChatState())
        if parse_id(action) and self.catalogue.get(action):
            return replies.card(self.catalogue, action.upper())
        return replies.error("这个按钮已失效。", "请重新提问，或发送 /areas 浏览。")

    def _command(self, name: str, args: str, state: ChatState, sender: Sender,
                 key: str | None) -> Reply:
        command = find_command(name)
        if command is None:
            return replies.error(f"不认识命令 /{name}。", "发送 /help 查看可用命令，或直接提问。")
        if command.name == "start" and args.startswith("reg-"):
            return self._desk("register", args[4:], sender, key)  # deep link t.me/<bot>?start=reg-CODE
        if command.name == "start":
            return self._start(args)
        if command.name in _DESK:
            return self._desk(command.name, args, sender, key)
        if command.name == "help":
            return replies.help_text()
        if command.name == "areas":
            return replies.areas_list(self.catalogue)
        if command.name == "why":
            return self._why(state)
        if command.name == "area" and not args:
            return replies.areas_list(self.catalogue)
        return self._open(_PREFIX[command.name], args)

    def _desk(self, name: str, args: str, sender: Sender, key: str | None) -> Reply:
        """Commands that need the store: registration, roles and progress updates."""
        if (self.access is None or self.progress is None or self.flow is None
                or self.reminders is None):
            return NO_STORE
        if sender is ANONYMOUS and name not in ("progress", "updates", "brief", "stale"):
            return replies.error("这个命令需要知道你是谁，请在聊天应用里使用。")
        handlers = {
            "register": self.access.register, "whoami": self.access.whoami,
            "invite": self.access.invite, "users": self.access.users,
            "assign": self.access.assign, "revoke": self.access.revoke, "link": self.access.link,
            "edit": self.progress.edit, "mission": self.progress.mission,
            "myupdates": self.progress.my_updates, "updates": self.progress.updates,
            "progress": self.progress.progress, "export": self.progress.export,
            "brief": self.progress.brief, "stale": self.progress.stale,
            "remind": self.reminders.remind, "overdue": self.reminders.overdue,
        }
        from .store import StoreError
        try:
            if name == "update":
                if not args or len(args.split()) == 1:  # `/update`, `/update C12`: step by step
                    return self.flow.start(sender, args or None)
                return self.flow.fast(sender, args, key)
            if name == "cancel":
                return self.flow.cancel(sender)
            if name == "draft":
                return self.flow.press(sender, args)
            if name == "withdraw":
                return self.progress.withdraw(sender, int(args)) if args.isdigit() else \
                    replies.error("这个按钮已失效。")
            return handlers[name](sender, args)
        except StoreError:
            return replies.error("数据库暂时不可用。", "请稍后再试；没有任何内容被改动。")

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
