"""Progress updates: submitting, correcting and withdrawing them, and reading where things stand.

Transport-neutral like the rest of the core: commands come in as (sender, args,
idempotency key) and leave as `Reply` objects. The permission rules live here
(`may_submit`, `may_change`); every write hands its rule to the store, which runs it again
inside the write on the writer's rights as they are then, so a revocation is never outrun.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from .access import MAX_MISSION, Access, mission_name, parse_commitments, refuse_role
from .statuses import parse_status, status_at_start, status_label
from bot.conversation.identity import Sender
from bot.briefing import export
from bot.answering.catalogue import Catalogue
from bot.conversation.refusals import BadArguments, NotAllowed, NotFound
from bot.conversation.i18n import t
from bot.answering.normalisation import normalise
from bot.answering.numbers import (FIRST_DAY, LAST_DAY, day_start, is_number, parse_count, parse_day,
                                   parse_id, period_end)
from bot.conversation.replies import Attachment, Button, Reply, area_name, error, joined, title
from bot.storage.store import Rights, Store, StoreError
from bot.storage.updates import STATUSES, ProgressUpdate
from bot.storage.users import User

MAX_TEXT = 500
ECHO_LIMIT = 600  # an over-long text longer than this is not echoed: the refusal stays one message
EDIT_WINDOW = timedelta(hours=24)
UNDO_WINDOW = timedelta(minutes=10)  # how long a withdrawal can be undone
DAYS = r"天|日|days?|d|jours?|j"  # what may follow a number of days: "七天", "30 days"
SHOWN = 5


def too_long(text: str, hint: str = "update.too_long_hint",
             short_hint: str = "update.too_long_no_echo") -> Reply:
    """The refusal of an over-long text, with its length, in one message: the text is given
    back to copy only when that still fits one chat message (escaped, under 4,096)."""
    echo = t(hint, text=text) if len(text) <= ECHO_LIMIT else t(short_hint, max=MAX_TEXT)
    return error(t("update.too_long", max=MAX_TEXT, length=len(text)), echo)


def _button_number(payload: str) -> str:
    """A button's update number; a forged or garbled payload is an expired button."""
    if not is_number(payload):
        raise BadArguments(t("common.button_expired"))
    return payload


def update_usage() -> str:
    return t("update.usage")


def day(value: datetime) -> str:
    return f"{value:%Y-%m-%d}"


def unassigned(rights: Rights, commitment_id: str) -> Reply | None:
    """Why this user may not update this commitment; None when they may.

    Admins may update anything; a focal point, the commitments assigned to them and —
    when they own a mission — every commitment, for that mission.
    """
    if rights.role == "admin":
        return None
    if commitment_id in rights.commitments or (rights.missions and rights.mission in rights.missions):
        return None
    mine = sorted(rights.commitments, key=lambda c: int(c[1:]))
    if not mine:
        return error(t("update.not_yours", id=commitment_id), t("update.none_yours"))
    return Reply(t("update.not_yours", id=commitment_id),
                 (t("update.yours", list=joined(mine)), t("update.ask_assign")))


def wrong_mission(rights: Rights, mission: str) -> str | None:
    """Why this user may not report for this mission (a focal point owning missions reports
    only for those); None when they may."""
    if rights.role != "admin" and rights.missions and mission not in rights.missions:
        return t("update.your_missions", list=joined(sorted(rights.missions)))
    return None


def may_set_mission(rights: Rights, mission: str) -> Reply | None:
    """The rule for /mission and the flow's mission step, checked inside the write."""
    refusal = refuse_role(rights.role, "focal_point")
    if refusal is None and (problem := wrong_mission(rights, mission)) is not None:
        refusal = error(problem, t("mission.ask_admin"))
    return refusal


def may_submit(rights: Rights, commitment_id: str, mission: str) -> Reply | None:
    """The rule for storing an update, checked inside the write: still a focal point, the
    commitment still theirs, the mission one they may report for."""
    return may_set_mission(rights, mission) or unassigned(rights, commitment_id)


def not_the_owner(rights: Rights, item: ProgressUpdate) -> Reply | None:
    """Why this user may not touch this update at all: not theirs (admins: any), or no
    longer a focal point; None when they may."""
    if rights.role == "admin":
        return None
    if item.user_id != rights.user_id:
        return error(t("edit.not_yours"))
    if refuse_role(rights.role, "focal_point") is not None:
        return error(t("access.focal_points_only_change"), t("access.focal_points_only_hint"))
    return None


