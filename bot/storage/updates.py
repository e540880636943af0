"""Progress updates and their revisions: written by focal points, never deleted.

An edit writes a new revision (the earlier ones stay in `update_revisions`); a withdrawal
only marks the update. Every write records the content hashes of the rows it left in its
audit entry, so `a4pbot audit verify` can tell a row changed behind the bot's back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from .audit import row_digest
from .rows import from_row
from .schema import revisions, updates, users

if TYPE_CHECKING:
    from .store import Check, Rights, Store

STATUSES = ("not_started", "in_progress", "done", "blocked")


@dataclass(frozen=True)
class ProgressUpdate:
    """One progress update as it stands (its latest revision), with its author's name."""

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


ItemCheck = Callable[["Rights", ProgressUpdate], Any]  # a `Check` on one stored update


class Updates:
    """Reads and writes of `updates` and `update_revisions` (`store.updates`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, user_id: int, commitment_id: str, status: str, text: str, mission: str,
            key: str | None = None, *, check: Check | None = None) -> tuple[ProgressUpdate, bool]:
        """Store one update; with an idempotency key already seen, the stored one instead.

        Returns (update, created).
        """
        assert status in STATUSES, status
        if key and (existing := self.by_key(key)) is not None:
            return existing, False
        now = self.store.clock()
        try:
            with self.store.write(check, user_id) as connection:
                update_id = connection.execute(insert(updates).values(
                    commitment_id=commitment_id, user_id=user_id, status=status, text=text,
                    mission=mission, revision=1, created_at=now, updated_at=now,
                    idempotency_key=key)).inserted_primary_key[0]  # type: ignore[index]  # set for a one-row INSERT
                connection.execute(insert(revisions).values(
                    update_id=update_id, revision=1, status=status, text=text, mission=mission,
                    at=now, by_user_id=user_id))
                self.store.append_audit(connection, user_id, "update.created", f"#{update_id}",
                                        commitment=commitment_id, status=status, text=text,
                                        mission=mission, **_digests(connection, update_id, 1))
        except IntegrityError:
            existing = self.by_key(key) if key else None
            if existing is None:
                raise
            return existing, False
        stored = self.get(update_id)
        assert stored is not None
        return stored, True

    def by_key(self, key: str) -> ProgressUpdate | None:
        """The update stored with this idempotency key (one per message), if any."""
        with self.store.read() as connection:
            row = connection.execute(_query().where(updates.c.idempotency_key == key)).first()
        return _progress_update(row) if row else None

    def get(self, update_id: int) -> ProgressUpdate | None:
        with self.store.read() as connection:
            row = connection.execute(_query().where(updates.c.id == update_id)).first()
        return _progress_update(row) if row else None

    def edit(self, update_id: int, by: int, *, status: str | None = None,
             text: str | None = None, check: ItemCheck | None = None) -> ProgressUpdate:
        """A new revision; the earlier ones stay in `update_revisions`. `check` judges the
        editor's rights and the update as both are inside this transaction."""
        now = self.store.clock()
        with self.store.write() as connection:
            self._require_on(connection, by, update_id, check)
            row = connection.execute(select(updates).where(updates.c.id == update_id)).one()
            values = {"status": status or row.status, "text": text or row.text,
                      "mission": row.mission, "revision": row.revision + 1}
            connection.execute(update(updates).where(updates.c.id == update_id)
                               .values(**values, updated_at=now))
            connection.execute(insert(revisions).values(update_id=update_id, at=now,
                                                        by_user_id=by, **values))
            self.store.append_audit(connection, by, "update.edited", f"#{update_id}", **values,
                                    **_digests(connection, update_id, values["revision"]))
        stored = self.get(update_id)
        assert stored is not None
        return stored

    def withdraw(self, update_id: int, by: int, *, check: ItemCheck | None = None) -> ProgressUpdate:
        """Mark the update withdrawn (it stays in history and in exports)."""
        return self._set_withdrawn(update_id, by, check, withdrawn=True, action="update.withdrawn")

    def restore(self, update_id: int, by: int, *, check: ItemCheck | None = None) -> ProgressUpdate:
        """Undo a withdrawal: the update counts again. The withdrawal and its undoing both
        stay in the audit log; `check` judges the writer and the update inside the write."""
        return self._set_withdrawn(update_id, by, check, withdrawn=False, action="update.restored")

    def _set_withdrawn(self, update_id: int, by: int, check: ItemCheck | None, *,
                       withdrawn: bool, action: str) -> ProgressUpdate:
        """Withdraw (the time now) or restore (none) the update, audited as `action`. The row
        is written only when it is not so already, so a repeated tap keeps the first time."""
        column = updates.c.withdrawn_at
        with self.store.write() as connection:
            self._require_on(connection, by, update_id, check)
            connection.execute(update(updates)
                               .where(updates.c.id == update_id,
                                      column.is_(None) if withdrawn else column.is_not(None))
                               .values(withdrawn_at=self.store.clock() if withdrawn else None))
            self.store.append_audit(connection, by, action, f"#{update_id}",
                                    **_digests(connection, update_id))
        stored = self.get(update_id)
        assert stored is not None
        return stored

    def _require_on(self, connection: Connection, by: int, update_id: int,
                    check: ItemCheck | None) -> None:
        """`Store.require` for a write on one stored update: the rule sees it as it is now."""
        if check is not None:
            row = connection.execute(_query().where(updates.c.id == update_id)).one()
            item = _progress_update(row)
            self.store.require(connection, by, lambda rights: check(rights, item))

    def revisions(self, update_id: int) -> list[dict[str, Any]]:
        """Every revision of the update, the first first."""
        return self.revisions_of([update_id])[update_id]

    def revisions_of(self, update_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """Update id -> every revision of it, the first first: one query for a page that
        shows many updates' histories, not one per update."""
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in update_ids}
        if not found:
            return found
        with self.store.read() as connection:
            rows = connection.execute(
                select(revisions).where(revisions.c.update_id.in_(list(found)))
                .order_by(revisions.c.update_id, revisions.c.revision)).all()
        for row in rows:
            found[row.update_id].append(dict(row._mapping))
        return found

    def missions(self) -> list[str]:
        """Every mission some live update names, once each (in no particular order): the
        feed's choices without loading every update."""
        query = select(updates.c.mission).distinct().where(updates.c.withdrawn_at.is_(None),
                                                           updates.c.mission != "")
        with self.store.read() as connection:
            return list(connection.execute(query).scalars())

    def where(self, *, commitment_id: str | None = None, user_id: int | None = None,
              since: datetime | None = None, until: datetime | None = None,
              include_withdrawn: bool = False, limit: int | None = None,
              newest_first: bool = True) -> list[ProgressUpdate]:
        """The updates matching every filter given (live ones only, unless asked)."""
        query = _query()
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
        with self.store.read() as connection:
            return [_progress_update(row) for row in connection.execute(query)]

    def latest_by_commitment(self) -> dict[str, ProgressUpdate]:
        """The newest live update of every commitment that has one."""
        return latest_of_each(self.where())


def latest_of_each(newest_first: Iterable[ProgressUpdate]) -> dict[str, ProgressUpdate]:
    """Each commitment's first update in `newest_first` (its latest there): the store's,
    the briefing's in its scope, the overview's a month ago."""
    latest: dict[str, ProgressUpdate] = {}
    for item in newest_first:
        latest.setdefault(item.commitment_id, item)
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


def _query() -> Select[Any]:
    return select(updates, users.c.name.label("user_name"), users.c.platform,
                  users.c.external_id).join(users, users.c.id == updates.c.user_id)


def _progress_update(row: Any) -> ProgressUpdate:  # Any: a SQLAlchemy Row
    """An update row (joined with its author) by column name; an author without a name is
    shown by their platform id."""
    return from_row(ProgressUpdate, row,
                    user_name=row.user_name or f"{row.platform}:{row.external_id}")
