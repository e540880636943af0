"""Assignments: which focal point answers for which commitments since when, and which
missions they own.

Silence is counted from the later of a commitment's last update and its assignment
(`is_silent`): a focal point assigned a minute ago has not been silent for
a month. The reminders and the briefings share that rule, boundary included.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update

from .audit import utc
from .schema import assignments, mission_assignments, users

if TYPE_CHECKING:
    from .store import Check, Store


class Assignments:
    """Reads and writes of `assignments` and `mission_assignments` (`store.assignments`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user_id: int, commitment_ids: list[str], by: int | None, *,
            check: Check | None = None) -> None:
        """Assign the commitments the user does not hold yet (those they hold stay as they are)."""
        with self.store.write(check, by) as connection:
            have = set(connection.execute(select(assignments.c.commitment_id)
                                          .where(assignments.c.user_id == user_id)).scalars())
            new = [c for c in dict.fromkeys(commitment_ids) if c not in have]
            if new:
                now = self.store.clock()
                connection.execute(insert(assignments), [
                    {"user_id": user_id, "commitment_id": c, "assigned_at": now} for c in new])
            self.store.append_audit(connection, by, "assign", f"U{user_id}", commitments=new)

    def add_mission(self, user_id: int, mission: str, by: int | None, *,
                    check: Check | None = None) -> None:
        """The focal point owns `mission`; their own mission moves to it if it was another."""
        with self.store.write(check, by) as connection:
            have = set(connection.execute(select(mission_assignments.c.mission)
                                          .where(mission_assignments.c.user_id == user_id)).scalars())
            if mission not in have:
                connection.execute(insert(mission_assignments).values(user_id=user_id,
                                                                      mission=mission))
            current = connection.execute(select(users.c.mission)
                                         .where(users.c.id == user_id)).scalar()
            if current not in have | {mission}:
                connection.execute(update(users).where(users.c.id == user_id)
                                   .values(mission=mission))
            self.store.append_audit(connection, by, "assign.mission", f"U{user_id}",
                                    mission=mission)

    def missions(self, user_id: int) -> list[str]:
        """The missions the user owns, sorted."""
        return self.missions_by_user(user_id).get(user_id, [])

    def missions_by_user(self, user_id: int | None = None) -> dict[int, list[str]]:
        """`missions` for every user who owns one (or one user), in one query: lists of
        users read them all."""
        query = select(mission_assignments.c.user_id, mission_assignments.c.mission)
        if user_id is not None:
            query = query.where(mission_assignments.c.user_id == user_id)
        with self.store.read() as connection:
            rows = connection.execute(query).all()
        out: dict[int, list[str]] = {}
        for row in sorted(rows, key=lambda r: r.mission):
            out.setdefault(row.user_id, []).append(row.mission)
        return out

    def commitments(self, user_id: int) -> list[str]:
        """The commitments assigned to the user, in catalogue order (C2 before C10): `held`'s
        keys, one per commitment (the pair is the table's primary key)."""
        return list(self.held(user_id))

    def held(self, user_id: int) -> dict[str, datetime | None]:
        """The user's commitments (in catalogue order) with when each was assigned to them
        (None: before that was recorded)."""
        return self.held_by_user(user_id).get(user_id, {})

    def held_by_user(self, user_id: int | None = None) -> dict[int, dict[str, datetime | None]]:
        """`held` for every user with an assignment (or one), in one query: a reminder round
        looks at everyone."""
        query = select(assignments.c.user_id, assignments.c.commitment_id, assignments.c.assigned_at)
        if user_id is not None:
            query = query.where(assignments.c.user_id == user_id)
        with self.store.read() as connection:
            rows = connection.execute(query).all()
        out: dict[int, dict[str, datetime | None]] = {}
        for row in sorted(rows, key=lambda r: int(r.commitment_id[1:])):
            out.setdefault(row.user_id, {})[row.commitment_id] = _when(row.assigned_at)
        return out

    def held_since(self) -> dict[str, datetime | None]:
        """Commitment id -> since when it has had a focal point: its earliest assignment
        among the current ones (None when one of them predates the record)."""
        with self.store.read() as connection:
            rows = connection.execute(select(assignments.c.commitment_id,
                                             assignments.c.assigned_at)).all()
        since: dict[str, datetime | None] = {}
        for row in rows:
            at = _when(row.assigned_at)
            earlier = since.get(row.commitment_id, at)
            since[row.commitment_id] = None if at is None or earlier is None else min(at, earlier)
        return since

    def owners(self) -> dict[str, list[int]]:
        """Commitment id -> the ids of the focal points assigned to it."""
        with self.store.read() as connection:
            rows = connection.execute(select(assignments)).all()
        owners: dict[str, list[int]] = {}
        for row in rows:
            owners.setdefault(row.commitment_id, []).append(row.user_id)
        return owners


def is_silent(last_update: datetime | None, assigned_at: datetime | None, now: datetime,
              after: timedelta) -> bool:
    """Silent for `after` or longer at `now` (the reminders and the briefings alike): no
    update for that long, and a focal point for that long too (a commitment assigned
    yesterday is not silent yet); one never updated nor assigned on record is silent."""
    # silent since the later of its last update and its assignment
    since = max((at for at in (last_update, assigned_at) if at is not None), default=None)
    return since is None or now - since >= after


def _when(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None