def may_change(rights: Rights, item: ProgressUpdate, now: datetime) -> Reply | None:
    """Why this user may not edit or withdraw this update now; None when they may: admins
    any, focal points their own for 24 hours. Checked before and again inside the write."""
    if (refusal := not_the_owner(rights, item)) is not None:
        return refusal
    if rights.role != "admin" and now - item.created_at > EDIT_WINDOW:
        return error(t("edit.too_old"), t("edit.too_old_hint"))
    if item.withdrawn_at is not None:
        return error(t("edit.withdrawn", id=item.id))
    return None


def may_restore(rights: Rights, item: ProgressUpdate, now: datetime) -> Reply | None:
    """Why this user may not undo this withdrawal now; None when they may: within
    UNDO_WINDOW of it, their own update (admins: any), still a focal point and the
    commitment still theirs — checked before and again inside the write."""
    if item.withdrawn_at is None:
        return error(t("restore.not_withdrawn", id=item.id))
    if (refusal := not_the_owner(rights, item)) is not None:
        return refusal
    if now - item.withdrawn_at > UNDO_WINDOW:
        return error(t("restore.too_late", id=item.id, minutes=_minutes(UNDO_WINDOW)),
                     t("restore.too_late_hint", commitment=item.commitment_id))
    return unassigned(rights, item.commitment_id)


ItemRule = Callable[[Rights, ProgressUpdate], Reply | None]  # may_change_now, may_restore_now


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


