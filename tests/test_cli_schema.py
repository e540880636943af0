"""Operator commands read the schema's revision with one query and never migrate; only
`a4pbot db upgrade` and servers do. `health` answers unhealthy on a database behind this
version and leaves it as it is; `admin …` and `health` load neither Alembic nor the matcher.
Everything through the real command line, in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.database import make_engine
from bot.storage.migrations import HEAD, config, schema_revision, upgrade

HEAVY = ("alembic", "jieba", "rapidfuzz", "bot.answering.matching", "bot.conversation.assistant", "telegram",
         "slack_bolt", "matplotlib", "openpyxl")


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "DATABASE_URL": url})


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema_revision(engine)
    finally:
        engine.dispose()


def _previous_revision() -> str:
    from alembic.script import ScriptDirectory

    engine = make_engine("sqlite://")
    previous = ScriptDirectory.from_config(config(engine)).get_revision(HEAD).down_revision
    assert isinstance(previous, str)
    return previous


@pytest.fixture(params=["sqlite", "postgresql"])
def behind_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to the revision before HEAD: what a new release finds."""
    from conftest import postgres_schema

    def migrated(url: str) -> str:
        engine = make_engine(url)
        upgrade(engine, _previous_revision())
        engine.dispose()
        return url

    if request.param == "sqlite":
        yield migrated(f"sqlite:///{tmp_path / 'behind.sqlite3'}")
        return
    with postgres_schema() as url:
        yield migrated(url)


def _main(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture,
          *args: str) -> tuple[int, str, str]:
    """`a4pbot ARGS` through its `main`, in this process (the import checks below need a
    fresh process; this one needs only the command's behaviour)."""
    from bot.cli.main import main

    monkeypatch.setenv("DATABASE_URL", url)
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_health_and_admin_on_a_database_behind_do_not_migrate_it(
        behind_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    previous = _previous_revision()
    code, out, err = _main(behind_url, monkeypatch, capsys, "health")
    assert code == 1, err[-2000:]
    (line,) = out.splitlines()
    assert f"database: schema at revision {previous}, this a4pbot needs {HEAD}" in line
    assert "a4pbot db upgrade" in line and "Traceback" not in err
    assert _revision(behind_url) == previous  # health left it as it was

    code, out, err = _main(behind_url, monkeypatch, capsys, "admin", "users")
    assert code == 1 and out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"a4pbot: database: schema at revision {previous}")
    code, out, _ = _main(behind_url, monkeypatch, capsys, "ask", "--json", "火星上的维和行动")
    assert code == 0 and '"results": []' in out  # a miss: it would be logged
    assert _revision(behind_url) == previous  # nor did admin or ask

    assert _main(behind_url, monkeypatch, capsys, "db", "upgrade")[1] == \
        f"database at revision {HEAD}\n"
    assert _revision(behind_url) == HEAD
    assert _main(behind_url, monkeypatch, capsys, "health")[0] == 0


def test_a_new_database_is_created_only_by_db_upgrade(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    code, out, _ = _main(url, monkeypatch, capsys, "health")
    assert code == 1 and "database: no schema yet" in out
    assert _main(url, monkeypatch, capsys, "admin", "add", "555")[0] == 1
    assert _revision(url) is None
    assert _main(url, monkeypatch, capsys, "db", "upgrade")[0] == 0
    assert _main(url, monkeypatch, capsys, "admin", "add", "555")[0] == 0


COMMANDS = [["admin", "users"], ["health"], ["admin", "invite"]]


def test_operator_commands_load_neither_alembic_nor_the_matcher(sqlite_template: Path,
                                                                tmp_path: Path) -> None:
    """One fresh process runs each command in turn and says, after each, which heavy
    modules it has imported so far."""
    database = tmp_path / "a4p.sqlite3"
    shutil.copyfile(sqlite_template, database)
    probe = (f"import sys; from bot.cli.main import main\n"
             f"for command in {COMMANDS!r}:\n"
             f"    code = main(command)\n"
             f"    print('probe', code, sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "DATABASE_URL": f"sqlite:///{database}"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert [line for line in out.stdout.splitlines() if line.startswith("probe")] == \
        ["probe 0 []"] * len(COMMANDS)


def test_bench_measures_health_and_admin_against_the_bare_import() -> None:
    from bot.cli.bench import cli_cost, cli_cost_rows

    times = cli_cost(None, runs=1)  # each command ran to exit 0 on the scratch database
    rows = cli_cost_rows(times)
    assert [row.split("  ")[0] for row in rows] == ["import sqlalchemy", "a4pbot health",
                                                    "a4pbot admin users"]
    assert all(wall > 0 and cpu > 0 for runs in times.values() for wall, cpu in runs)
    assert "x CPU of the bare import (target <= 2x)" in rows[1]
