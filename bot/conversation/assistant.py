"""The bot's core conversation: a message or a button press in, a `Reply` out.

Every transport (console, Telegram, Slack, tests) calls `Assistant.respond` or
`Assistant.press`, so they all behave the same; the per-chat `ChatState` is kept by the
adapter (PTB's chat_data, a dict in the console).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import i18n, pages, replies
from .i18n import t
from .identity import ANONYMOUS, Sender
from bot.answering.catalogue import (DEFAULT_DIR, EXPECTED_COUNTS, KINDS, Catalogue,
                                     load_catalogue)
from bot.answering.derived import cache_dir
from .commands import Command, find_command
from bot.answering.matching import Index, Result, match
from bot.answering.references import find_references
from bot.answering.normalisation import normalise
from bot.answering.numbers import parse_count, parse_entry
from .refusals import Refusal
from .replies import Reply
from bot.desk.sanitise import clean_text

if TYPE_CHECKING:  # the store (SQLAlchemy) loads only when progress tracking is on
    from bot.desk.access import Access
    from bot.desk.drafts import UpdateFlow
    from bot.desk.progress import Progress
    from bot.desk.reminders import Reminders
    from bot.storage.sessions import Session
    from bot.storage.store import Store
    from bot.web.links import WebLinks

log = logging.getLogger(__name__)


def _declared(name: str) -> Command:
    """A command the code itself names (the table must declare it)."""
    command = find_command(name)
    assert command is not None, name
    return command


_REGISTER = _declared("register")
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)
_LIMITS = {prefix: EXPECTED_COUNTS[f"{kind}s"] for prefix, kind in KINDS.items()
           if f"{kind}s" in EXPECTED_COUNTS}
_USAGE = {"A": "/area 3", "C": "/c 17", "P": "/p 12"}


@dataclass
class ChatState:
    """What one chat remembers between messages: the last answered question (for /why),
    and the language chosen with /lang when there is no store to keep it in."""

    last: Result | None = None
    language: str | None = None


def no_store() -> Reply:
    return replies.error(t("assistant.no_store"), t("assistant.no_store_hint"))


_LOADED: dict[tuple[Any, ...], tuple[Catalogue, Index]] = {}
_LOADED_MAX = 2


def _knowledge_key(directory: Path | str | None) -> tuple[Any, ...]:
    """What a loaded catalogue and its index depend on: the knowledge files as they are
    now (an edit changes a file's size or its time to the nanosecond) and the cache
    directory the segmenter reads its dictionary from."""
    base = Path(directory) if directory is not None else DEFAULT_DIR
    files = tuple((path.name, stat.st_mtime_ns, stat.st_size)
                  for path in sorted(base.glob("*.yaml")) if (stat := path.stat()))
    return str(base.resolve()), str(cache_dir()), files


class Assistant:
    """Catalogue + matcher (+ the progress desk when a store is given), speaking in `Reply`s."""

    def __init__(self, catalogue: Catalogue, index: Index | None = None, *,
                 store: Store | None = None, admin_ids: frozenset[str] = frozenset(),
                 remind_after_days: int = 30, public_url: str | None = None) -> None:
        self.catalogue = catalogue
        self.index = index or Index(catalogue)
        self.store = store
        self.access: Access | None = None
        self.progress: Progress | None = None
        self.flow: UpdateFlow | None = None
        self.reminders: Reminders | None = None
        self.web: WebLinks | None = None
        if store is not None:
            from bot.desk.access import Access
            from bot.desk.drafts import UpdateFlow
            from bot.desk.progress import Progress
            from bot.desk.reminders import Reminders

            self.access = Access(store, catalogue, admin_ids)
            self.progress = Progress(store, catalogue, self.access, public_url=public_url)
            self.flow = UpdateFlow(store, catalogue, self.access, self.progress, self._suggest)
            self.reminders = Reminders(store, catalogue, self.access, remind_after_days)
            from bot.web.links import WebLinks
            self.web = WebLinks(self.access, public_url)

    def with_store(self, store: Store, admin_ids: frozenset[str] = frozenset(),
                   remind_after_days: int = 30, public_url: str | None = None) -> Assistant:
        """The same catalogue and index, with the progress desk over `store` (`public_url`:
        the web dashboard's address, for /web's sign-in links and /brief's link)."""
        return Assistant(self.catalogue, self.index, store=store, admin_ids=admin_ids,
                         remind_after_days=remind_after_days, public_url=public_url)

    @classmethod
    def load(cls, directory: Path | str | None = None) -> Assistant:
        """Load and validate the knowledge, then build the search index — once per process
        for the same files: the catalogue and the index never change once built (a process
        serving one transport loads once; the CLI's tests run many commands in one)."""
        key = _knowledge_key(directory)
        if (built := _LOADED.get(key)) is None:
            catalogue = load_catalogue(directory)
            built = (catalogue, Index(catalogue))
            if len(_LOADED) >= _LOADED_MAX:
                _LOADED.pop(next(iter(_LOADED)))
            _LOADED[key] = built
        return cls(*built)

    def ask(self, question: str) -> Result:
        """Match a question (made storable first: it may be logged as unanswered)."""
        return match(clean_text(question), self.index)

    def inline(self, query: str, limit: int) -> list[str]:
        """The cards to offer for `query` typed after the bot's name in any chat (Telegram's
        inline mode), best first: confident matches only, or the areas when nothing is typed."""
        text = clean_text(query).strip()
        if not text:
            return list(self.catalogue.areas)[:limit]
        return [m.id for m in match(text, self.index, limit=limit).matches][:limit]

    def respond(self, text: str, state: ChatState | None = None, sender: Sender = ANONYMOUS,
                key: str | None = None) -> Reply:
        """Reply to one message: a command, or a free question.

        `key` identifies the message for idempotent writes (a redelivered Telegram update
        carries the same chat and message id, so it does not store a second update).
        """
        state = state if state is not None else ChatState()
        session = self._session(sender)
        text = clean_text(text).strip()
        asked = None if _COMMAND.match(text) or self._captured(session) else i18n.detect(text)
        with i18n.use(self._language(session, state, sender, asked)):
            return pages.first(self._respond(text, state, sender, clean_text(key) if key else key,
                                             session))

    def _respond(self, text: str, state: ChatState, sender: Sender, key: str | None,
                 session: Session | None) -> Reply:
        if not text:
            return replies.miss()
        command = _COMMAND.match(text)
        if command:
            return self._command(command.group(1).lower(), (command.group(2) or "").strip(), state,
                                 sender, key)
        pending = (session.user, session.draft) if session and session.draft else None
        if pending is not None and self.flow is not None and self.flow.captures(*pending):
            from bot.storage.store import StoreError
            try:
                return self.flow.text(*pending, text)
            except Refusal as refusal:
                return refusal.reply
            except StoreError:
                return replies.error(t("assistant.step_not_saved"),
                                     t("assistant.step_not_saved_hint"))
        result = self.ask(text)
        state.last = result
        reply = replies.answer(self.catalogue, result, self.tracking,
                               self._role_in(session, sender))
        if result.missed:
            self.log_miss("miss", sender, result)
        elif result.intent == "search":
            reply = replies.with_feedback(reply)
        if pending is not None and self.flow is not None:
            if notice := self.flow.put_aside_notice(pending[1]):  # under the page shown
                shown = pages.first(reply)
                reply = replace(shown, body=(*shown.body, notice), origin=None)
        return reply

    def _captured(self, session: Session | None) -> bool:
        """Will the user's draft take this message as input (not as a question)?"""
        return (session is not None and session.draft is not None and self.flow is not None
                and self.flow.captures(session.user, session.draft))

    def _session(self, sender: Sender) -> Session | None:
        """The sender's stored account (language, /update draft) — one query per message;
        None without a store, for someone never stored, or when the database is down."""
        if self.store is None or sender is ANONYMOUS:
            return None
        from bot.storage.store import StoreError
        try:
            return self.store.sessions.find(sender.platform, sender.id)
        except StoreError:
            return None  # answer anyway; the draft and the preference are still there

    @staticmethod
    def _language(session: Session | None, state: ChatState, sender: Sender,
                  asked: str | None = None) -> str:
        """The stored /lang choice, else this chat's (no store), else the language the
        question was asked in, else the platform's."""
        stored = session.user.language if session is not None else None
        return i18n.choose(stored or state.language or asked, sender.language)

    def language(self, sender: Sender, state: ChatState | None = None) -> str:
        """The language to speak to `sender` in (for what an adapter says on its own)."""
        return self._language(self._session(sender), state or ChatState(), sender)

    def _wrong(self, state: ChatState, sender: Sender) -> Reply:
        """"Not what I meant": logged like a miss, answered with the other candidates."""
        if state.last is None:
            return replies.error(t("common.button_expired"), t("assistant.ask_again"))
        self.log_miss("wrong", sender, state.last)
        return replies.not_what_i_meant(self.catalogue, state.last)

    def _pick(self, choice: str, state: ChatState, sender: Sender) -> Reply:
        """A tap on a "did you mean" choice: logged with the question (never who asked) —
        what users choose is what the knowledge should have answered — then the card."""
        last = state.last
        if choice == "none":
            if last is not None:
                self.log_miss("none", sender, last)
            return replies.miss()
        if not (parse_entry(choice) and self.catalogue.get(choice)):
            return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))
        if last is not None and choice in {m.id for m in last.suggestions}:
            self.log_miss("chose", sender, last, chosen=choice.upper())
        return replies.with_feedback(self._card(choice.upper()))

    @property
    def tracking(self) -> bool:
        """Is progress tracking on (cards then lead to a commitment's updates)?"""
        return self.progress is not None

    def _card(self, entry_id: str, others: tuple[str, ...] = ()) -> Reply:
        return replies.card(self.catalogue, entry_id, others, self.tracking)

    def log_miss(self, kind: str, sender: Sender, result: Result, chosen: str | None = None
                 ) -> None:
        """Record the question (never who asked) so maintainers can extend knowledge/."""
        if self.store is None:
            return
        from bot.storage.store import StoreError
        best = result.candidates[0].match if result.candidates else None
        source = sender.platform if sender is not ANONYMOUS else "cli"
        best_id = chosen or (best.id if best else None)
        try:
            self.store.misses.record(kind, source, result.question, result.normalised,
                                     best_id, best.score if best else 0.0)
        except StoreError as exc:  # the answer matters more than the log
            log.warning("could not log an unanswered question: %s", exc)

    def _suggest(self, text: str) -> list[str]:
        """Commitments the matcher finds for free text, best first (for the /update flow)."""
        return [c.match.id for c in self.ask(text).candidates if c.match.kind == "commitment"]

    def press(self, action: str, state: ChatState | None = None,
              sender: Sender = ANONYMOUS) -> Reply:
        """Reply to a button: a catalogue id, a command name or `verb:argument`."""
        state = state if state is not None else ChatState()
        with i18n.use(self._language(self._session(sender), state, sender)):
            return pages.first(self._press(clean_text(action), state, sender))

    def _press(self, action: str, state: ChatState, sender: Sender) -> Reply:
        """A button: `verb[:argument]` runs that command (typed or button-only), a bare
        catalogue id opens its card."""
        verb, _, argument = action.partition(":")
        if (command := find_command(verb, typed=False)) is not None:
            return self._run(command, argument, state, sender, None)
        if parse_entry(action) and self.catalogue.get(action):
            return self._card(action.upper())
        return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))

    def _command(self, name: str, args: str, state: ChatState, sender: Sender,
                 key: str | None) -> Reply:
        command = find_command(name)
        if command is None:
            return replies.error(t("assistant.unknown_command", name=name),
                                 t("assistant.unknown_command_hint"))
        return self._run(command, args, state, sender, key)

    def _run(self, command: Command, args: str, state: ChatState, sender: Sender,
             key: str | None) -> Reply:
        """Dispatch from the command table: desk commands through the store (a refusal
        raised where its rule lives becomes a reply here, once), the rest here."""
        reply = self._dispatch(command, args, state, sender, key)
        if command.paged and reply.origin is None:  # made again for its next page
            reply = replace(reply, origin=f"{command.name}:{args}")
        return reply

    def _dispatch(self, command: Command, args: str, state: ChatState, sender: Sender,
                  key: str | None) -> Reply:
        if not command.desk:
            return getattr(self, f"_on_{command.handler}")(args, state, sender)
        if (self.access is None or self.progress is None or self.flow is None
                or self.reminders is None or self.web is None):
            return no_store()
        if sender is ANONYMOUS and not command.anonymous:
            return replies.error(t("assistant.who_are_you"))
        handler: Any = self
        for part in command.handler.split("."):
            handler = getattr(handler, part)
        from bot.storage.store import StoreError
        try:
            return handler(sender, args, key) if command.keyed else handler(sender, args)
        except Refusal as refusal:  # raised where its rule lives (inside a write: nothing written)
            return refusal.reply
        except StoreError:
            return replies.error(t("assistant.database_down"), t("assistant.database_down_hint"))

    # -- the commands answered without the store (`_on_<handler>`) ----------------------

    def _on_start(self, payload: str, state: ChatState, sender: Sender) -> Reply:
        if payload.startswith("reg-"):  # deep link t.me/<bot>?start=reg-CODE
            return self._run(_REGISTER, payload[4:], state, sender, None)
        # Deep links (t.me/<bot>?start=C17) arrive as "/start C17".
        if payload and parse_entry(payload) and self.catalogue.get(payload):
            return self._card(payload.upper())
        return replies.welcome(self.catalogue)

    def _on_help(self, args: str, _state: ChatState, sender: Sender) -> Reply:
        return replies.help_text(self._role(sender), everything=args.strip() == "all")

    def _role(self, sender: Sender) -> str:
        return self._role_in(self._session(sender), sender)

    def _role_in(self, session: Session | None, sender: Sender) -> str:
        """The sender's stored role; before their first stored message an ADMIN_IDS admin is
        an admin already, anyone else "anyone" (also with no store, or when it is down)."""
        if session is not None:
            return session.user.role
        configured = self.access is not None and sender.key in self.access.admin_ids
        return "admin" if configured else "anyone"

    def _on_areas(self, _args: str, _state: ChatState, _sender: Sender) -> Reply:
        return replies.areas_list(self.catalogue)

    def _on_area(self, args: str, _state: ChatState, _sender: Sender) -> Reply:
        return self._open("A", args) if args else replies.areas_list(self.catalogue)

    def _on_commitment(self, args: str, _state: ChatState, _sender: Sender) -> Reply:
        return self._open("C", args)

    def _on_paragraph(self, args: str, _state: ChatState, _sender: Sender) -> Reply:
        return self._open("P", args)

    def _on_why(self, _args: str, state: ChatState, _sender: Sender) -> Reply:
        return self._why(state)

    def _on_wrong(self, _args: str, state: ChatState, sender: Sender) -> Reply:
        return self._wrong(state, sender)

    def _on_pick(self, choice: str, state: ChatState, sender: Sender) -> Reply:
        return self._pick(choice, state, sender)

    def _on_official(self, entry_id: str, _state: ChatState, _sender: Sender) -> Reply:
        """The official Chinese card behind a translated one."""
        if not (parse_entry(entry_id) and self.catalogue.get(entry_id)):
            return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))
        with i18n.use("zh"):
            return replace(self._card(entry_id.upper()), origin=f"official:{entry_id.upper()}")

    def _on_card(self, args: str, _state: ChatState, _sender: Sender) -> Reply:
        """A card made again (for its next page): `A5`, its next-best ids, its feedback button."""
        entry_id, _, rest = args.partition(":")
        others, _, feedback = rest.partition(":")
        if not (parse_entry(entry_id) and self.catalogue.get(entry_id)):
            return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))
        reply = self._card(entry_id.upper(), tuple(o for o in others.split(",")
                                                   if parse_entry(o) and self.catalogue.get(o)))
        return replies.with_feedback(reply) if feedback == replies.FEEDBACK else reply

    def _on_actor(self, actor: str, _state: ChatState, _sender: Sender) -> Reply:
        if actor not in {c.actor for c in self.catalogue.commitments.values()}:
            return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))
        return replies.actor_list(self.catalogue, actor)

    def _on_more(self, args: str, state: ChatState, sender: Sender) -> Reply:
        """`more:2:stale:七天` — page 2 of what `stale:七天` says now (pages are never stored:
        any replica, after any restart, makes the reply again)."""
        number, _, origin = args.partition(":")
        verb, _, argument = origin.partition(":")
        page = parse_count(number, 1, 99)
        command = find_command(verb, typed=False)
        if page is None or command is None or not command.paged:
            return replies.error(t("common.button_expired"), t("assistant.press_expired_hint"))
        return pages.page(self._run(command, argument, state, sender, None), page)

    def _on_lang(self, args: str, state: ChatState, sender: Sender) -> Reply:
        return self._lang(args, state, sender)

    def _lang(self, args: str, state: ChatState, sender: Sender) -> Reply:
        """`/lang zh|en`: kept in the store (every chat, after a restart), else for this chat."""
        word = args.strip()
        if not word:
            return Reply(t("lang.current", name=i18n.NAMES[i18n.current()]), (t("lang.usage"),))
        language = i18n.parse(word)
        if language is None:
            return replies.error(t("lang.unknown", word=word[:20]), t("lang.usage"))
        if self.access is not None and sender is not ANONYMOUS:
            from bot.storage.store import StoreError
            try:
                user = self.access.get_or_create_user(sender)
                self.access.store.users.set_language(user.id, language)
            except StoreError:
                state.language = language
                return replies.error(t("assistant.database_down"), t("lang.not_saved"))
        else:  # no store: for this chat only
            state.language = language
        with i18n.use(language):
            return Reply(t("lang.set"), (t("lang.usage"),))

    def _open(self, prefix: str, args: str) -> Reply:
        """`/c 17`, `/c C17`, `/c 十七`, `/p 第12段` -> that card, or a polite correction."""
        name, limit, usage = t(f"assistant.kind.{prefix}"), _LIMITS[prefix], _USAGE[prefix]
        if not args:
            return replies.error(t("assistant.give_number", kind=name, limit=limit, usage=usage))
        number = _number(args, prefix)
        if number is None:
            return replies.error(t("assistant.not_a_number", text=args[:40], kind=name),
                                 t("assistant.number_range", limit=limit, usage=usage))
        entry_id = f"{prefix}{number}"
        if self.catalogue.get(entry_id) is None:
            return replies.not_found(entry_id)
        return self._card(entry_id)

    def _why(self, state: ChatState) -> Reply:
        if state.last is None:
            return replies.error(t("assistant.nothing_to_explain"),
                                 t("assistant.nothing_to_explain_hint"))
        return replies.why(self.catalogue, state.last)


def _number(args: str, prefix: str) -> int | None:
    """A number typed after a command, in any form the reference parser understands."""
    text = normalise(args)
    if (number := parse_count(text, 1, 999)) is not None:
        return number
    if (parsed := parse_entry(text)) and parsed[0][0].upper() == prefix:
        return parsed[1]
    suffix = {"A": "领域", "C": "项承诺", "P": "段"}[prefix]
    refs = [r for r in find_references(f"第{text}{suffix}" if text[:1] != "第" else text + suffix)
            if r.id.startswith(prefix)]
    return refs[0].number if refs else None
