"""Engines for the two supported databases, tuned for how the store uses them.

SQLite: WAL (readers never wait for the writer), foreign keys on, a busy timeout, and
`BEGIN IMMEDIATE` for writers so two writers never deadlock upgrading a read lock.
PostgreSQL: a checked connection pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'a4p.sqlite3'}"


def _sqlite_engine(url: str, busy_timeout: float) -> Engine:
    engine = create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, see below
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON",
                       f"busy_timeout={int(busy_timeout * 1000)}", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Writers take the lock up front, so two writers never deadlock upgrading a read lock.
        # Reads are single statements, atomic on their own: no BEGIN/COMMIT round trip.
        if not connection.get_execution_options().get("readonly"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str, busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; SQLite waits up to `busy_timeout` seconds for a lock."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return _sqlite_engine(url, busy_timeout)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


@contextmanager
def reported_as(error: type[Exception]) -> Iterator[None]:
    """A database that is down or locked, raised as `error` with the driver's first line
    (what the store and the inbox tell their callers; never a SQLAlchemy traceback)."""
    try:
        yield
    except OperationalError as exc:
        raise error(str(exc.orig).splitlines()[0] if exc.orig else str(exc)) from exc
