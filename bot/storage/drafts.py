"""Drafts: a half-finished /update per user, kept in the database so a restart, another
replica or another device picks it up where it was."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from .rows import from_row
from .schema import drafts

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True)
class Draft:
    """A half-finished /update: the step reached and what was entered so far."""

    step: str
    data: dict[str, Any]
    version: int
    updated_at: datetime


def draft_from_row(row: Any) -> Draft:  # Any: a SQLAlchemy Row
    """A `Draft` from a row holding the draft's columns by their names (`data` is JSON)."""
    return from_row(Draft, row, data=json.loads(row.data))


class Drafts:
    """Reads and writes of `drafts` (`store.drafts`); not audited: nothing is decided yet."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, user_id: int) -> Draft | None:
        with self.store.read() as connection:
            row = connection.execute(select(drafts).where(drafts.c.user_id == user_id)).first()
        return draft_from_row(row) if row is not None else None

    def save(self, user_id: int, step: str, data: dict[str, Any]) -> Draft:
        """Create or replace the user's draft; `version` grows with every save."""
        now = self.store.clock()
        text = json.dumps(data, ensure_ascii=False)
        with self.store.write() as connection:
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

    def delete(self, user_id: int) -> None:
        with self.store.write() as connection:
            connection.execute(drafts.delete().where(drafts.c.user_id == user_id))
