"""Reminders to the owners of silent commitments — item-level, never a blanket nag.

A focal point whose assigned commitments have been silent for `REMIND_AFTER_DAYS` — no
update, and assigned to them for at least that long — hears about exactly those, with a one-tap button to update each, at most weekly or monthly as
they chose (`/remind off|on|weekly|monthly`). The schedule is not kept anywhere: every run
asks the database who is due, and claims each reminder there, so a restart loses nothing
and two replicas never send the same reminder twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.conversation import i18n
from .access import Access, role_name
from bot.answering.catalogue import Catalogue
from bot.conversation.i18n import t
from bot.conversation.identity import Sender
from bot.conversation.replies import Button, Reply, error, joined, title
from bot.storage.assignments import is_silent
from bot.storage.store import Store
from bot.storage.updates import ProgressUpdate
from bot.storage.users import User

REMIND_AFTER_DAYS = 30
PERIODS = {"weekly": timedelta(days=7), "monthly": timedelta(days=30)}
MODES = {"on": "weekly", "weekly": "weekly", "monthly": "monthly", "off": "off",
         "开": "weekly", "关": "off", "每周": "weekly", "每月": "monthly"}
MAX_BUTTONS = 8


@dataclass(frozen=True)
class Reminder:
    user: User
    reply: Reply


class Reminders:
    def __init__(self, store: Store, catalogue: Catalogue, access: Access,
                 after_days: int = REMIND_AFTER_DAYS) -> None:
        self.store = store
        self.catalogue = catalogue
        self.access = access
        self.after = timedelta(days=after_days)

    def silent(self, held: dict[str, datetime | None], now: datetime,
               latest: dict[str, ProgressUpdate]) -> list[str]:
        """Of a user's assigned commitments (`held`: each with when it was assigned), those
        silent for `after`: no update since then, and assigned before then (`held` and
        `latest`, the newest update per commitment, are read once per run, not per user)."""
        silent = []
        for commitment, assigned_at in held.items():
            last = latest[commitment].created_at if commitment in latest else None
            if is_silent(last, assigned_at, now, self.after):
                silent.append(commitment)
        return silent

    def _silent_owners(self, now: datetime) -> Iterator[tuple[User, list[str]]]:
        """Every owner who can be reminded (not a reader, not a linked account) with their
        silent commitments, when they have any: the reminder round and /overdue alike."""
        latest = self.store.updates.latest_by_commitment()
        held = self.store.assignments.held_by_user()
        for user in self.store.users.all():
            if user.role == "reader" or user.linked_to:
                continue
            if silent := self.silent(held.get(user.id, {}), now, latest):
                yield user, silent

    def round(self, platform: str) -> list[Reminder]:
        """One scheduled round on `platform` (every transport's timer calls this, then only
        delivers): the store's housekeeping rides along, then the reminders due now."""
        self.store.prune()
        return self.claim_due(platform)

    def claim_due(self, platform: str) -> list[Reminder]:
        """Reminders to send now on `platform`, each claimed (written) so no other replica
        sends it and the user is marked reminded."""
        now = self.store.clock()
        out = []
        for user, silent in self._silent_owners(now):
            last = user.reminded_at
            if user.platform != platform or user.remind == "off" or (
                    last is not None and now - last < PERIODS[user.remind]):
                continue
            if not self.store.deliveries.claim(f"reminder:{user.id}:{now:%Y-%m-%d}"):
                continue  # another replica took it today
            self.store.users.mark_reminded(user.id, now)
            with i18n.use(user.language or i18n.DEFAULT):  # each in the recipient's language
                out.append(Reminder(user, self.reply(user, silent)))
        return out

    def reply(self, user: User, silent: list[str]) -> Reply:
        days = self.after.days
        lines = [t("reminder.intro", days=days),
                 *(f"• {c} {title(self.catalogue.commitments[c])}" for c in silent),
                 t("reminder.how")]
        buttons = tuple((Button(t("reminder.button", id=c), f"update:{c}"),)
                        for c in silent[:MAX_BUTTONS])
        return Reply(t("reminder.heading", name=user.label), tuple(lines), buttons)

    def remind(self, sender: Sender, args: str) -> Reply:
        """`/remind off|on|weekly|monthly` (no argument: the current setting)."""
        user = self.access.require(sender, "focal_point")
        word = args.strip().lower()
        if not word:
            mode, last = user.remind, user.reminded_at
            return Reply(t("remind.current", mode=_mode_name(mode)),
                         ((t("remind.last", day=f"{last:%Y-%m-%d}") if last else t("remind.never")),
                          t("remind.change")))
        if word not in MODES:
            return error(t("remind.unknown", word=args.strip()[:20]), t("remind.usage"))
        self.store.users.set_remind(user.id, MODES[word])
        return Reply(t("remind.set", mode=_mode_name(MODES[word])),
                     (t("remind.scope", days=self.after.days),))

    def overdue(self, sender: Sender, _args: str = "") -> Reply:
        """`/overdue` for admins: who owns silent commitments, and which."""
        self.access.require(sender, "admin")
        lines = [t("overdue.line", id=user.id, name=user.label, role=role_name(user.role),
                   mode=_mode_name(user.remind), list=joined(silent))
                 for user, silent in self._silent_owners(self.store.clock())]
        return Reply(t("overdue.heading", days=self.after.days, count=len(lines)),
                     tuple(lines) or (t("overdue.none"),))


def _mode_name(mode: str) -> str:
    return t(f"remind.mode.{mode}")
