"""Invite codes: created by admins, redeemed once per use for a role, failures rate-limited."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from .audit import utc
from .schema import invites, registration_failures, users
from .users import ROLES

if TYPE_CHECKING:
    from .store import Check, Store


@dataclass(frozen=True)
class Invite:
    id: int
    role: str
    uses_left: int
    expires_at: datetime


class TooManyFailures(Exception):
    """Too many wrong invite codes from this user lately; this attempt was not evaluated.
    `until`: when the oldest failure leaves the window and the user may try again."""

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failures")
        self.until = until


def code_hash(code: str) -> str:
    """Invite codes are stored hashed: a leaked database does not leak usable codes. The
    hash is of the code as people read it aloud — letters and digits only, upper case — so
    `abcde fghjk-mnpqr` typed on a phone is the same code as `ABCDE-FGHJK-MNPQR`."""
    return hashlib.sha256(_canonical(code).encode()).hexdigest()


def _canonical(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", code).upper()


def _legacy_hash(code: str) -> str:
    """How codes made before readable codes were hashed (case and `-_` significant)."""
    return hashlib.sha256(code.strip().encode()).hexdigest()


class Invites:
    """Reads and writes of `invites` and `registration_failures` (`store.invites`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, code: str, role: str, uses: int, days: float, by: int | None, *,
               check: Check | None = None) -> Invite:
        now = self.store.clock()
        with self.store.write(check, by) as connection:
            invite_id = connection.execute(insert(invites).values(
                code_hash=code_hash(code), role=role, uses_left=uses,
                expires_at=now + timedelta(days=days), created_by=by, created_at=now)
            ).inserted_primary_key[0]  # type: ignore[index]  # set for a one-row INSERT
            self.store.append_audit(connection, by, "invite.created", f"I{invite_id}",
                                    role=role, uses=uses, days=days)
        return Invite(invite_id, role, uses, now + timedelta(days=days))

    def recent_failures(self, user_id: int, window: timedelta) -> int:
        with self.store.read() as connection:
            return _failures(connection, user_id, self.store.clock() - window)

    def redeem(self, user_id: int, code: str, *, max_failures: int, window: timedelta) -> str | None:
        """Use one invite for this user: the role granted, or None (attempt recorded).

        Raises `TooManyFailures` when the user already failed `max_failures` times within
        `window`: counted in the same serialised transaction as the attempt, so concurrent
        guesses cannot all slip under the limit.
        """
        digests = (code_hash(code), _legacy_hash(code))
        now = self.store.clock()
        with self.store.write() as connection:
            if _failures(connection, user_id, now - window) >= max_failures:
                oldest = connection.execute(
                    select(func.min(registration_failures.c.at)).where(
                        registration_failures.c.user_id == user_id,
                        registration_failures.c.at >= now - window)).scalar_one()
                raise TooManyFailures(utc(oldest) + window)
            found = None
            for row in connection.execute(select(invites).where(invites.c.uses_left > 0)):
                # Constant-time comparison over every live code, not an indexed lookup.
                if (any(hmac.compare_digest(row.code_hash, d) for d in digests)
                        and utc(row.expires_at) > now):
                    found = row
            if found is None:
                connection.execute(insert(registration_failures).values(user_id=user_id, at=now))
                return None
            connection.execute(update(invites).where(invites.c.id == found.id)
                               .values(uses_left=invites.c.uses_left - 1))
            current = connection.execute(select(users.c.role).where(users.c.id == user_id)).scalar_one()
            role = max(current, found.role, key=ROLES.index)
            connection.execute(update(users).where(users.c.id == user_id).values(role=role))
            self.store.append_audit(connection, user_id, "invite.redeemed", f"I{found.id}",
                                    role=role)
        return role


def _failures(connection: Connection, user_id: int, since: datetime) -> int:
    return connection.execute(
        select(func.count()).select_from(registration_failures).where(
            registration_failures.c.user_id == user_id,
            registration_failures.c.at >= since)).scalar_one()