class Progress:
    """The focal points' desk: updates in, progress out."""

    def __init__(self, store: Store, catalogue: Catalogue, access: Access, *,
                 public_url: str | None = None) -> None:
        self.store = store
        self.catalogue = catalogue
        self.access = access
        self.public_url = public_url  # the web dashboard's address (A4P_PUBLIC_URL), if served

    # -- writing -----------------------------------------------------------------------

    def parse_partial(self, args: str) -> dict[str, str] | Reply:
        """What `/update …` names of an update — `commitment`, `status`, `text` — for the
        step-by-step flow to ask the rest; `words` when it names no commitment (keywords
        the commitment step reads); a refusal for an id that does not exist or a text
        over the limit (as the fast path says it)."""
        args = args.strip()
        if (status := parse_status(args)) is not None:
            return {"status": status}
        head, _, rest = args.partition(" ")
        ids = parse_commitments(head, self.catalogue)
        if isinstance(ids, str):
            if any(c.isnumeric() for c in head):  # a number, but no commitment's (C99, X1)
                return error(ids, update_usage())
            return {"words": args}
        given = {"commitment": ids[0]}
        rest = rest.strip()
        if (found := status_at_start(rest)) is not None:
            given["status"], rest = found[0], found[1].strip()
        if len(rest) > MAX_TEXT:
            return too_long(rest)
        return given | ({"text": rest} if rest else {})

    def record(self, user: User, commitment_id: str, status: str, text: str,
               key: str | None) -> Reply:
        """Store an update (once per key) and show it with an undo button."""
        mission = user.mission or ""
        try:
            stored, created = self.store.updates.add(
                user.id, commitment_id, status, text, mission, key=key,
                check=lambda rights: may_submit(rights, commitment_id, mission))
        except StoreError:
            return error(t("update.not_saved"),
                         t("update.not_saved_hint", command=f"/update {commitment_id} "
                                                            f"{status_label(status)} {text}"))
        return self.stored(stored, created, user)

    def stored(self, item: ProgressUpdate, created: bool = True, user: User | None = None) -> Reply:
        heading = t("update.stored" if created else "update.stored_before", id=item.id)
        hint = (t("update.mission_hint"),) if user is not None and not user.mission else ()
        return Reply(heading, (*self.describe(item), *hint),
                     ((Button(t("update.undo"), f"withdraw:{item.id}"),),))

    def shown(self, heading: str, item: ProgressUpdate) -> Reply:
        """An update under `heading`, with the button that withdraws it (after asking)."""
        return Reply(heading, self.describe(item),
                     ((Button(t("mine.withdraw", id=item.id), f"withdraw:{item.id}"),),))

    def refuse_unassigned(self, user: User, commitment_id: str) -> Reply | None:
        """`unassigned` on the user's rights now (an early answer; the write checks again)."""
        return unassigned(self.store.rights(user.id), commitment_id)

    def refuse_mission(self, user: User, mission: str) -> str | None:
        """`wrong_mission` on the user's rights now (an early answer; the write checks again)."""
        return wrong_mission(self.store.rights(user.id), mission)

    def may_change_now(self, rights: Rights, item: ProgressUpdate) -> Reply | None:
        """`may_change` at the store's current time (the check edits and withdrawals pass)."""
        return may_change(rights, item, self.store.clock())

    def withdraw(self, sender: Sender, number: str) -> Reply:
        """The withdraw (or undo) button: asks first — a tap too many is cheap, a lost
        update is not."""
        _user, item = self._own_recent(sender, _button_number(number))
        return Reply(t("withdraw.confirm", id=item.id), self.describe(item),
                     ((Button(t("withdraw.confirm_button"), f"withdraw_yes:{item.id}"),
                       Button(t("withdraw.keep_button"), f"withdraw_no:{item.id}")),))

    def confirm_withdraw(self, sender: Sender, number: str) -> Reply:
        """Withdraw your own update within 24 hours (admins: any); it stays in history, and
        the withdrawal can be undone for UNDO_WINDOW."""
        user, item = self._own_recent(sender, _button_number(number))
        withdrawn = self.store.updates.withdraw(item.id, by=user.id, check=self.may_change_now)
        return Reply(t("withdraw.done", id=withdrawn.id),
                     (t("withdraw.kept"), t("withdraw.undo_hint", minutes=_minutes(UNDO_WINDOW))),
                     ((Button(t("withdraw.undo"), f"restore:{withdrawn.id}"),),))

    def keep(self, _sender: Sender, number: str) -> Reply:
        """"Do not withdraw": nothing changes; the update is shown again (to anyone: it
        reads, so the sender is not looked up)."""
        item = self._numbered(_button_number(number), "common.button_expired")
        return self.shown(t("withdraw.not_done", id=item.id), item)

    def restore(self, sender: Sender, number: str) -> Reply:
        """Undo a withdrawal within UNDO_WINDOW; after that, say so and how to report again."""
        user, item = self._own_recent(sender, _button_number(number), self.may_restore_now,
                                      "common.button_expired")
        restored = self.store.updates.restore(item.id, by=user.id, check=self.may_restore_now)
        return self.shown(t("restore.done", id=restored.id), restored)

    def may_restore_now(self, rights: Rights, item: ProgressUpdate) -> Reply | None:
        """`may_restore` at the store's current time (the check the undo write passes)."""
        return may_restore(rights, item, self.store.clock())

    def read_edit(self, sender: Sender, args: str) -> tuple[User, ProgressUpdate, str | None, str]:
        """`/edit 42 [status] new text` read: the editor, the update they may still change,
        the new status (or None) and the new text (or "")."""
        head, _, rest = args.strip().partition(" ")
        if not is_number(head):
            raise BadArguments(t("edit.give_number"), t("edit.give_number_hint"))
        user, item = self._own_recent(sender, head)
        rest = rest.strip()
        found = status_at_start(rest)
        status = found[0] if found else None
        text = found[1].strip() if found else rest
        if len(text) > MAX_TEXT:
            raise BadArguments.of(too_long(text))
        return user, item, status, text

    def mission(self, sender: Sender, args: str) -> Reply:
        """`/mission UNMISS` — remembered and put on your next updates."""
        user = self.access.require(sender, "focal_point")
        name = mission_name(args)
        if name is None:
            return error(t("mission.too_long", max=MAX_MISSION))
        if not name:
            return error(t("mission.current", mission=user.mission or t("common.not_set")),
                         t("mission.usage"))
        if (refusal := self.refuse_mission(user, name)) is not None:
            return error(refusal, t("mission.ask_admin"))
        self.store.users.set_mission(user.id, name, check=lambda rights: may_set_mission(rights, name))
        return Reply(t("mission.done", mission=name), (t("mission.done_hint"),))

    def _own_recent(self, sender: Sender, number: str, rule: ItemRule | None = None,
                    missing: str = "edit.no_such") -> tuple[User, ProgressUpdate]:
        """The update numbered `number`, if `sender` may still change it (`rule`, by default
        `may_change_now`; an undo passes its own) — the early answer, the write checks again."""
        user = self.access.get_or_create_user(sender)
        item = self._numbered(number, missing)
        rule = rule or self.may_change_now
        if (refusal := rule(self.store.rights(user.id), item)) is not None:
            raise NotAllowed.of(refusal)
        return user, item

    def _numbered(self, number: str, missing: str = "edit.no_such") -> ProgressUpdate:
        """The update numbered `number` (`42`, `#42`); when there is none, the message
        `missing` (a typed number is echoed, a button just expired)."""
        update_id = parse_id(number)
        item = self.store.updates.get(update_id) if update_id is not None else None
        if item is None:
            raise NotFound(t(missing, id=number.strip().lstrip("#")[:12]))
        return item

    # -- reading -----------------------------------------------------------------------

    def describe(self, item: ProgressUpdate) -> tuple[str, ...]:
        commitment = self.catalogue.commitments[item.commitment_id]
        return (f"{commitment.id} {title(commitment)}", t("update.status", status=status_label(item.status)),
                item.text,
                f"{item.user_name}" + (t("sep.parens", text=item.mission) if item.mission else "")
                + f" · {item.created_at:%Y-%m-%d %H:%M} UTC")

    def updates(self, _sender: Sender, args: str) -> Reply:
        """`/updates C12` — the latest updates on one commitment, newest first."""
        ids = parse_commitments(args.split()[0] if args.split() else "", self.catalogue)
        if isinstance(ids, str):
            return error(ids, t("updates.usage"))
        commitment = self.catalogue.commitments[ids[0]]
        name = f"{commitment.id} {title(commitment)}"
        items = self.store.updates.where(commitment_id=commitment.id, limit=SHOWN)
        if not items:
            return Reply(t("updates.none", commitment=name), (t("updates.none_hint"),))
        lines = [line for item in items for line in (
            f"#{item.id} · {status_label(item.status)} · {day(item.created_at)} · {item.user_name}"
            + (t("sep.parens", text=item.mission) if item.mission else ""), f"  {item.text}")]
        return Reply(t("updates.heading", commitment=name), tuple(lines),
                     ((Button(t("updates.text_button", id=commitment.id), commitment.id),),))

    def my_updates(self, sender: Sender, _args: str = "") -> Reply:
        user = self.access.get_or_create_user(sender)
        items = self.store.updates.where(user_id=user.id, limit=10)
        if not items:
            return Reply(t("mine.none"), (update_usage(),))
        now = self.store.clock()
        lines = [t("mine.line", id=i.id, commitment=i.commitment_id, status=status_label(i.status),
                   day=day(i.created_at), text=i.text) for i in items]
        recent = [i for i in items if now - i.created_at <= EDIT_WINDOW][:SHOWN]
        if recent:
            lines.append(t("mine.recent"))
        return Reply(t("mine.heading"), tuple(lines),
                     tuple((Button(t("mine.withdraw", id=i.id), f"withdraw:{i.id}"),) for i in recent))

    def progress(self, _sender: Sender, args: str) -> Reply:
        """`/progress` per area, `/progress A2` per commitment: short lines for a phone."""
        latest = self.store.updates.latest_by_commitment()
        token = normalise(args).strip().upper().removeprefix("A")
        if token:
            number = parse_count(token, 1, len(self.catalogue.areas))
            if number is None:
                return error(t("progress.not_an_area", text=args.strip()[:20]), t("progress.usage"))
            return self._area_progress(f"A{number}", latest)
        lines = []
        for area in self.catalogue.areas.values():
            members = self.catalogue.commitments_in(area.id)
            with_updates = [latest[c.id] for c in members if c.id in latest]
            counts = Counter(u.status for u in with_updates)
            summary = t("sep.clause").join(f"{status_label(s)} {counts[s]}"
                                           for s in STATUSES if counts[s])
            newest = max((u.created_at for u in with_updates), default=None)
            lines.append(t("progress.area_line", id=area.id, area=area_name(area),
                           done=len(with_updates), total=len(members))
                         + (t("progress.area_summary", summary=summary, day=day(newest))
                            if newest else ""))
        return Reply(t("progress.heading"), tuple(lines),
                     tuple(tuple(Button(t("progress.button", id=a), f"progress:{a}") for a in pair)
                           for pair in zip(*[iter(self.catalogue.areas)] * 2)))

    def _area_progress(self, area_id: str, latest: dict[str, ProgressUpdate]) -> Reply:
        area = self.catalogue.areas[area_id]
        lines = []
        for c in self.catalogue.commitments_in(area_id):
            item = latest.get(c.id)
            state = (t("progress.latest", status=status_label(item.status), day=day(item.created_at))
                     if item else t("progress.none"))
            lines.append(t("progress.commitment_line", id=c.id, title=title(c), state=state))
        # each commitment with updates leads to them (the others have none to show)
        history = [Button(t("button.updates", id=c), f"updates:{c}")
                   for c in (c.id for c in self.catalogue.commitments_in(area_id)) if c in latest]
        return Reply(t("progress.area_heading", id=area.id, title=title(area)), tuple(lines),
                     (*(tuple(history[i:i + 2]) for i in range(0, len(history), 2)),
                      (Button(t("progress.all_button"), "progress:"),
                       Button(t("progress.about_button", id=area.id), area.id))))

    def export(self, sender: Sender, args: str) -> Reply:
        """`/export [from] [to]` (YYYY-MM-DD, inclusive): CSV and XLSX files, admins only."""
        self.access.require(sender, "admin")
        days = [parse_day(part) for part in args.split()[:2]]
        if None in days:
            return error(t("export.date_range", first=FIRST_DAY, last=LAST_DAY), t("export.usage"))
        bounds = [day_start(d) for d in days if d is not None]
        since = bounds[0] if bounds else None
        until = period_end(bounds[1]) if len(bounds) > 1 else None
        items = self.store.updates.where(since=since, until=until, include_withdrawn=True,
                                         newest_first=False)
        span = " – ".join(args.split()[:2]) or t("export.all")
        stamp = f"{self.store.clock():%Y%m%d}"
        return Reply(t("export.heading", count=len(items), span=span), (t("export.files"),),
                     files=tuple(Attachment(export.filename(stamp, fmt), export.render(items, fmt))
                                 for fmt in export.FORMATS))

    def brief(self, _sender: Sender, args: str) -> Reply:
        """`/brief [A5]`: the progress chart with a one-line-per-area summary (and a link to
        the dashboard when one is served)."""
        from bot.briefing import chart, summary

        area = self._area_arg(args)
        report = summary.build(self.store, self.catalogue, summary.Scope(area=area))
        link = ((t("brief.dashboard", url=self.public_url.rstrip("/") + "/"),)
                if self.public_url else ())
        stamp = f"{report.generated:%Y%m%d}" + (f"-{area}" if area else "")
        return Reply(t("brief.heading_area", area=area) if area else t("brief.heading"),
                     (*summary.summary_lines(report), *link),
                     ((Button(t("brief.stale_button"), "stale"),),),
                     files=(Attachment(f"a4p-brief-{stamp}.png",
                                       chart.render(report, self.catalogue, "png")),))

    def stale(self, _sender: Sender, args: str) -> Reply:
        """`/stale [days]`: commitments with no update for that long, with their focal points."""
        from bot.briefing import summary

        days = (parse_count(args, 1, 3650, chinese=True, unit=DAYS) if args.strip()
                else summary.STALE_DAYS)
        if days is None:
            return error(t("stale.bad_days"), t("stale.usage"))
        report = summary.build(self.store, self.catalogue, stale_days=days)
        lines = summary.stale_lines(report)
        heading = t("stale.heading", days=days, count=len(lines))
        return Reply(heading, tuple(lines) or (t("stale.none"),))

    def _area_arg(self, args: str) -> str | None:
        """`A5`, `5`, `五` -> "A5"; "" -> None (all areas); raises when it names no area."""
        token = normalise(args).strip().upper().removeprefix("A")
        if not token:
            return None
        number = parse_count(token, 1, len(self.catalogue.areas))
        if number is None:
            raise BadArguments(t("progress.not_an_area", text=args.strip()[:20]),
                               t("progress.areas_hint"))
        return f"A{number}"
