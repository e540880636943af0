"""Reminders to the owners of silent commitments — item-level, never a blanket nag.

A focal point whose assigned commitments have had no update for `REMIND_AFTER_DAYS` hears
about exactly those, with a one-tap button to update each, at most weekly or monthly as
they chose (`/remind off|on|weekly|monthly`). The schedule is not kept anywhere: every run
asks the database who is due, and claims each reminder there, so a restart loses nothing
and two replicas never send the same reminder twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.conversation import i18n
from .access import Access, role_name
from bot.answering.catalogue import Catalogue
from bot.conversation.i18n import t
from bot.conversation.identity import Sender
from bot.conversation.replies import Button, Reply, error, joined, title
from bot.storage.store import Store, Update, User

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

    def silent(self, user: User, now: datetime, latest: dict[str, Update]) -> list[str]:
        """The user's assigned commitments with no update for `after` (`latest`: the newest
        update per commitment, read once per run, not once per user)."""
        return [c for c in self.store.assigned(user.id)
                if c not in latest or now - latest[c].created_at >= self.after]

    def round(self, platform: str) -> list[Reminder]:
        """One scheduled round on `platform` (every transport's timer calls this, then only
        delivers): the store's housekeeping rides along, then the reminders due now."""
        self.store.prune()
        return self.due(platform)

    def due(self, platform: str) -> list[Reminder]:
        """Reminders to send now on `platform`, each claimed so no other replica sends it."""
        now = self.store.clock()
        latest = self.store.latest_by_commitment()
        out = []
        for user in self.store.users():
            if user.platform != platform or user.role == "reader" or user.linked_to:
                continue
            mode, last = self.store.remind_settings(user.id)
            if mode == "off" or (last is not None and now - last < PERIODS[mode]):
                continue
            silent = self.silent(user, now, latest)
            if not silent:
                continue
            if not self.store.first_delivery(f"reminder:{user.id}:{now:%Y-%m-%d}"):
                continue  # another replica took it today
            self.store.mark_reminded(user.id, now)
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
            mode, last = self.store.remind_settings(user.id)
            return Reply(t("remind.current", mode=_mode_name(mode)),
                         ((t("remind.last", day=f"{last:%Y-%m-%d}") if last else t("remind.never")),
                          t("remind.change")))
        if word not in MODES:
            return error(t("remind.unknown", word=args.strip()[:20]), t("remind.usage"))
        self.store.set_remind(user.id, MODES[word])
        return Reply(t("remind.set", mode=_mode_name(MODES[word])),
                     (t("remind.scope", days=self.after.days),))

    def overdue(self, sender: Sender, _args: str = "") -> Reply:
        """`/overdue` for admins: who owns silent commitments, and which."""
        self.access.require(sender, "admin")
        now = self.store.clock()
        latest = self.store.latest_by_commitment()
        lines = []
        for user in self.store.users():
            if user.role == "reader" or user.linked_to:
                continue
            if silent := self.silent(user, now, latest):
                mode, _ = self.store.remind_settings(user.id)
                lines.append(t("overdue.line", id=user.id, name=user.label,
                               role=role_name(user.role), mode=_mode_name(mode), list=joined(silent)))
        return Reply(t("overdue.heading", days=self.after.days, count=len(lines)),
                     tuple(lines) or (t("overdue.none"),))


def _mode_name(mode: str) -> str:
    return t(f"remind.mode.{mode}")
