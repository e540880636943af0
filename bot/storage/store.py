"""Users, invites, assignments, progress updates and the audit log (SQLAlchemy Core).

One `Store` speaks to SQLite (the default, a file in the data directory) or PostgreSQL
(for more than one replica). Every write is one transaction that also appends a
hash-chained audit entry; writers are serialised (SQLite `BEGIN IMMEDIATE`, a PostgreSQL
transaction-level advisory lock) so the chain never forks. Permission rules live in the
core (`access.py`, `progress.py`); a write that depends on them takes the rule as a `check`
and runs it inside its own transaction, after the lock, on the writer's `Rights` read there —
so a revocation that committed first is always seen (`Refused`, nothing written).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.conversation.refusals import NotAllowed
from .audit import GENESIS, AuditEntry, entry_hash, first_broken, row_digest, utc
from .database import default_url, make_engine, reported_as
from .schema import (ROLES, STATUSES, assignments, audit_log, deliveries, drafts, inbox, invites,
                     metadata, misses, mission_assignments, registration_failures, revisions,
                     updates, users)

_CHAIN_LOCK = 0x4A4B  # PostgreSQL advisory lock id serialising writers (and migrations)
__all__ = ["ROLES", "STATUSES", "GENESIS", "AuditEntry", "Check", "Draft", "Invite", "Refused",
           "Rights", "Session", "Store", "StoreError", "TooManyFailures", "Update", "User",
           "code_hash", "default_url", "entry_hash", "first_broken", "make_engine", "metadata",
           "utc"]


class StoreError(Exception):
    """A write or read could not be done; the user should retry (nothing was half-written)."""


class Refused(NotAllowed):
    """The writer may not (or may no longer) do this write; nothing was written.

    `reason` is what the core's rule answered (its polite reply), handed back unchanged.
    """

    def __init__(self, reason: Any) -> None:
        Exception.__init__(self, "refused")
        self.reason = self.reply = reason


class TooManyFailures(Exception):
    """Too many wrong invite codes from this user lately; this attempt was not evaluated.
    `until`: when the oldest failure leaves the window and the user may try again."""

    def __init__(self, until: datetime) -> None:
        super().__init__("too many failures")
        self.until = until


@dataclass(frozen=True)
class Rights:
    """What a user may write, as stored at one moment: their role, own mission, assigned
    commitments and owned missions."""

    user_id: int
    role: str
    mission: str | None
    commitments: frozenset[str]
    missions: frozenset[str]


Check = Callable[[Rights], Any]  # the writer's rights -> a refusal, or None to go ahead
ItemCheck = Callable[[Rights, "Update"], Any]  # the same, for a write on one stored update


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

    @property
    def label(self) -> str:
        return self.name or f"{self.platform}:{self.external_id}"


@dataclass(frozen=True)
class Invite:
    id: int
    role: str
    uses_left: int
    expires_at: datetime


@dataclass(frozen=True)
class Update:
    id: int
    commitment_id: str
    user_id: int
    user_name: str
    status: str
    text: str
    mission: str
    revision: int
    created_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class Draft:
    """A half-finished /update: the step reached and what was entered so far."""

    step: str
    data: dict[str, Any]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class Session:
    """What one message needs to know about its sender: who (the main account), their
    chosen language and their /update draft — read in one query."""

    user: User
    draft: Draft | None


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


class Store:
    """All reads and writes of the bot's own data."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._reader = engine.execution_options(readonly=True)
        self.clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, busy_timeout: float = 30.0,
             **kwargs: Any) -> Store:
        """Connect and (by default) bring the schema to the latest migration."""
        store = cls(make_engine(url, busy_timeout), **kwargs)
        if migrate:
            store.upgrade()
        return store

    def upgrade(self) -> None:
        from .migrations import upgrade
        with self._errors():
            upgrade(self.engine)

    def ping(self) -> str:
        """"ok", or why the database does not answer (for health checks)."""
        try:
            with self._errors(), self.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except StoreError as exc:
            return f"unreachable: {exc}"
        return "ok"

    def close(self) -> None:
        self.engine.dispose()

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _errors(self) -> AbstractContextManager[None]:
        return reported_as(StoreError)

    @contextmanager
    def write(self, check: Check | None = None, by: int | None = None) -> Iterator[Connection]:
        """One serialised transaction: all or nothing. With a `check`, user `by` must still
        pass it — judged on their rights as they are once this writer holds the lock."""
        with self._errors(), self.engine.begin() as connection:
            if self.is_postgresql:
                connection.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
            if check is not None:
                self._require(connection, by, check)
            yield connection

    def _require(self, connection: Connection, user_id: int | None, check: Check) -> None:
        """Raise `Refused` (rolling the write back) unless `check` passes on fresh rights."""
        if user_id is None:
            raise ValueError("a checked write needs the writer's id")
        refusal = check(self._rights(connection, user_id))
        if refusal is not None:
            raise Refused(refusal)

    def rights(self, user_id: int) -> Rights:
        """The user's rights now (for early answers; writes check again inside)."""
        with self.read() as connection:
            return self._rights(connection, user_id)

    @staticmethod
    def _rights(connection: Connection, user_id: int) -> Rights:
        """One query (it runs inside every checked write, under the lock): the user's row
        joined with their assignments and owned missions — a few rows at most."""
        rows = connection.execute(
            select(users.c.role, users.c.mission, assignments.c.commitment_id,
                   mission_assignments.c.mission.label("owned"))
            .outerjoin(assignments, assignments.c.user_id == users.c.id)
            .outerjoin(mission_assignments, mission_assignments.c.user_id == users.c.id)
            .where(users.c.id == user_id)).all()
        if not rows:
            raise LookupError(f"no user {user_id}")
        return Rights(user_id, rows[0].role, rows[0].mission,
                      frozenset(r.commitment_id for r in rows if r.commitment_id is not None),
                      frozenset(r.owned for r in rows if r.owned is not None))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read: every block runs a single statement, so it needs no transaction."""
        with self._errors(), self._reader.begin() as connection:
            yield connection

    # -- audit -------------------------------------------------------------------------

    def _audit(self, connection: Connection, user_id: int | None, action: str, subject: str,
               **detail: Any) -> None:
        at = self.clock()
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        prev = connection.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc())
                                  .limit(1)).scalar() or GENESIS
        connection.execute(insert(audit_log).values(
            at=at, user_id=user_id, action=action, subject=subject, detail=text, prev_hash=prev,
            hash=entry_hash(prev, at, user_id, action, subject, text)))

    def audit_entries(self) -> list[AuditEntry]:
        with self.read() as connection:
            rows = connection.execute(select(audit_log).order_by(audit_log.c.id)).all()
        return [AuditEntry(**{**row._mapping, "at": utc(row.at)}) for row in rows]

    def audit_snapshot(self) -> tuple[list[AuditEntry], list[dict[str, Any]], list[dict[str, Any]]]:
        """The audit log with every stored update and revision, read together under the
        writers' lock, so a write committing meanwhile cannot look like tampering."""
        with self.write() as connection:
            entries = connection.execute(select(audit_log).order_by(audit_log.c.id)).all()
            rows = connection.execute(select(updates).order_by(updates.c.id)).all()
            revs = connection.execute(select(revisions).order_by(revisions.c.id)).all()
        return ([AuditEntry(**{**row._mapping, "at": utc(row.at)}) for row in entries],
                [dict(row._mapping) for row in rows], [dict(row._mapping) for row in revs])

    # -- users -------------------------------------------------------------------------

    def user(self, platform: str, external_id: str, name: str = "", *,
             role: str | None = None, language: str | None = None) -> User:
        """The user with this platform id, created as a reader on first contact.

        `role` (from ADMIN_IDS) raises the stored role; it never lowers it. `language` is
        stored only when the row is created (the platform's language, so a reminder reaches
        an English-speaking focal point in English before they ever send /lang).
        """
        key = users.c.platform == platform, users.c.external_id == external_id
        with self.read() as connection:
            row = connection.execute(select(users).where(*key)).first()
        if (row is not None and (role is None or ROLES.index(row.role) >= ROLES.index(role))
                and (not name or row.name == name)):
            return self._main(_user(row))
        try:
            with self.write() as connection:
                row = connection.execute(select(users).where(*key)).first()
                if row is None:
                    connection.execute(insert(users).values(
                        platform=platform, external_id=external_id, name=name or "",
                        role=role or "reader", created_at=self.clock(), language=language))
                    row = connection.execute(select(users).where(*key)).one()
                    self._audit(connection, row.id, "user.created", f"U{row.id}", role=row.role)
                else:
                    values: dict[str, Any] = {"name": name} if name else {}
                    if role and ROLES.index(role) > ROLES.index(row.role):
                        values["role"] = role
                        self._audit(connection, None, "role.granted", f"U{row.id}", role=role,
                                    source="ADMIN_IDS")
                    if values:
                        connection.execute(update(users).where(users.c.id == row.id).values(values))
                        row = connection.execute(select(users).where(*key)).one()
        except IntegrityError:  # created concurrently by another replica: read theirs
            with self.read() as connection:
                row = connection.execute(select(users).where(*key)).one()
        return self._main(_user(row))

    def _main(self, user: User) -> User:
        """The account `user` acts as: itself, or the main account it was linked to."""
        if user.linked_to is None:
            return user
        main = self.user_by_id(user.linked_to)
        assert main is not None
        return main

    def link(self, alias_id: int, main_id: int, by: int | None, *,
             check: Check | None = None) -> User:
        """Make `alias_id` (say, someone's Slack account) act as `main_id` (their Telegram one):
        same role, assignments, mission and drafts; its past updates stay as they were."""
        with self.write(check, by) as connection:
            connection.execute(update(users).where(users.c.id == alias_id)
                               .values(linked_to=main_id))
            self._audit(connection, by, "user.linked", f"U{alias_id}", to=f"U{main_id}")
        main = self.user_by_id(main_id)
        assert main is not None
        return main

    def user_by_id(self, user_id: int) -> User | None:
        with self.read() as connection:
            row = connection.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def users(self) -> list[User]:
        with self.read() as connection:
            rows = connection.execute(select(users).order_by(users.c.id)).all()
        return [_user(row) for row in rows]

    def set_role(self, user_id: int, role: str, by: int | None, *,
                 check: Check | None = None) -> User:
        assert role in ROLES, role
        with self.write(check, by) as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(role=role))
            if role != "focal_point" and role != "admin":
                connection.execute(assignments.delete().where(assignments.c.user_id == user_id))
                connection.execute(mission_assignments.delete()
                                   .where(mission_assignments.c.user_id == user_id))
            self._audit(connection, by, "role.set", f"U{user_id}", role=role)
        user = self.user_by_id(user_id)
        assert user is not None
        return user

    def set_remind(self, user_id: int, mode: str) -> None:
        with self.write() as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(remind=mode))
            self._audit(connection, user_id, "user.remind", f"U{user_id}", remind=mode)

    def remind_settings(self, user_id: int) -> tuple[str, datetime | None]:
        with self.read() as connection:
            row = connection.execute(select(users.c.remind, users.c.reminded_at)
                                     .where(users.c.id == user_id)).one()
        return row.remind, utc(row.reminded_at) if row.reminded_at else None

    def mark_reminded(self, user_id: int, at: datetime) -> None:
        """Not audited: a reminder is the bot's own routine, not anyone's action."""
        with self._errors(), self.engine.begin() as connection:
            connection.execute(update(users).where(users.c.id == user_id)
                               .values(reminded_at=at))

    def set_language(self, user_id: int, language: str | None) -> None:
        """The language the user chose with /lang (None: follow the platform again)."""
        with self.write() as connection:
            connection.execute(update(users).where(users.c.id == user_id)
                               .values(language=language))
            self._audit(connection, user_id, "user.language", f"U{user_id}", language=language)

    def set_mission(self, user_id: int, mission: str, *, check: Check | None = None) -> None:
        with self.write(check, user_id) as connection:
            connection.execute(update(users).where(users.c.id == user_id).values(mission=mission))
            self._audit(connection, user_id, "user.mission", f"U{user_id}", mission=mission)

    # -- invites -----------------------------------------------------------------------

    def create_invite(self, code: str, role: str, uses: int, days: float, by: int | None, *,
                      check: Check | None = None) -> Invite:
        now = self.clock()
        with self.write(check, by) as connection:
            invite_id = connection.execute(insert(invites).values(
                code_hash=code_hash(code), role=role, uses_left=uses,
                expires_at=now + timedelta(days=days), created_by=by, created_at=now)
            ).inserted_primary_key[0]  # type: ignore[index]  # set for a one-row INSERT
            self._audit(connection, by, "invite.created", f"I{invite_id}", role=role, uses=uses,
                        days=days)
        return Invite(invite_id, role, uses, now + timedelta(days=days))

    def recent_failures(self, user_id: int, window: timedelta) -> int:
        with self.read() as connection:
            return self._failures(connection, user_id, self.clock() - window)

    @staticmethod
    def _failures(connection: Connection, user_id: int, since: datetime) -> int:
        return connection.execute(
            select(func.count()).select_from(registration_failures).where(
                registration_failures.c.user_id == user_id,
                registration_failures.c.at >= since)).scalar_one()

    def redeem(self, user_id: int, code: str, *, max_failures: int, window: timedelta) -> str | None:
        """Use one invite for this user: the role granted, or None (attempt recorded).

        Raises `TooManyFailures` when the user already failed `max_failures` times within
        `window`: counted in the same serialised transaction as the attempt, so concurrent
        guesses cannot all slip under the limit.
        """
        digests = (code_hash(code), _legacy_hash(code))
        now = self.clock()
        with self.write() as connection:
            if self._failures(connection, user_id, now - window) >= max_failures:
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
            self._audit(connection, user_id, "invite.redeemed", f"I{found.id}", role=role)
        return role

    # -- assignments -------------------------------------------------------------------

    def assign(self, user_id: int, commitment_ids: list[str], by: int | None, *,
               check: Check | None = None) -> None:
        with self.write(check, by) as connection:
            have = set(connection.execute(select(assignments.c.commitment_id)
                                          .where(assignments.c.user_id == user_id)).scalars())
            new = [c for c in dict.fromkeys(commitment_ids) if c not in have]
            if new:
                connection.execute(insert(assignments),
                                   [{"user_id": user_id, "commitment_id": c} for c in new])
            self._audit(connection, by, "assign", f"U{user_id}", commitments=new)

    def assign_mission(self, user_id: int, mission: str, by: int | None, *,
                       check: Check | None = None) -> None:
        """The focal point owns `mission`; their own mission moves to it if it was another."""
        with self.write(check, by) as connection:
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
            self._audit(connection, by, "assign.mission", f"U{user_id}", mission=mission)

    def missions(self, user_id: int) -> list[str]:
        with self.read() as connection:
            return sorted(connection.execute(select(mission_assignments.c.mission).where(
                mission_assignments.c.user_id == user_id)).scalars())

    def assigned(self, user_id: int) -> list[str]:
        with self.read() as connection:
            found = connection.execute(select(assignments.c.commitment_id)
                                       .where(assignments.c.user_id == user_id)).scalars().all()
        return sorted(found, key=lambda c: int(c[1:]))

    def owners(self) -> dict[str, list[int]]:
        """Commitment id -> the ids of the focal points assigned to it."""
        with self.read() as connection:
            rows = connection.execute(select(assignments)).all()
        owners: dict[str, list[int]] = {}
        for row in rows:
            owners.setdefault(row.commitment_id, []).append(row.user_id)
        return owners

    # -- questions the bot could not answer ---------------------------------------------

    def record_miss(self, kind: str, source: str, text: str, normalised: str,
                    best_id: str | None, score: float) -> None:
        """Log a question without who asked it (not audited: it is no one's action)."""
        with self._errors(), self.engine.begin() as connection:
            connection.execute(insert(misses).values(
                at=self.clock(), kind=kind, source=source, text=text[:2000],
                normalised=normalised[:500], best_id=best_id, score=score))

    def unanswered(self, since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Logged questions grouped by their normalised text, the most frequent first, each
        with what users chose among its suggestions (`chose`: [(id, times)])."""
        query = (select(misses.c.normalised, func.count().label("count"),
                        func.max(misses.c.at).label("last"), func.max(misses.c.text).label("text"),
                        func.max(misses.c.best_id).label("best_id"),
                        func.max(misses.c.score).label("score"),
                        func.sum(case((misses.c.kind == "wrong", 1), else_=0)).label("wrong"))
                 .group_by(misses.c.normalised)
                 .order_by(func.count().desc(), func.max(misses.c.at).desc())
                 .limit(limit))
        query = query.where(misses.c.kind != "chose")
        if since is not None:
            query = query.where(misses.c.at >= since)
        with self.read() as connection:
            rows = [{**row._mapping, "last": utc(row.last)} for row in connection.execute(query)]
            chosen = self._choices(connection, [r["normalised"] for r in rows], since)
        return [{**row, "chose": chosen.get(row["normalised"], [])} for row in rows]

    @staticmethod
    def _choices(connection: Connection, questions: list[str], since: datetime | None
                 ) -> dict[str, list[tuple[str, int]]]:
        """What users picked among the "did you mean" suggestions, per logged question:
        the answers the knowledge should have given (active learning material)."""
        if not questions:
            return {}
        query = (select(misses.c.normalised, misses.c.best_id, func.count().label("n"))
                 .where(misses.c.kind == "chose", misses.c.normalised.in_(questions))
                 .group_by(misses.c.normalised, misses.c.best_id)
                 .order_by(func.count().desc(), misses.c.best_id))
        if since is not None:
            query = query.where(misses.c.at >= since)
        out: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for row in connection.execute(query):
            out[row.normalised].append((row.best_id, row.n))
        return out

    # -- deliveries --------------------------------------------------------------------

    def first_delivery(self, key: str) -> bool:
        """Claim a delivery (a reminder …): True the first time, False for a repeat."""
        try:
            with self._errors(), self.engine.begin() as connection:
                connection.execute(insert(deliveries).values(key=key, at=self.clock()))
        except IntegrityError:
            return False
        return True

    def prune(self, keep_deliveries: timedelta = timedelta(days=30),
              keep_misses: timedelta = timedelta(days=365)) -> tuple[int, int]:
        """Forget old delivery claims and answered inbox entries (retries come within hours)
        and old logged questions; (deliveries and inbox entries, misses) deleted. Updates,
        revisions and the audit log are never pruned."""
        now = self.clock()
        with self._errors(), self.engine.begin() as connection:
            gone = connection.execute(deliveries.delete()
                                      .where(deliveries.c.at < now - keep_deliveries)).rowcount
            gone += connection.execute(inbox.delete().where(
                inbox.c.state != "pending", inbox.c.done_at < now - keep_deliveries)).rowcount
            old = connection.execute(misses.delete()
                                     .where(misses.c.at < now - keep_misses)).rowcount
        return gone, old

    # -- drafts ------------------------------------------------------------------------

    def draft(self, user_id: int) -> Draft | None:
        with self.read() as connection:
            row = connection.execute(select(drafts).where(drafts.c.user_id == user_id)).first()
        if row is None:
            return None
        return Draft(row.step, json.loads(row.data), row.version, utc(row.updated_at))

    def session(self, platform: str, external_id: str) -> Session | None:
        """The sender's main account (with its language) and draft, in one query; None for
        someone never stored — never creates the user (readers who only ask questions
        leave no trace in the database)."""
        account = users.alias("account")
        query = (select(users, drafts.c.step, drafts.c.data, drafts.c.version,
                        drafts.c.updated_at.label("draft_updated_at"))
                 .select_from(account)
                 .join(users, users.c.id == func.coalesce(account.c.linked_to, account.c.id))
                 .outerjoin(drafts, drafts.c.user_id == users.c.id)
                 .where(account.c.platform == platform, account.c.external_id == external_id))
        with self.read() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        draft = (Draft(row.step, json.loads(row.data), row.version, utc(row.draft_updated_at))
                 if row.step is not None else None)
        return Session(_user(row), draft)

    def save_draft(self, user_id: int, step: str, data: dict[str, Any]) -> Draft:
        """Create or replace the user's draft; `version` grows with every save."""
        now = self.clock()
        text = json.dumps(data, ensure_ascii=False)
        with self.write() as connection:
            version = connection.execute(select(drafts.c.version)
                                         .where(drafts.c.user_id == user_id)).scalar()
            if version is None:
                version = 1
                connection.execute(insert(drafts).values(user_id=user_id, step=step, data=text,
                                                         version=version, updated_at=now))
            else:
                version += 1
                connection.execute(update(drafts).where(drafts.c.user_id == user_id).values(
                    step=step, data=text, version=version, updated_at=now))
        return Draft(step, data, version, now)

    def delete_draft(self, user_id: int) -> None:
        with self.write() as connection:
            connection.execute(drafts.delete().where(drafts.c.user_id == user_id))

    # -- updates -----------------------------------------------------------------------

    def add_update(self, user_id: int, commitment_id: str, status: str, text: str, mission: str,
                   key: str | None = None, *, check: Check | None = None) -> tuple[Update, bool]:
        """Store one update; with an idempotency key already seen, the stored one instead.

        Returns (update, created).
        """
        assert status in STATUSES, status
        if key and (existing := self.by_key(key)) is not None:
            return existing, False
        now = self.clock()
        try:
            with self.write(check, user_id) as connection:
                update_id = connection.execute(insert(updates).values(
                    commitment_id=commitment_id, user_id=user_id, status=status, text=text,
                    mission=mission, revision=1, created_at=now, updated_at=now,
                    idempotency_key=key)).inserted_primary_key[0]  # type: ignore[index]  # set for a one-row INSERT
                connection.execute(insert(revisions).values(
                    update_id=update_id, revision=1, status=status, text=text, mission=mission,
                    at=now, by_user_id=user_id))
                self._audit(connection, user_id, "update.created", f"#{update_id}",
                            commitment=commitment_id, status=status, text=text, mission=mission,
                            **_digests(connection, update_id, 1))
        except IntegrityError:
            existing = self.by_key(key) if key else None
            if existing is None:
                raise
            return existing, False
        stored = self.get_update(update_id)
        assert stored is not None
        return stored, True

    def by_key(self, key: str) -> Update | None:
        with self.read() as connection:
            row = connection.execute(_updates_query().where(updates.c.idempotency_key == key)).first()
        return _update(row) if row else None

    def get_update(self, update_id: int) -> Update | None:
        with self.read() as connection:
            row = connection.execute(_updates_query().where(updates.c.id == update_id)).first()
        return _update(row) if row else None

    def edit_update(self, update_id: int, by: int, *, status: str | None = None,
                    text: str | None = None, check: ItemCheck | None = None) -> Update:
        """A new revision; the earlier ones stay in `update_revisions`. `check` judges the
        editor's rights and the update as both are inside this transaction."""
        now = self.clock()
        with self.write() as connection:
            self._require_on(connection, by, update_id, check)
            row = connection.execute(select(updates).where(updates.c.id == update_id)).one()
            values = {"status": status or row.status, "text": text or row.text,
                      "mission": row.mission, "revision": row.revision + 1}
            connection.execute(update(updates).where(updates.c.id == update_id)
                               .values(**values, updated_at=now))
            connection.execute(insert(revisions).values(update_id=update_id, at=now,
                                                        by_user_id=by, **values))
            self._audit(connection, by, "update.edited", f"#{update_id}", **values,
                        **_digests(connection, update_id, values["revision"]))
        stored = self.get_update(update_id)
        assert stored is not None
        return stored

    def withdraw_update(self, update_id: int, by: int, *, check: ItemCheck | None = None) -> Update:
        with self.write() as connection:
            self._require_on(connection, by, update_id, check)
            connection.execute(update(updates).where(updates.c.id == update_id,
                                                     updates.c.withdrawn_at.is_(None))
                               .values(withdrawn_at=self.clock()))
            self._audit(connection, by, "update.withdrawn", f"#{update_id}",
                        **_digests(connection, update_id))
        stored = self.get_update(update_id)
        assert stored is not None
        return stored

    def restore_update(self, update_id: int, by: int, *, check: ItemCheck | None = None) -> Update:
        """Undo a withdrawal: the update counts again. The withdrawal and its undoing both
        stay in the audit log; `check` judges the writer and the update inside the write."""
        with self.write() as connection:
            self._require_on(connection, by, update_id, check)
            connection.execute(update(updates).where(updates.c.id == update_id,
                                                     updates.c.withdrawn_at.is_not(None))
                               .values(withdrawn_at=None))
            self._audit(connection, by, "update.restored", f"#{update_id}",
                        **_digests(connection, update_id))
        stored = self.get_update(update_id)
        assert stored is not None
        return stored

    def _require_on(self, connection: Connection, by: int, update_id: int,
                    check: ItemCheck | None) -> None:
        """`_require` for a write on one stored update: the rule sees it as it is now."""
        if check is not None:
            row = connection.execute(_updates_query().where(updates.c.id == update_id)).one()
            self._require(connection, by, lambda rights: check(rights, _update(row)))

    def revisions(self, update_id: int) -> list[dict[str, Any]]:
        with self.read() as connection:
            rows = connection.execute(select(revisions).where(revisions.c.update_id == update_id)
                                      .order_by(revisions.c.revision)).all()
        return [dict(row._mapping) for row in rows]

    def list_updates(self, *, commitment_id: str | None = None, user_id: int | None = None,
                     since: datetime | None = None, until: datetime | None = None,
                     include_withdrawn: bool = False, limit: int | None = None,
                     newest_first: bool = True) -> list[Update]:
        query = _updates_query()
        if commitment_id:
            query = query.where(updates.c.commitment_id == commitment_id)
        if user_id is not None:
            query = query.where(updates.c.user_id == user_id)
        if since is not None:
            query = query.where(updates.c.created_at >= since)
        if until is not None:
            query = query.where(updates.c.created_at < until)
        if not include_withdrawn:
            query = query.where(updates.c.withdrawn_at.is_(None))
        order = (updates.c.created_at.desc(), updates.c.id.desc()) if newest_first else \
            (updates.c.created_at, updates.c.id)
        query = query.order_by(*order)
        if limit:
            query = query.limit(limit)
        with self.read() as connection:
            return [_update(row) for row in connection.execute(query)]

    def latest_by_commitment(self) -> dict[str, Update]:
        """The newest live update of every commitment that has one."""
        latest: dict[str, Update] = {}
        for item in self.list_updates(newest_first=False):
            latest[item.commitment_id] = item
        return latest


def _digests(connection: Connection, update_id: int, revision: int | None = None) -> dict[str, str]:
    """The content hashes an update write records in its audit entry: of the update's row
    and of the revision it wrote, as stored (read back), so `audit verify` can recompute them."""
    row = connection.execute(select(updates).where(updates.c.id == update_id)).one()
    found = {"update_sha256": row_digest("updates", row._mapping)}
    if revision is not None:
        rev = connection.execute(select(revisions).where(
            revisions.c.update_id == update_id, revisions.c.revision == revision)).one()
        found["revision_sha256"] = row_digest("update_revisions", rev._mapping)
    return found


def _updates_query():  # noqa: ANN202 - a SQLAlchemy Select
    return select(updates, users.c.name.label("user_name"), users.c.platform,
                  users.c.external_id).join(users, users.c.id == updates.c.user_id)


def _user(row: Any) -> User:
    return User(row.id, row.platform, row.external_id, row.name, row.role, row.mission,
                row.linked_to, row.language)


def _update(row: Any) -> Update:
    return Update(row.id, row.commitment_id, row.user_id,
                  row.user_name or f"{row.platform}:{row.external_id}", row.status, row.text,
                  row.mission, row.revision, utc(row.created_at), utc(row.updated_at),
                  utc(row.withdrawn_at) if row.withdrawn_at else None)
