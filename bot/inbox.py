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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from .schema import inbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # starts that may try one update; past it (a poison update) it is dropped


class InboxError(Exception):
    """The inbox could not be written: do not acknowledge the update (it will come again)."""


@dataclass(frozen=True)
class Received:
    """A pending update: its key, the payload as received, and the attempts so far."""

    key: str
    payload: str
    attempts: int


class Inbox:
    """Updates received per platform, pending until answered."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            raise InboxError(str(exc.orig).splitlines()[0] if exc.orig else str(exc)) from exc

    def receive(self, platform: str, key: str, payload: str) -> bool:
        """Keep an update before it is acknowledged: True if it is new (answer it), False
        for a redelivery of one already here, pending or done (do not answer it again)."""
        return key in self.receive_many(platform, [(key, payload)])

    def receive_many(self, platform: str, items: list[tuple[str, str]]) -> set[str]:
        """`receive` for a batch of (key, payload) in one transaction: the keys that are new."""
        if not items:
            return set()
        now = self.clock()
        statement = self._insert(inbox).values([
            {"platform": platform, "key": key, "payload": payload, "received_at": now,
             "state": "pending", "attempts": 1} for key, payload in dict(items).items()
        ]).on_conflict_do_nothing().returning(inbox.c.key)
        with self._errors(), self.engine.begin() as connection:
            return set(connection.execute(statement).scalars())

    def pending(self, platform: str, max_attempts: int = MAX_ATTEMPTS) -> list[Received]:
        """What a crash left unanswered, oldest first, each counted as one more attempt.

        An update already tried `max_attempts` times is dropped instead (logged): if it
        is what kills the bot, retrying it forever would keep the bot down.
        """
        mine = inbox.c.platform == platform, inbox.c.state == "pending"
        with self._errors(), self.engine.begin() as connection:
            dropped = connection.execute(
                update(inbox).where(*mine, inbox.c.attempts >= max_attempts)
                .values(state="dropped", done_at=self.clock()).returning(inbox.c.key)
            ).scalars().all()
            connection.execute(update(inbox).where(*mine)
                               .values(attempts=inbox.c.attempts + 1))
            rows = connection.execute(select(inbox.c.key, inbox.c.payload, inbox.c.attempts)
                                      .where(*mine).order_by(inbox.c.id)).all()
        if dropped:
            log.warning("%s: gave up on %d update(s) after %d attempts: %s", platform,
                        len(dropped), max_attempts, ", ".join(dropped))
        return [Received(row.key, row.payload, row.attempts) for row in rows]

    def mark_done(self, platform: str, key: str) -> None:
        """The update was answered: a redelivery of it is now ignored."""
        with self._errors(), self.engine.begin() as connection:
            connection.execute(update(inbox).where(
                inbox.c.platform == platform, inbox.c.key == key, inbox.c.state == "pending")
                .values(state="done", done_at=self.clock()))

    def backlog(self, platform: str | None = None) -> int:
        """How many updates are waiting to be answered."""
        query = select(func.count()).select_from(inbox).where(inbox.c.state == "pending")
        if platform is not None:
            query = query.where(inbox.c.platform == platform)
        with self._errors(), self.engine.connect() as connection:
            return connection.execute(query).scalar_one()
