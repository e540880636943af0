"""Who may do what: roles, invite codes, registration and assignments.

Readers are anyone; focal points submit updates on the commitments assigned to them;
admins invite, assign and revoke. The transports only say who is speaking (`Sender`).
Every admin write passes `still_admin` to the store, which runs it inside the write: an
admin revoked a moment ago can no longer act.
"""

from __future__ import annotations

import math
import re
import secrets
import unicodedata
from datetime import timedelta

from bot.conversation import i18n
from bot.answering.catalogue import Catalogue
from bot.conversation.refusals import BadArguments, NotAllowed, NotFound
from bot.conversation.i18n import t
from bot.answering.numbers import is_number, parse_count, parse_entry, parse_id
from bot.conversation.identity import Sender
from bot.conversation.replies import Reply, error, joined
from bot.storage.schema import MAX_MISSION
from bot.storage.invites import TooManyFailures
from bot.storage.store import Rights, Store
from bot.storage.users import ROLES, User

FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MAX_INVITE_USES = 100
MAX_INVITE_DAYS = 90
MISSION_WORDS = ("mission", "任务区")


def parse_admin_ids(value: str) -> frozenset[str]:
    """`ADMIN_IDS`: comma- or space-separated; a bare number is a Telegram user id."""
    ids = (item.strip() for item in re.split(r"[,\s]+", value or ""))
    return frozenset(i if ":" in i else f"telegram:{i}" for i in ids if i)


def role_name(role: str) -> str:
    """读者 / focal point … in the current language."""
    return t(f"role.{role}")


def refuse_role(role: str, needed: str) -> Reply | None:
    """Why someone holding `role` may not do what needs `needed` (or higher); None if they may."""
    if ROLES.index(role) >= ROLES.index(needed):
        return None
    if needed == "admin":
        return error(t("access.admins_only"))
    return error(t("access.focal_points_only"), t("access.focal_points_only_hint"))


def still_admin(rights: Rights) -> Reply | None:
    """The check of every admin write, run inside it."""
    return refuse_role(rights.role, "admin")


def mission_name(text: str) -> str | None:
    """A mission name as it is stored and compared (spaces collapsed, as typed in /assign,
    /mission, the /update flow and the Slack form alike); None when it is too long."""
    name = " ".join(text.split())
    return name if len(name) <= MAX_MISSION else None


# No 0/O, 1/I/L, U/V pairs: a code read aloud or typed on a phone cannot be misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTWXYZ23456789"


