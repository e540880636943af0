"""Shared fixtures: the shipped catalogue and one Assistant per test session (jieba loads once)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversation.assistant import Assistant
from bot.conversation.identity import Sender
from bot.answering.catalogue import DEFAULT_DIR
from bot.storage.store import Store

DATA = Path(__file__).parent / "data"


# The longest files first (10–20 s each on two cores), the rest in name order: a worker given
# test_webhook.py last (it sorts last) ran it alone while the other had finished (~7 s).
LONGEST_FIRST = ("test_matching.py", "test_webhook.py", "test_cli.py", "test_labelled_sets.py",
                 "test_crash.py", "test_slack.py", "test_hostile.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the files for `-n 2 --dist loadfile`: each worker takes the next file it is free."""
    first = {name: n for n, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: first.get(item.path.name, len(first)))  # stable: name order


@pytest.fixture(scope="module")
def tg():  # -> Iterator[FakeTelegram]: one fake Bot API server per test module
    from fake_telegram import FakeTelegram
    from running_bot import TOKEN

    with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test runs writes its default database under tmp_path, not the checkout;
    the bots it starts live seconds: no warm-ups (~2.6 s of CPU each; test_webhook checks
    them)."""
    monkeypatch.setenv("A4P_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("A4P_WARM_UP", "false")
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    return Assistant.load()


@pytest.fixture(scope="session")
def catalogue(assistant: Assistant):
    return assistant.catalogue


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge, for tests that break it on purpose."""
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


@pytest.fixture
def small_knowledge_copy(knowledge_copy: Path) -> Path:
    """`knowledge_copy` with the first 400 of users' ~40,000 asked questions, for tests that
    re-read or re-index edited knowledge: parsing and cutting the rest only cost time (3.9 MB
    of YAML, ~2 s a test)."""
    asked = knowledge_copy / "asked.yaml"
    lines = asked.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(n for n, line in enumerate(lines) if line.startswith("- "))
    asked.write_text("".join(lines[:header + 400]), encoding="utf-8")
    return knowledge_copy


# -- databases: every store test runs on SQLite and on PostgreSQL -------------------------

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Clock:
    """A settable UTC clock, so tests can step past the 24-hour edit window or an expiry."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A throw-away schema on the test server; the URL puts it first on the search path."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(PG_URL)
    schema = f"test_{secrets.token_hex(6)}"
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except OperationalError as exc:
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_URL} ({type(exc.orig).__name__}); "
                    "set TEST_DATABASE_URL to run the PostgreSQL half")
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session; each test gets a copy (migrating costs ~0.3 s)."""
    path = tmp_path_factory.mktemp("template") / "a4p.sqlite3"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_session() -> Iterator[tuple[str, object, str]]:
    """One schema migrated once per session, emptied before each test that uses it."""
    from sqlalchemy import create_engine

    with postgres_schema() as url:
        Store.open(url).close()
        engine = create_engine(url)
        yield url, engine, _emptying(engine)
        engine.dispose()


def _emptying(engine) -> str:  # engine: sqlalchemy Engine
    """SQL that empties every table but alembic's, ids restarting at 1, as in a new database.
    DELETE without foreign-key triggers (replica role, this transaction only) and restarted
    sequences: ~6 ms, where TRUNCATE … RESTART IDENTITY takes ~85 ms a test."""
    from sqlalchemy import inspect, text

    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as connection:
        sequences = list(connection.execute(text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")).scalars())
    return "; ".join(["SET LOCAL session_replication_role = replica",
                      *(f"DELETE FROM {t}" for t in tables),
                      *(f"ALTER SEQUENCE {q} RESTART" for q in sequences)])


def fresh_database(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> str:
    """A migrated, empty database of `kind` (sqlite: a copy of the session's template;
    postgresql: the session's schema, emptied)."""
    if kind == "sqlite":
        target = tmp_path / "a4p.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url, engine, emptying = request.getfixturevalue("postgres_session")
    with engine.begin() as connection:
        connection.exec_driver_sql(emptying)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return fresh_database(request, tmp_path, request.param)


def sqlite_first():  # -> a pytest fixture
    """A module's `db_url` for conversation tests: SQLite, and PostgreSQL too for the tests
    marked `@BOTH` (those whose writes or values the database itself judges: a unique key,
    a revoke racing a write, NUL, big numbers). Use as `db_url = sqlite_first()`."""
    @pytest.fixture(params=["sqlite"])
    def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        return fresh_database(request, tmp_path, request.param)
    return db_url


BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(db_url, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def desk(assistant: Assistant, store: Store) -> Assistant:
    """The session's assistant with the progress desk over a fresh store; 'telegram:1' is admin."""
    return assistant.with_store(store, frozenset({"telegram:1"}))


ADMIN = Sender("telegram", "1", "Admin")  # the `desk` fixture's admin


def make_focal_point(desk: Assistant, sender: Sender, *commitments: str) -> int:
    """`sender` invited, registered and assigned `commitments` through the chat, as an admin
    does it; their user number."""
    code = desk.respond("/invite focal_point", None, ADMIN).body[0]
    desk.respond(f"/register {code}", None, sender)
    user_id = desk.access.get_or_create_user(sender).id
    desk.respond(f"/assign {user_id} {' '.join(commitments)}", None, ADMIN)
    assert desk.store.users.get(user_id).role == "focal_point"  # registered, in any language
    assert desk.store.assignments.commitments(user_id)  # and assigned
    return user_id


def actions(reply) -> list[str]:  # reply: Reply
    """A reply's button actions, row by row."""
    return [b.action for row in reply.buttons for b in row]
