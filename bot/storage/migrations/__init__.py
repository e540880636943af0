"""Alembic migrations, run at start (and by `a4pbot db upgrade`).

The scripts live in this package, so an installed bot migrates without an alembic.ini.
Alembic itself is imported only to migrate: reading the revision (`schema_revision`,
`at_head`) is one query, so the commands that never migrate (`health`, `admin …`) do not load
it (~0.15 s of a 0.8 s command).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).parent
HEAD = "0009"  # the newest revision in versions/ (tests/test_store.py checks they agree)
_MIGRATION_LOCK = 0x4A4C
logging.getLogger("alembic").setLevel(logging.WARNING)  # its INFO chatter at every start


def config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["engine"] = engine
    return cfg


def at_head(engine: Engine) -> bool:
    """Is the schema already at `HEAD`? One small query, without loading alembic's scripts
    (~0.3 s): what every command and test that opens a migrated database pays."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")
                                      ).scalar() == HEAD
    except DBAPIError:  # no alembic_version table yet: a new database
        return False


def schema_revision(engine: Engine) -> str | None:
    """The schema's revision, None for a database without one (nothing migrated yet).
    Unlike `at_head`, a database that does not answer raises (OperationalError)."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:  # no alembic_version table: the connection itself worked
            return None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; two replicas starting together take turns."""
    if revision == "head" and at_head(engine):
        return
    from alembic import command

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
        cfg = config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
