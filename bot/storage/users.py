"""Users: one row per platform account, its role, mission, language and reminder choice.

A user is created as a reader on first contact (`get_or_create`); an account linked to
another (`link`) acts as that main account everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from .rows import from_row
from .schema import assignments, mission_assignments, users

if TYPE_CHECKING:
    from .store import Check, Store

ROLES = ("reader", "focal_point", "admin")


@dataclass(frozen=True)
class User:
    id: int
    platform: str
    external_id: str
    name: str
    role: str
    mission: str | None
    linked_to: int | None = None
    language: str | None = None  # chosen with /lang; None: the platform's language
    remind: str = "weekly"  # off | weekly | monthly (/remind)
    reminded_at: datetime | None = None  # when the last reminder went out

    @property
    def label(self) -> str:
        return self.name or f"{self.platform}:{self.external_id}"


class Users:
    """Reads and writes of `users` (reached as `store.users`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get_or_create(self, platform: str, external_id: str, name: str = "", *,
                      role: str | None = None, language: str | None = None) -> User:
        """The user with this platform id, created as a reader on first contact.

        `role` (from ADMIN_IDS) raises the stored role; it never lowers it. A new `name`
        is stored. `language` is stored only when the row is created (the platform's
        language, so a reminder reaches an English-speaking focal point in English before
        they ever send /lang). Writes only when something changes.
        """
        key = users.c.platform == platform, users.c.external_id == external_id
        with self.store.read() as connection:
            row = connection.execute(select(users).where(*key)).first()
        if (row is not None and (role is None or ROLES.index(row.role) >= ROLES.index(role))
                and (not name or row.name == name)):
            return self._main(from_row(User, row))
        try:
            with self.store.write() as connection:
                row = connection.execute(select(users).where(*key)).first()
                if row is None:
                    connection.execute(insert(users).values(
                        platform=platform, external_id=external_id, name=name or "",
                        role=role or "reader", created_at=self.store.clock(), language=language))
                    row = connection.execute(select(users).where(*key)).one()
                    self.store.append_audit(connection, row.id, "user.created", f"U{row.id}",
                                            role=row.role)
                else:
                    values: dict[str, Any] = {"name": name} if name else {}
                    if role and ROLES.index(role) > ROLES.index(row.role):
                        values["role"] = role
                        self.store.append_audit(connection, None, "role.granted", f"U{row.id}",
                                                role=role, source="ADMIN_IDS")
                    if values:
                        connection.execute(update(users).where(users.c.id == row.id).values(values))
                        row = connection.execute(select(users).where(*key)).one()
        except IntegrityError:  # created concurrently by another replica: read theirs
            with self.store.read() as connection:
                row = connection.execute(select(users).where(*key)).one()
        return self._main(from_row(User, row))

    def _main(self, user: User) -> User:
        """The account `user` acts as: itself, or the main account it was linked to."""
        if user.linked_to is None:
            return user
        main = self.get(user.linked_to)
        assert main is not None
        return main

    def get(self, user_id: int) -> User | None:
        with self.store.read() as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
        return from_row(User, row) if row else None

    def all(self) -> list[User]:
        with self.store.read() as connection:
            rows = connection.execute(select(users).order_by(users.c.id)).all()
        return [from_row(User, row) for row in rows]

    def link(self, alias_id: int, main_id: int, by: int | None, *,
             check: Check | None = None) -> User:
        """Make `alias_id` (say, someone's Slack account) act as `main_id` (their Telegram one):
        same role, assignments, mission and drafts; its past updates stay as they were."""
        with self.store.write(check, by) as connection:
            connection.execute(update(users).where(users.c.id == alias_id)
                               .values(linked_to=main_id))
            self.store.append_audit(connection, by, "user.linked", f"U{alias_id}",
                                    to=f"U{main_id}")
        main = self.get(main_id)
        assert main is not None
        return main

    def set_role(self, user_id: int, role: str, by: int | None, *,
                 check: Check | None = None) -> User:
        """Below focal point, the user's assignments and owned missions go with the role."""
        assert role in ROLES, role
        with self.store.write(check, by) as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(role=role))
            if role != "focal_point" and role != "admin":
                connection.execute(assignments.delete().where(assignments.c.user_id == user_id))
                connection.execute(mission_assignments.delete()
                                   .where(mission_assignments.c.user_id == user_id))
            self.store.append_audit(connection, by, "role.set", f"U{user_id}", role=role)
        user = self.get(user_id)
        assert user is not None
        return user

    def set_mission(self, user_id: int, mission: str, *, check: Check | None = None) -> None:
        with self.store.write(check, user_id) as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(mission=mission))
            self.store.append_audit(connection, user_id, "user.mission", f"U{user_id}",
                                    mission=mission)

    def set_language(self, user_id: int, language: str | None) -> None:
        """The language the user chose with /lang (None: follow the platform again)."""
        with self.store.write() as connection:
            connection.execute(update(users).where(users.c.id == user_id)
                               .values(language=language))
            self.store.append_audit(connection, user_id, "user.language", f"U{user_id}",
                                    language=language)

    # -- reminders (the user's choice and the last one sent) ------------------------------

    def set_remind(self, user_id: int, mode: str) -> None:
        with self.store.write() as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(remind=mode))
            self.store.append_audit(connection, user_id, "user.remind", f"U{user_id}",
                                    remind=mode)

    def mark_reminded(self, user_id: int, at: datetime) -> None:
        """Not audited: a reminder is the bot's own routine, not anyone's action."""
        with self.store.unaudited() as connection:
            connection.execute(update(users).where(users.c.id == user_id)
                               .values(reminded_at=at))
