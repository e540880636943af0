"""The transactional inbox: nothing a platform handed over is lost when the bot dies.

Telegram and Slack forget an update once the bot acknowledges it (polling: the next
`getUpdates` confirms the offset; webhook and Slack: the 200 answer). So every update is
written here first, acknowledged after, and marked done only once it was answered. At
start the bot answers what is still pending (oldest first) before serving new updates.

Delivery is at-least-once: an update answered in the instant before a crash, before its
mark was written, is answered again after restart. Stored effects are exactly-once:
progress updates carry the message's idempotency key, and a redelivered update that is
already here (pending or done) is not queued a second time.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from .database import reported_as
from .schema import inbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # starts that may try one update; past it (a poison update) it is dropped
_ALIVE = 0x4A4D  # PostgreSQL advisory lock (_ALIVE, owner): held by each running process


class InboxError(Exception):
    """The inbox could not be written: do not acknowledge the update (it will come again)."""


@dataclass(frozen=True)
class Received:
    """A pending update: its key, the payload as received, and the attempts so far."""

    key: str
    payload: str
    attempts: int


class Inbox:
    """Updates received per platform, pending until answered.

    Each row names the process answering it (`owner`). On PostgreSQL, where replicas
    share the inbox, every process holds an advisory lock on its owner id while it lives;
    a pending row is taken over only when its owner's lock is free (the process died), so
    a replica starting never answers what a live one is answering. SQLite serves one
    host: at start, every pending row is an orphan.
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self.owner = secrets.randbelow(2**31 - 2) + 1
        self._postgresql = engine.dialect.name == "postgresql"
        self._insert = pg_insert if self._postgresql else sqlite_insert
        self._alive: Connection | None = None  # holds the (_ALIVE, owner) lock
        self._alive_lock = threading.Lock()

    def _errors(self) -> AbstractContextManager[None]:
        return reported_as(InboxError)

    def _live(self) -> None:
        """PostgreSQL: take this process's liveness lock, on a connection of its own that
        stays open for the process's life (the lock goes when the process dies)."""
        if not self._postgresql or self._alive is not None:
            return
        with self._alive_lock, self._errors():
            if self._alive is None:
                connection = self.engine.connect()
                connection.execute(select(func.pg_advisory_lock(_ALIVE, self.owner)))
                connection.commit()  # a session lock: it outlives the transaction
                self._alive = connection

    def close(self) -> None:
        """Release the liveness lock, then discard its connection (never pooled with it).
        Unlocked first: a closed socket frees the lock only once the server notices, and a
        replica asked a moment later would still find this process alive."""
        with self._alive_lock:
            if self._alive is not None:
                try:
                    self._alive.execute(select(func.pg_advisory_unlock(_ALIVE, self.owner)))
                except SQLAlchemyError:  # the server is gone: so is the lock
                    log.debug("inbox: liveness lock not released (connection lost)")
                self._alive.invalidate()
                self._alive.close()
                self._alive = None

    def _dead(self, connection: Connection, owners: set[int]) -> set[int]:
        """The owners among `owners` whose process is gone (PostgreSQL: lock free)."""
        if not self._postgresql:
            return owners
        return {owner for owner in owners if connection.execute(
            select(func.pg_try_advisory_xact_lock(_ALIVE, owner))).scalar()}

    def receive(self, platform: str, key: str, payload: str) -> bool:
        """Keep an update before it is acknowledged: True if it is new (answer it), False
        for a redelivery of one already here, pending or done (do not answer it again)."""
        return key in self.receive_many(platform, [(key, payload)])

    def receive_many(self, platform: str, items: list[tuple[str, str]]) -> set[str]:
        """`receive` for a batch of (key, payload) in one transaction: the keys to answer.

        On PostgreSQL that includes a redelivered update still pending with a dead owner
        (the replica that received it died before answering): it is taken over."""
        if not items:
            return set()
        self._live()
        now, batch = self.clock(), dict(items)
        statement = self._insert(inbox).values([
            {"platform": platform, "key": key, "payload": payload, "received_at": now,
             "state": "pending", "attempts": 1, "owner": self.owner}
            for key, payload in batch.items()
        ]).on_conflict_do_nothing().returning(inbox.c.key)
        with self._errors(), self.engine.begin() as connection:
            new = set(connection.execute(statement).scalars())
            if self._postgresql and len(new) < len(batch):
                new |= self._take_over(connection, platform, set(batch) - new)
        return new

    def _take_over(self, connection: Connection, platform: str, keys: set[str]) -> set[str]:
        rows = connection.execute(select(inbox.c.key, inbox.c.owner).where(
            inbox.c.platform == platform, inbox.c.key.in_(keys), inbox.c.state == "pending",
            inbox.c.owner != self.owner)).all()
        dead = self._dead(connection, {row.owner for row in rows})
        taken = {row.key for row in rows if row.owner in dead}
        if taken:
            connection.execute(update(inbox).where(
                inbox.c.platform == platform, inbox.c.key.in_(taken))
                .values(owner=self.owner, attempts=inbox.c.attempts + 1))
        return taken

    def pending(self, platform: str, max_attempts: int = MAX_ATTEMPTS) -> list[Received]:
        """What crashed processes left unanswered, oldest first, now this process's, each
        counted as one more attempt.

        An update already tried `max_attempts` times is dropped instead (logged): if it
        is what kills the bot, retrying it forever would keep the bot down.
        """
        self._live()
        waiting = inbox.c.platform == platform, inbox.c.state == "pending"
        with self._errors(), self.engine.begin() as connection:
            owners = set(connection.execute(select(inbox.c.owner).distinct().where(
                *waiting, inbox.c.owner != self.owner)).scalars())
            dead = self._dead(connection, owners)
            rows = connection.execute(
                select(inbox.c.id, inbox.c.key, inbox.c.payload, inbox.c.attempts)
                .where(*waiting, inbox.c.owner.in_(dead)).order_by(inbox.c.id)).all() \
                if dead else []
            dropped = [row for row in rows if row.attempts >= max_attempts]
            taken = [row for row in rows if row.attempts < max_attempts]
            if dropped:
                connection.execute(update(inbox).where(inbox.c.id.in_([r.id for r in dropped]))
                                   .values(state="dropped", done_at=self.clock(), payload=""))
            if taken:
                connection.execute(update(inbox).where(inbox.c.id.in_([r.id for r in taken]))
                                   .values(owner=self.owner, attempts=inbox.c.attempts + 1))
        if dropped:
            log.warning("%s: gave up on %d update(s) after %d attempts: %s", platform,
                        len(dropped), max_attempts, ", ".join(r.key for r in dropped))
        return [Received(row.key, row.payload, row.attempts + 1) for row in taken]

    def mark_done(self, platform: str, key: str) -> None:
        """The update was answered: a redelivery of it is now ignored. Its payload (who
        asked what) is not kept past this point."""
        with self._errors(), self.engine.begin() as connection:
            connection.execute(update(inbox).where(
                inbox.c.platform == platform, inbox.c.key == key, inbox.c.state == "pending")
                .values(state="done", done_at=self.clock(), payload=""))

    def backlog(self, platform: str | None = None) -> int:
        """How many updates are waiting to be answered."""
        query = select(func.count()).select_from(inbox).where(inbox.c.state == "pending")
        if platform is not None:
            query = query.where(inbox.c.platform == platform)
        with self._errors(), self.engine.connect() as connection:
            return connection.execute(query).scalar_one()
