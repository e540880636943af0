"""The store: one database, its transactions, and one repository per concept.

One `Store` speaks to SQLite (the default, a file in the data directory) or PostgreSQL
(for more than one replica). Every write is one transaction that also appends a
hash-chained audit entry; writers are serialised (SQLite `BEGIN IMMEDIATE`, a PostgreSQL
transaction-level advisory lock) so the chain never forks. Permission rules live in the
core (`access.py`, `progress.py`); a write that depends on them takes the rule as a `check`
and runs it inside its own transaction, after the lock, on the writer's `Rights` read there —
so a revocation that committed first is always seen (`Refused`, nothing written).

What is stored lives in one module per concept, each with its row dataclass and its
queries, reached as an attribute: `store.users`, `store.invites`, `store.assignments`,
`store.drafts`, `store.sessions`, `store.updates`, `store.deliveries`, `store.misses`,
`store.audit_log`. They all write through `Store.write`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from bot.conversation.refusals import NotAllowed
from .assignments import Assignments
from .audit import GENESIS, AuditLog, entry_hash
from .database import make_engine, reported_as
from .deliveries import Deliveries
from .drafts import Drafts
from .invites import Invites
from .misses import Misses
from .schema import assignments, audit_log, deliveries, inbox, misses, mission_assignments, users
from .sessions import Sessions
from .updates import Updates
from .users import Users

_CHAIN_LOCK = 0x4A4B  # PostgreSQL advisory lock id serialising writers (and migrations)


class StoreError(Exception):
    """A write or read could not be done; the user should retry (nothing was half-written)."""


class Refused(NotAllowed):
    """The writer may not (or may no longer) do this write; nothing was written.

    `reason` is what the core's rule answered (its polite reply), handed back unchanged.
    """

    def __init__(self, reason: Any) -> None:
        Exception.__init__(self, "refused")
        self.reason = self.reply = reason


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


class Store:
    """The bot's own data: transactions here, each concept in its repository."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self._reader = engine.execution_options(readonly=True)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.users = Users(self)
        self.invites = Invites(self)
        self.assignments = Assignments(self)
        self.drafts = Drafts(self)
        self.sessions = Sessions(self)
        self.updates = Updates(self)
        self.deliveries = Deliveries(self)
        self.misses = Misses(self)
        self.audit_log = AuditLog(self)

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

    # -- transactions ------------------------------------------------------------------

    @contextmanager
    def write(self, check: Check | None = None, by: int | None = None) -> Iterator[Connection]:
        """One serialised transaction: all or nothing. With a `check`, user `by` must still
        pass it — judged on their rights as they are once this writer holds the lock."""
        with self._errors(), self.engine.begin() as connection:
            if self.is_postgresql:
                connection.execute(select(func.pg_advisory_xact_lock(_CHAIN_LOCK)))
            if check is not None:
                self.require(connection, by, check)
            yield connection

    @contextmanager
    def unaudited(self) -> Iterator[Connection]:
        """A transaction outside the writers' lock, for the bot's own bookkeeping (delivery
        claims, logged questions, reminder times): no one's action, so no audit entry."""
        with self._errors(), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read: every block runs a single statement, so it needs no transaction."""
        with self._errors(), self._reader.begin() as connection:
            yield connection

    def require(self, connection: Connection, user_id: int | None, check: Check) -> None:
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

    def append_audit(self, connection: Connection, user_id: int | None, action: str,
                     subject: str, **detail: Any) -> None:
        """Chain one audit entry to the last, inside the write that did `action`."""
        at = self.clock()
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
        prev = connection.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc())
                                  .limit(1)).scalar() or GENESIS
        connection.execute(insert(audit_log).values(
            at=at, user_id=user_id, action=action, subject=subject, detail=text, prev_hash=prev,
            hash=entry_hash(prev, at, user_id, action, subject, text)))

    # -- housekeeping ------------------------------------------------------------------

    def prune(self, keep_deliveries: timedelta = timedelta(days=30),
              keep_misses: timedelta = timedelta(days=365)) -> tuple[int, int]:
        """Forget old delivery claims and answered inbox entries (retries come within hours)
        and old logged questions; (deliveries and inbox entries, misses) deleted. Updates,
        revisions and the audit log are never pruned."""
        now = self.clock()
        with self.unaudited() as connection:
            gone = connection.execute(deliveries.delete()
                                      .where(deliveries.c.at < now - keep_deliveries)).rowcount
            gone += connection.execute(inbox.delete().where(
                inbox.c.state != "pending", inbox.c.done_at < now - keep_deliveries)).rowcount
            old = connection.execute(misses.delete()
                                     .where(misses.c.at < now - keep_misses)).rowcount
        return gone, old
