"""The step-by-step /update: commitment → status → text → mission → preview → stored.

The whole conversation is one table, `STEPS`, at the bottom of this module (in the manner
of python-telegram-bot's `conversationbot.py` `states={...}`): each step's prompt, the
field its typed text fills, its buttons and the step after it. The fields' readers
(`FIELDS`) are the one rule for each value: the chat flow and the one-screen form (Slack's
modal) both read through them, so a field is added in one place and the two agree.

Each step reads and writes the user's draft in the database, not process memory, so a
restart or a second replica continues the conversation, and nothing typed is lost (an
over-long text stays in the draft) — which is why this is not a PTB ConversationHandler,
whose state lives in one process. The flow is transport-neutral: Telegram, the console
and Slack feed it text and button presses (`draft:…` actions) and render its replies.
Storing (confirm, amend, new) runs the submission rule again inside the write, so a user
revoked while at the preview is refused there — politely, and the draft is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rapidfuzz import fuzz

from .access import MAX_MISSION, Access, mission_name, parse_commitments, refuse_role
from bot.conversation.identity import Sender
from bot.answering.catalogue import Catalogue
from bot.conversation.refusals import NotAllowed, Refusal
from bot.conversation.i18n import t
from .progress import MAX_TEXT, Progress, may_set_mission, may_submit, too_long, unassigned
from .statuses import parse_status, status_label, status_labels
from .sanitise import clean_text
from bot.conversation.replies import Button, Reply, commitment_label, error, joined, title
from bot.storage.drafts import Draft
from bot.storage.store import Rights, Store
from bot.storage.updates import STATUSES, ProgressUpdate
from bot.storage.users import User

EDITING = ("edit_text", "edit")  # the steps of /edit (a draft holding an update's change)
ABANDONED = timedelta(minutes=30)  # a draft untouched this long no longer captures free text
DUPLICATE_WINDOW = timedelta(hours=24)
DUPLICATE_SIMILARITY = 85.0
OWN_BUTTONS = 6

Suggest = Callable[[str], list[str]]  # free text -> commitment ids, best first


def cancel_button() -> Button:
    return Button(t("draft.cancel_button"), "draft:cancel")


def back_button() -> Button:
    return Button(t("draft.back"), "draft:back")


EDITABLE = ("status", "text", "mission")  # what the preview's buttons go back to change


def keeping_draft(refusal: Reply | None) -> Reply | None:
    """A refusal in the middle of the flow also says that nothing typed was lost."""
    if refusal is None:
        return None
    return Reply(refusal.heading, (*refusal.body, t("draft.kept")), refusal.buttons)


class Invalid(Exception):
    """A field's value cannot be taken: said as `reply` in chat, as `line` under the form's
    field. `readable` is False when the text names no value at all (the chat may then
    offer choices); `keep` is what the draft keeps of it (nothing typed is lost)."""

    def __init__(self, reply: Reply, line: str | None = None, *, readable: bool = True,
                 keep: Mapping[str, str] | None = None) -> None:
        super().__init__("invalid")
        self.reply = reply
        self.line = line if line is not None else reply.plain()
        self.readable = readable
        self.keep = dict(keep or {})


@dataclass(frozen=True)
class Field:
    """One field of an update: its name (the draft's key, the form's block) and the rule
    that reads it from what the user typed — the value, or `Invalid`."""

    name: str
    read: Callable[[UpdateFlow, User, str], Any]


@dataclass(frozen=True)
class FormChoices:
    """What a one-screen update form offers (Slack's modal): own commitments first."""

    commitments: tuple[tuple[str, str], ...]
    statuses: tuple[tuple[str, str], ...]
    mission: str
    max_text: int = MAX_TEXT
    max_mission: int = MAX_MISSION


# -- the fields: one rule each, for the chat flow and the form --------------------------

def allowed_commitment(flow: UpdateFlow, user: User, commitment_id: str) -> str:
    """The commitment, if this user may update it now (the write checks again)."""
    if (refusal := flow.progress.refuse_unassigned(user, commitment_id)) is not None:
        raise Invalid(refusal)
    return commitment_id


def read_commitment(flow: UpdateFlow, user: User, text: str) -> str:
    """`12`, `C12`, `第十二项`: the first word names the commitment."""
    words = text.split()
    ids = parse_commitments(words[0] if words else "", flow.catalogue)
    if isinstance(ids, str):
        raise Invalid(error(ids), readable=False)
    return allowed_commitment(flow, user, ids[0])


def read_status(_flow: UpdateFlow, _user: User, text: str) -> str:
    """A status code, or its label or a synonym in any language."""
    status = parse_status(text)
    if status is None:
        raise Invalid(error(t("draft.pick_status", statuses=" / ".join(status_labels().values()))),
                      t("form.status"))
    return status


def read_text(_flow: UpdateFlow, _user: User, text: str) -> str:
    """What happened: 1 to MAX_TEXT characters; an over-long one is kept in the draft."""
    text = text.strip()
    if not text:
        raise Invalid(error(t("draft.say_something")))
    if len(text) > MAX_TEXT:
        raise Invalid(too_long(text, "draft.too_long_hint", "draft.too_long_kept"),
                      t("form.too_long", max=MAX_TEXT, length=len(text)), keep={"overlong": text})
    return text


def read_mission(flow: UpdateFlow, user: User, text: str) -> str:
    """A mission name (may be empty) this user may report for."""
    mission = mission_name(text)
    if mission is None:
        raise Invalid(error(t("mission.too_long", max=MAX_MISSION)),
                      t("form.mission_too_long", max=MAX_MISSION))
    if (refusal := flow.progress.refuse_mission(user, mission)) is not None:
        raise Invalid(error(refusal, t("draft.pick_or_type_one")), refusal)
    return mission


COMMITMENT = Field("commitment", read_commitment)
STATUS = Field("status", read_status)
TEXT = Field("text", read_text)
MISSION = Field("mission", read_mission)


class UpdateFlow:
    """Drives one user's draft through `STEPS`; every method returns the next prompt."""

    def __init__(self, store: Store, catalogue: Catalogue, access: Access, progress: Progress,
                 suggest: Suggest) -> None:
        self.store = store
        self.catalogue = catalogue
        self.access = access
        self.progress = progress
        self.suggest = suggest

    # -- entry points ------------------------------------------------------------------

    def start(self, sender: Sender, given: Mapping[str, str] | None = None) -> Reply:
        """`/update` (or part of an update — `/update C12`, `/update C12 进行中`, a
        reminder's button): resume the user's draft, else start one with what is given, at
        the first step still to fill. `words` naming no commitment go to the commitment step."""
        user = self.access.require(sender, "focal_point")
        given = dict(given or {})
        draft = self.store.drafts.get(user.id)
        if draft is not None and not (given and draft.step == "commitment"):
            reply = self._prompt(user, draft, resumed=True)  # never drop what was typed
            if given:
                reply = Reply(reply.heading, (*reply.body, t("draft.resumed_instead")),
                              reply.buttons)
            return reply
        draft = draft or self.store.drafts.save(user.id, "commitment", {})
        if not given:
            return self._prompt(user, draft)
        if words := given.pop("words", None):
            return self.text(user, draft, words)
        if "commitment" in given:
            try:
                allowed_commitment(self, user, given["commitment"])
            except Invalid as invalid:  # the commitment step stays, its buttons under the no
                return Reply(invalid.reply.heading, invalid.reply.body,
                             self._prompt(user, draft).buttons)
        return self._save(user, draft, self._first_to_fill("commitment", given), **given)

    def fast(self, sender: Sender, commitment_id: str, status: str, text: str,
             key: str | None) -> Reply:
        """`/update C12 进行中 text`, already read by `parse_partial`: stored at once, unless
        it nearly repeats a recent one."""
        user = self.access.require(sender, "focal_point")
        if (refusal := self.progress.refuse_unassigned(user, commitment_id)) is not None:
            return refusal
        twin = self._near_duplicate(user, commitment_id, text)
        # Checked after the twin search: a concurrent copy of this message that commits in
        # between is recognised here, or by the key's unique constraint when storing.
        if key and (seen := self.store.updates.by_key(key)) is not None:
            return self.progress.stored(seen, created=False)  # the same message, delivered again
        data = {"commitment": commitment_id, "status": status, "text": text,
                "mission": user.mission or "", "key": key}
        if twin is not None:
            return self._prompt(user, self.store.drafts.save(user.id, "duplicate",
                                                            {**data, "twin": twin.id}))
        return self.progress.record(user, commitment_id, status, text, key)

    def form_choices(self, sender: Sender) -> FormChoices:
        """The choices of the one-screen form; raises when this user may not submit."""
        user = self.access.require(sender, "focal_point")
        mine = self.store.assignments.commitments(user.id)
        if user.role == "admin" or self.store.assignments.missions(user.id):  # may update any commitment
            mine += [c for c in self.catalogue.commitments if c not in mine]
        if not mine:
            raise NotAllowed(t("update.none_yours"))
        return FormChoices(tuple((c, title(self.catalogue.commitments[c])) for c in mine),
                           tuple(status_labels().items()), user.mission or "")

    def form(self, sender: Sender, fields: dict[str, str], key: str) -> Reply | dict[str, str]:
        """A whole update at once, read by the chat's rules (`FIELDS`): the stored update,
        or an error message per field."""
        try:
            user = self.access.require(sender, "focal_point")
        except NotAllowed as refusal:
            return {"commitment": refusal.reply.plain()}
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for item in FIELDS:
            try:
                values[item.name] = item.read(self, user, clean_text(fields.get(item.name, "")))
            except Invalid as invalid:
                errors[item.name] = invalid.line
        return errors or self._store_form(user, values, clean_text(key))

    def captures(self, user: User, draft: Draft) -> bool:
        """Does the draft take the user's next free text (a typing step, not abandoned, and
        the user still a focal point — a revoked one's questions are answered as questions)?"""
        step = STEPS.get(draft.step)
        return (step is not None and step.fills is not None
                and self.store.clock() - draft.updated_at <= ABANDONED
                and refuse_role(user.role, "focal_point") is None)

    def text(self, user: User, draft: Draft, text: str) -> Reply:
        """Typed input for the current step: its field read, or why not."""
        step = STEPS[draft.step]
        assert step.fills is not None  # `captures` lets only typing steps take text
        text = text.strip()
        try:
            value = step.fills.read(self, user, text)
        except Invalid as invalid:
            if not invalid.readable and step.unreadable is not None:
                return step.unreadable(self, user, draft, text)
            if invalid.keep:  # nothing typed is lost
                self.store.drafts.save(user.id, draft.step, {**draft.data, **invalid.keep})
            # the step's buttons stay under the correction: a wrong word is no dead end
            return Reply(invalid.reply.heading, invalid.reply.body,
                         invalid.reply.buttons or self._prompt(user, draft).buttons)
        return self._take(user, draft, value)

    def press(self, sender: Sender, action: str) -> Reply:
        """A `draft:verb[:value]` button: one of the current step's, or cancel."""
        user = self.access.get_or_create_user(sender)
        draft = self.store.drafts.get(user.id)
        verb, _, value = action.partition(":")
        if draft is None:
            return error(t("draft.gone"), t("draft.gone_hint"))
        if verb == "cancel":
            return self.cancel(sender)
        if (refusal := keeping_draft(refuse_role(user.role, "focal_point"))) is not None:
            return refusal  # revoked since the draft began: it waits, untouched
        if verb == "back" and draft.data.get("editing"):  # from a step back to the preview
            return self._save(user, draft, "preview", editing=None)
        if verb not in STEP_OF_BUTTON:
            return error(t("common.button_expired"), t("draft.continue_hint"))
        if STEP_OF_BUTTON[verb] != draft.step:  # a button from an earlier message
            reply = self._prompt(user, draft)
            return Reply(t("draft.button_outdated", heading=reply.heading or ""), reply.body,
                         reply.buttons)
        try:
            return STEPS[draft.step].buttons[verb](self, user, draft, value)
        except Invalid as invalid:
            return invalid.reply

    def command(self, sender: Sender, args: str, key: str | None) -> Reply:
        """`/update C12 进行中 text`: at once; `/update` or any part of it (`/update C12`,
        `/update C12 进行中`, `/update 女性警官`): step by step from what it gives."""
        if not args:
            return self.start(sender)
        given = self.progress.parse_partial(args)
        if isinstance(given, Reply):
            return given
        if {"commitment", "status", "text"} <= given.keys():
            return self.fast(sender, given["commitment"], given["status"], given["text"], key)
        return self.start(sender, given)

    def edit(self, sender: Sender, args: str) -> Reply:
        """`/edit 42 [status] text`: a preview first, offering to add the text to the
        original or to replace it; nothing changes until the user chooses. A draft of
        /update in progress is put aside meanwhile and comes back afterwards."""
        user, item, status, text = self.progress.read_edit(sender, args)
        draft = self.store.drafts.get(user.id)
        aside = (draft.data.get("aside") if draft is not None and draft.step in EDITING
                 else {"step": draft.step, "data": draft.data} if draft is not None else None)
        data = {"update": item.id, "status": status, "text": text or None, "aside": aside}
        step = "edit" if text or status else "edit_text"  # `/edit 42` alone asks for the text
        return self._prompt(user, self.store.drafts.save(
            user.id, step, {k: v for k, v in data.items() if v is not None}))

    def cancel(self, sender: Sender, _args: str = "") -> Reply:
        user = self.access.get_or_create_user(sender)
        draft = self.store.drafts.get(user.id)
        if draft is None:
            return error(t("draft.none"))
        if draft.step in EDITING:
            return Reply(t("edit.cancelled", id=draft.data["update"]), self._put_back(user, draft))
        self.store.drafts.delete(user.id)
        return Reply(t("draft.cancelled"), (t("draft.cancelled_hint"),))

    def put_aside_notice(self, draft: Draft) -> str | None:
        """A line under other answers reminding the user of an abandoned draft."""
        if self.store.clock() - draft.updated_at <= ABANDONED:
            return None
        if draft.step in EDITING:
            return t("edit.put_aside", id=draft.data["update"])
        return t("draft.put_aside")

    # -- moving between steps ----------------------------------------------------------

    def _save(self, user: User, draft: Draft, step: str, **changes: object) -> Reply:
        """Move to `step` with `changes` applied (None removes a field) and show its prompt."""
        data = {k: v for k, v in {**draft.data, **changes}.items() if v is not None}
        return self._prompt(user, self.store.drafts.save(user.id, step, data))

    def _take(self, user: User, draft: Draft, value: Any) -> Reply:
        """Fill the current step's field and go to the next step (back to the preview when
        editing from it); an over-long text kept earlier is dropped."""
        step = STEPS[draft.step]
        assert step.fills is not None and step.next is not None
        if step.then is not None:
            step.then(self, user, value)
        after = ("preview" if draft.data.get("editing")
                 else self._first_to_fill(step.next, {**draft.data, step.fills.name: value}))
        return self._save(user, draft, after, **{step.fills.name: value}, overlong=None,
                          editing=None)

    @staticmethod
    def _first_to_fill(name: str, data: Mapping[str, Any]) -> str:
        """`name` or the first step after it whose field `data` does not hold yet (a
        partial /update fills some at once)."""
        while (fills := STEPS[name].fills) is not None and fills.name in data:
            assert STEPS[name].next is not None
            name = STEPS[name].next  # type: ignore[assignment]  # a typing step leads on
        return name

    def _propose(self, user: User, draft: Draft, text: str) -> Reply:
        """Typed words naming no commitment: the matcher's best three the user may update,
        as buttons; related ones that are not theirs are named, with how to get them."""
        found = [c for c in self.suggest(text) if c in self.catalogue.commitments]
        rights = self.store.rights(user.id)
        allowed = [c for c in found if unassigned(rights, c) is None]
        own = allowed[:3]
        others = [c for c in found if c not in allowed][:3]  # not theirs
        note = (t("draft.not_yours_found", list=joined(others)), t("update.ask_assign"))
        if own:
            buttons = tuple((Button(commitment_label(self.catalogue.commitments[c]), f"draft:c:{c}"),)
                            for c in own)
            mine_only = bool(others) or rights.role != "admin" and not rights.missions
            return Reply(t("draft.is_it_yours" if mine_only else "draft.is_it"),
                         note if others else (), (*buttons, (cancel_button(),)))
        step_buttons = self._prompt(user, draft).buttons  # the user's own, and cancel
        if others:
            return Reply(t("draft.none_yours_match", text=text[:30]), note, step_buttons)
        return Reply(t("draft.no_match", text=text[:30]), (t("draft.no_match_hint"),),
                     step_buttons)

    def _remember_mission(self, user: User, mission: str) -> None:
        """A mission typed in the flow becomes the user's mission for next time."""
        if mission and mission != user.mission:
            self.store.users.set_mission(user.id, mission, check=lambda rights: keeping_draft(
                may_set_mission(rights, mission)))

    # -- buttons -----------------------------------------------------------------------

    def _choose_commitment(self, user: User, draft: Draft, commitment_id: str) -> Reply:
        if commitment_id not in self.catalogue.commitments:
            return error(t("common.button_expired"), t("draft.type_number"))
        return self._take(user, draft, allowed_commitment(self, user, commitment_id))

    def _choose_status(self, user: User, draft: Draft, status: str) -> Reply:
        if status not in STATUSES:
            return error(t("common.button_expired"))
        return self._take(user, draft, status)

    def _choose_mission(self, user: User, draft: Draft, value: str) -> Reply:
        mission = (user.mission or "") if value == "keep" else ""
        if (refusal := self.progress.refuse_mission(user, mission)) is not None:
            return error(refusal, t("draft.type_one"))
        return self._take(user, draft, mission)

    def _edit(self, user: User, draft: Draft, value: str) -> Reply:
        """A preview button: back to the status, text or mission step; the step's answer
        (or its "back" button) returns to the preview with every other field kept."""
        target = value or "text"  # `draft:edit` alone: the text (buttons sent before)
        if target not in EDITABLE:
            return error(t("common.button_expired"), t("draft.continue_hint"))
        return self._save(user, draft, target, editing=True)

    def _confirm(self, user: User, draft: Draft, _value: str) -> Reply:
        twin = self._near_duplicate(user, draft.data["commitment"], draft.data["text"])
        if twin is not None:
            return self._save(user, draft, "duplicate", twin=twin.id)
        return self._store_new(user, draft, "")

    # -- storing -----------------------------------------------------------------------

    def _store_new(self, user: User, draft: Draft, _value: str) -> Reply:
        data = draft.data
        # A double-tapped "confirm" carries the same draft version: one row.
        key = data.get("key") or f"draft:{user.id}:{draft.version}"
        mission = data.get("mission", "")

        def check(rights: Rights) -> Reply | None:
            return keeping_draft(may_submit(rights, data["commitment"], mission))

        stored, created = self.store.updates.add(user.id, data["commitment"], data["status"],
                                                data["text"], mission, key=key, check=check)
        self.store.drafts.delete(user.id)
        return self.progress.stored(stored, created)

    def _amend(self, user: User, draft: Draft, _value: str) -> Reply:
        twin_id = draft.data.get("twin")
        twin = self.store.updates.get(twin_id) if isinstance(twin_id, int) else None
        if twin is None or twin.withdrawn_at is not None:
            return self._store_new(user, draft, "")
        edited = self.store.updates.edit(
            twin.id, by=user.id, status=draft.data["status"], text=draft.data["text"],
            check=lambda rights, item: keeping_draft(self.progress.may_change_now(rights, item)))
        self.store.drafts.delete(user.id)
        return Reply(t("edit.done", id=edited.id, revision=edited.revision),
                     self.progress.describe(edited))

    def _apply_edit(self, user: User, draft: Draft, how: str) -> Reply:
        """The /edit preview's choice: add the new text to the original ("add"), replace it
        ("replace"), or only change the status; the rule is checked again inside the write."""
        data = draft.data
        item = self.store.updates.get(data["update"])
        text = data.get("text")
        if item is None or (text and how not in ("add", "replace")):
            return error(t("common.button_expired"), t("draft.continue_hint"))
        if text and how == "add":
            text = added(item.text, text)
            if len(text) > MAX_TEXT:
                return error(t("edit.too_long_to_add", max=MAX_TEXT))
        try:
            edited = self.store.updates.edit(item.id, by=user.id, status=data.get("status"),
                                            text=text, check=self.progress.may_change_now)
        except Refusal as refusal:  # too late now, or no longer theirs: the edit cannot be
            return Reply(refusal.reply.heading,  # done, so it is dropped, the draft put back
                         (*refusal.reply.body, *self._put_back(user, draft)))
        return Reply(t("edit.done", id=edited.id, revision=edited.revision),
                     (*self.progress.describe(edited), *self._put_back(user, draft)))

    def _put_back(self, user: User, draft: Draft) -> tuple[str, ...]:
        """End a pending /edit: the /update draft it put aside comes back (a line saying
        so), or there is no draft any more."""
        aside = draft.data.get("aside")
        if not aside:
            self.store.drafts.delete(user.id)
            return ()
        self.store.drafts.save(user.id, aside["step"], aside["data"])
        return (t("draft.aside_back"),)

    def _store_form(self, user: User, values: dict[str, Any], key: str
                    ) -> Reply | dict[str, str]:
        """Store a form's read values once per key; a near-duplicate or a refusal inside
        the write goes back into the form."""
        if (seen := self.store.updates.by_key(key)) is not None:
            return self.progress.stored(seen, created=False)
        commitment, status, text = values["commitment"], values["status"], values["text"]
        mission = values["mission"]
        if (twin := self._near_duplicate(user, commitment, text)) is not None:
            return {"text": t("form.duplicate", id=twin.id)}
        try:
            if mission != (user.mission or ""):
                self.store.users.set_mission(user.id, mission,
                                       check=lambda rights: may_set_mission(rights, mission))
            stored, created = self.store.updates.add(
                user.id, commitment, status, text, mission, key=key,
                check=lambda rights: may_submit(rights, commitment, mission))
        except NotAllowed as refusal:
            return {"commitment": refusal.reply.plain()}
        return self.progress.stored(stored, created)

    def _near_duplicate(self, user: User, commitment_id: str, text: str) -> ProgressUpdate | None:
        """The user's own update on this commitment in the last 24 h with almost this text."""
        since = self.store.clock() - DUPLICATE_WINDOW
        for item in self.store.updates.where(user_id=user.id, since=since,
                                            commitment_id=commitment_id):
            if fuzz.ratio(item.text, text) >= DUPLICATE_SIMILARITY:
                return item
        return None

    # -- prompts -----------------------------------------------------------------------

    def _prompt(self, user: User, draft: Draft, resumed: bool = False) -> Reply:
        reply = STEPS[draft.step].prompt(self, user, draft)
        if resumed:
            return Reply(t("draft.resumed", heading=reply.heading or ""), reply.body, reply.buttons)
        return reply

    def _ask_commitment(self, user: User, _draft: Draft) -> Reply:
        mine = self.store.assignments.commitments(user.id)[:OWN_BUTTONS]
        buttons = tuple((Button(commitment_label(self.catalogue.commitments[c]), f"draft:c:{c}"),)
                        for c in mine)
        return Reply(t("draft.step1"), (t("draft.step1_hint"),), (*buttons, (cancel_button(),)))

    def _ask_status(self, _user: User, draft: Draft) -> Reply:
        commitment = self.catalogue.commitments[draft.data["commitment"]]
        lines = []
        if draft.data.get("editing"):
            lines.append(t("draft.current_status", status=status_label(draft.data["status"])))
        elif draft.data.get("text"):  # given with /update C12 text: kept for step 3
            lines.append(t("draft.current_text", text=draft.data["text"]))
        return Reply(t("draft.step2", id=commitment.id, title=title(commitment)), tuple(lines),
                     (tuple(Button(label, f"draft:s:{code}") for code, label in status_labels().items()),
                      _last_row(draft)))

    def _ask_text(self, _user: User, draft: Draft) -> Reply:
        lines = [t("draft.step3_hint", max=MAX_TEXT)]
        if draft.data.get("text"):
            lines.append(t("draft.current_text", text=draft.data["text"]))
        return Reply(t("draft.step3"), tuple(lines), (_last_row(draft),))

    def _ask_mission(self, user: User, draft: Draft) -> Reply:
        buttons = ([Button(t("draft.keep_mission", mission=user.mission), "draft:m:keep")]
                   if user.mission else [])
        buttons.append(Button(t("draft.no_mission"), "draft:m:none"))
        lines = [t("draft.step4_hint")]
        if draft.data.get("editing"):
            lines.append(t("draft.mission", mission=draft.data.get("mission") or t("draft.blank")))
        return Reply(t("draft.step4"), tuple(lines), (tuple(buttons), _last_row(draft)))

    def _preview(self, _user: User, draft: Draft) -> Reply:
        data = draft.data
        commitment = self.catalogue.commitments[data["commitment"]]
        return Reply(t("draft.preview"),
                     (f"{commitment.id} {title(commitment)}",
                      t("update.status", status=status_label(data["status"])),
                      data["text"], t("draft.mission", mission=data.get("mission") or t("draft.blank"))),
                     ((Button(t("draft.confirm"), "draft:confirm"),),
                      (Button(t("draft.edit_status"), "draft:edit:status"),
                       Button(t("draft.edit"), "draft:edit:text")),
                      (Button(t("draft.edit_mission"), "draft:edit:mission"), cancel_button())))

    def _ask_edit_text(self, _user: User, draft: Draft) -> Reply:
        """`/edit 42` named no change: ask for the new text, showing the current one."""
        item = self.store.updates.get(draft.data["update"])
        assert item is not None  # updates are never deleted
        return Reply(t("edit.ask_text", id=item.id), (t("edit.old_text", text=item.text),
                                                      t("edit.what")), ((cancel_button(),),))

    def _ask_edit(self, _user: User, draft: Draft) -> Reply:
        """The /edit preview: what changes, and the choice of adding or replacing."""
        data = draft.data
        item = self.store.updates.get(data["update"])
        if item is None:  # cannot happen: updates are never deleted
            return error(t("edit.no_such", id=data["update"]))
        lines = [f"{item.commitment_id} {title(self.catalogue.commitments[item.commitment_id])}"]
        if data.get("status"):
            lines.append(t("edit.status_change", old=status_label(item.status),
                           new=status_label(data["status"])))
        if not data.get("text"):
            return Reply(t("edit.preview", id=item.id), tuple(lines),
                         ((Button(t("edit.apply"), "draft:apply"),), (cancel_button(),)))
        lines += [t("edit.old_text", text=item.text), t("edit.new_text", text=data["text"])]
        choices = [Button(t("edit.replace"), "draft:apply:replace")]
        if len(added(item.text, data["text"])) <= MAX_TEXT:
            choices.insert(0, Button(t("edit.add"), "draft:apply:add"))
            lines.append(t("edit.choose_hint"))
        else:
            lines.append(t("edit.too_long_to_add", max=MAX_TEXT))
        return Reply(t("edit.preview", id=item.id), tuple(lines),
                     (tuple(choices), (cancel_button(),)))

    def _ask_duplicate(self, _user: User, draft: Draft) -> Reply:
        twin = self.store.updates.get(draft.data["twin"])
        assert twin is not None
        return Reply(t("draft.duplicate", commitment=twin.commitment_id, id=twin.id),
                     (twin.text, t("draft.duplicate_hint")),
                     ((Button(t("draft.amend", id=twin.id), "draft:amend"),
                       Button(t("draft.new"), "draft:new")),
                      (cancel_button(),)))


def _last_row(draft: Draft) -> tuple[Button, ...]:
    """Cancel — and, when the step was opened from the preview, back to it unchanged."""
    return (back_button(), cancel_button()) if draft.data.get("editing") else (cancel_button(),)


def added(original: str, addition: str) -> str:
    """The original text with the addition below it, marked as one ("补充：…") unless the
    user already wrote such a word."""
    marked = t("edit.addition", text=addition)
    if addition.startswith(marked.replace(addition, "").strip()):
        marked = addition
    return f"{original}\n{marked}"


Prompt = Callable[[UpdateFlow, User, Draft], Reply]
Press = Callable[[UpdateFlow, User, Draft, str], Reply]  # (flow, user, draft, button value)


@dataclass(frozen=True)
class Step:
    """One state of the conversation: what it asks, the field typed text fills (None:
    buttons only), its `draft:verb` buttons, and the step after it. `unreadable` answers
    text naming no value at all; `then` is what taking the value also does."""

    prompt: Prompt
    fills: Field | None = None
    buttons: Mapping[str, Press] = field(default_factory=dict)
    next: str | None = None
    unreadable: Callable[[UpdateFlow, User, Draft, str], Reply] | None = None
    then: Callable[[UpdateFlow, User, Any], None] | None = None


# The /update conversation on one screen; `draft:cancel` works at every step, `draft:back`
# at a step opened from the preview. "edit" is /edit's preview (an existing update changed).
STEPS: dict[str, Step] = {
    "commitment": Step(UpdateFlow._ask_commitment, COMMITMENT, {"c": UpdateFlow._choose_commitment},
                       next="status", unreadable=UpdateFlow._propose),
    "status": Step(UpdateFlow._ask_status, STATUS, {"s": UpdateFlow._choose_status}, next="text"),
    "text": Step(UpdateFlow._ask_text, TEXT, next="mission"),  # `edit` comes back here
    "mission": Step(UpdateFlow._ask_mission, MISSION, {"m": UpdateFlow._choose_mission},
                    next="preview", then=UpdateFlow._remember_mission),
    "preview": Step(UpdateFlow._preview, buttons={"confirm": UpdateFlow._confirm,
                                                  "edit": UpdateFlow._edit}),
    "duplicate": Step(UpdateFlow._ask_duplicate, buttons={"amend": UpdateFlow._amend,
                                                          "new": UpdateFlow._store_new}),
    "edit_text": Step(UpdateFlow._ask_edit_text, TEXT, next="edit"),  # `/edit N` alone
    "edit": Step(UpdateFlow._ask_edit, buttons={"apply": UpdateFlow._apply_edit}),  # /edit N
}
STEP_OF_BUTTON = {verb: name for name, step in STEPS.items() for verb in step.buttons}
FIELDS = tuple(dict.fromkeys(  # the form's (a field filled at two steps appears once)
    step.fills for step in STEPS.values() if step.fills is not None))