def new_code() -> str:
    """An unguessable invite code (15 symbols of 29: 72.9 random bits) that people can read
    aloud and type on a phone: upper case, no look-alike characters, in groups of five
    (`K7QMX-3HRTW-9PZDA`); case, spaces and dashes do not matter when it is typed."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(15))
    return "-".join(symbols[i:i + 5] for i in range(0, 15, 5))


class Access:
    """Roles and registration over the store."""

    def __init__(self, store: Store, catalogue: Catalogue, admin_ids: frozenset[str] = frozenset()):
        self.store = store
        self.catalogue = catalogue
        self.admin_ids = admin_ids
        # platform -> deep-link prefix that opens `/start PAYLOAD` (Telegram's is set once the
        # adapter knows the bot's username: https://t.me/<bot>?start=)
        self.deep_links: dict[str, str] = {}

    def get_or_create_user(self, sender: Sender) -> User:
        """The stored user for a sender, created on first contact; ADMIN_IDS become admins."""
        role = "admin" if sender.key in self.admin_ids else None
        chosen = i18n.choose(None, sender.language)  # an English or French app: stored so
        language = chosen if chosen != i18n.DEFAULT else None  # reminders come in it too
        return self.store.users.get_or_create(sender.platform, sender.id, sender.name, role=role,
                                              language=language)

    def whoami(self, sender: Sender, _args: str = "") -> Reply:
        user = self.get_or_create_user(sender)
        lines = [t("whoami.number", id=user.id, key=sender.key),
                 t("whoami.role", role=role_name(user.role)),
                 t("whoami.mission", mission=user.mission or t("common.not_set"))]
        if user.role in ("focal_point", "admin"):
            mine = self.store.assignments.commitments(user.id)
            missions = self.store.assignments.missions(user.id)
            owned = (joined(mine) if mine else
                     t("whoami.all_admin") if user.role == "admin" else
                     t("whoami.all_mission") if missions else t("whoami.none_yet"))
            lines.append(t("whoami.commitments", list=owned))
            if missions:
                lines.append(t("whoami.missions", list=joined(missions)))
        else:
            lines.append(t("whoami.how_to_register"))
        return Reply(t("whoami.heading", name=user.label), tuple(lines))

    def register(self, sender: Sender, args: str) -> Reply:
        """Redeem an invite code; failures are counted and rate-limited per user."""
        user = self.get_or_create_user(sender)
        code = args.strip()  # groups may come with spaces: `K7QMX 3HRTW 9PZDA`
        if not code:
            return error(t("register.no_code"), t("register.no_code_hint"))
        try:
            role = self.store.invites.redeem(user.id, code[:64], max_failures=MAX_FAILURES,
                                             window=FAILURE_WINDOW)
        except TooManyFailures as locked:
            wait = (locked.until - self.store.clock()).total_seconds()
            minutes = max(1, math.ceil(wait / 60))  # the user sees when to try again
            return error(t("register.too_many"), t("register.too_many_hint", minutes=minutes))
        if role is None:
            return error(t("register.invalid"), t("register.invalid_hint"))
        return Reply(t("register.done", role=role_name(role)),
                     (t("register.whoami"), t("register.update")))

    def require(self, sender: Sender, role: str) -> User:
        """The user, if they hold `role` (or higher); raises `NotAllowed` otherwise."""
        user = self.get_or_create_user(sender)
        if (refusal := refuse_role(user.role, role)) is not None:
            raise NotAllowed.of(refusal)
        return user

    def invite(self, sender: Sender, args: str) -> Reply:
        """`/invite focal_point [uses] [days]` — the code is shown once and stored hashed."""
        admin = self.require(sender, "admin")
        parsed = parse_invite_args(args)
        if isinstance(parsed, str):
            return error(parsed, t("invite.usage"))
        role, uses, days = parsed
        code = new_code()
        invite = self.store.invites.create(code, role, uses, days, by=admin.id, check=still_admin)
        link = self.deep_links.get(sender.platform)
        return Reply(t("invite.heading", role=role_name(role), uses=uses,
                       expires=f"{invite.expires_at:%Y-%m-%d %H:%M}"),
                     (code, t("invite.how", code=code),
                      *([t("invite.link", link=f"{link}reg-{code}")] if link else []),
                      t("invite.once")))

    def users(self, sender: Sender, _args: str = "") -> Reply:
        self.require(sender, "admin")
        held = self.store.assignments.held_by_user()  # in catalogue order
        missions = self.store.assignments.missions_by_user()
        sep = t("sep.clause")
        lines = [f"{u.id}. {u.label} — "
                 + (t("users.linked", id=u.linked_to) if u.linked_to else role_name(u.role))
                 + (f"{sep}{u.mission}" if u.mission else "")
                 + (sep + t("users.owns", list=joined(list(held[u.id]))) if u.id in held else "")
                 + "".join(sep + t("users.mission", mission=m) for m in missions.get(u.id, []))
                 for u in self.store.users.all()]
        return Reply(t("users.heading", count=len(lines)), tuple(lines))

    def revoke(self, sender: Sender, args: str) -> Reply:
        """`/revoke ID` — back to reader; their assignments go, their updates stay."""
        admin = self.require(sender, "admin")
        target = self._target(args, "/revoke 3")
        if target.id == admin.id:
            return error(t("revoke.self"))
        self.store.users.set_role(target.id, "reader", by=admin.id, check=still_admin)
        return Reply(t("revoke.done", name=target.label), (t("revoke.kept"),))

    def assign(self, sender: Sender, args: str) -> Reply:
        """`/assign USER C12 C13`, or `/assign USER mission UNMISS` (every commitment, for
        that mission) — what the focal point may then update."""
        admin = self.require(sender, "admin")
        head, _, rest = args.strip().partition(" ")
        target = self._target(head, "/assign 3 C12 C13")
        if target.role == "reader":
            return error(t("assign.not_focal_point", name=target.label),
                         t("assign.not_focal_point_hint"))
        kind, _, typed = rest.strip().partition(" ")
        if kind.lower() in MISSION_WORDS:
            mission = mission_name(typed)
            if not mission:
                return error(t("assign.mission_name", max=MAX_MISSION))
            self.store.assignments.add_mission(target.id, mission, by=admin.id, check=still_admin)
            return Reply(t("assign.mission_done", mission=mission, name=target.label),
                         (t("assign.mission_scope"),))
        ids = parse_commitments(rest, self.catalogue)
        if isinstance(ids, str):
            return error(ids, t("assign.usage"))
        self.store.assignments.add(target.id, ids, by=admin.id, check=still_admin)
        return Reply(t("assign.done", list=joined(ids), name=target.label),
                     (t("assign.now", list=joined(self.store.assignments.commitments(target.id))),))

    def link(self, sender: Sender, args: str) -> Reply:
        """`/link ALIAS MAIN` — two accounts (Slack, Telegram) of one person act as MAIN."""
        admin = self.require(sender, "admin")
        parts = args.split()
        if len(parts) < 2:
            return error(t("link.usage"))
        targets = [self._target(part, "/link 4 2") for part in parts[:2]]
        alias, main = targets
        if not can_link(alias, main):
            return error(t("link.refused"))
        self.store.users.link(alias.id, main.id, by=admin.id, check=still_admin)
        return Reply(t("link.done", alias=f"{alias.platform}:{alias.external_id}", name=main.label),
                     (t("link.follows", name=main.label),))

    def _target(self, args: str, example: str) -> User:
        """The user numbered by the first word of `args`; raises when there is none (with
        `example`, the command's own)."""
        token = args.strip().split()[0] if args.strip() else ""
        if not is_number(token):
            raise BadArguments(t("users.give_number", example=example))
        user_id = parse_id(token)  # None when out of range: no such user either
        user = self.store.users.get(user_id) if user_id is not None else None
        if user is None:
            raise NotFound(t("users.no_such", id=token[:12]), t("users.no_such_hint"))
        return user


def can_link(alias: User, main: User) -> bool:
    """Two accounts of one person: the main one on another platform and not itself linked."""
    return main.linked_to is None and alias.id != main.id and alias.platform != main.platform


def parse_invite_args(args: str) -> tuple[str, int, float] | str:
    """(role, uses, days) from `focal_point 5 14`, or what is wrong with it."""
    parts = args.split()
    role = parts[0].lower() if parts else "focal_point"
    if role not in ("focal_point", "admin"):
        return t("invite.bad_role", role=role[:20])
    uses = parse_count(parts[1], 0, 10**9, chinese=True) if len(parts) > 1 else 1
    try:
        days = float(unicodedata.normalize("NFKC", parts[2])) if len(parts) > 2 else 7.0
    except ValueError:
        days = None
    if uses is None or days is None:
        return t("invite.not_numbers")
    if not 1 <= uses <= MAX_INVITE_USES or not 0 < days <= MAX_INVITE_DAYS:
        return t("invite.limits", uses=MAX_INVITE_USES, days=MAX_INVITE_DAYS)
    return role, uses, days


def parse_commitments(text: str, catalogue: Catalogue) -> list[str] | str:
    """`C12 C13`, `12,13`, `十二 十三`, `第十二项` -> ['C12', 'C13'], or what is wrong."""
    tokens = [tok for tok in re.split(r"[\s,，、]+", text.strip()) if tok]
    if not tokens:
        return t("commitments.list_them")
    ids = []
    for token in tokens:
        number = parse_count(token.removeprefix("第"), 1, 999, chinese=True, unit="项|号")
        parsed = ("commitment", number) if number is not None else parse_entry(token)
        entry_id = f"C{parsed[1]}" if parsed and parsed[0] == "commitment" else None
        if entry_id is None or catalogue.get(entry_id) is None:
            return t("commitments.not_one", token=token[:20])
        ids.append(entry_id)
    return list(dict.fromkeys(ids))
