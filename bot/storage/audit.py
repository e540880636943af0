"""The tamper-evident audit log's hash chain: each entry hashes the one before it, so a
changed, removed or inserted entry breaks the chain from there on.

The chain alone proves only itself. Two more checks make it catch what it exists for:

- every update write records the content hashes of the rows it left (`row_digest`), and
  `check_rows` recomputes them from the stored updates and revisions, so a row edited,
  added or deleted behind the bot's back is named;
- the head hash, printed by `a4pbot audit verify` and kept elsewhere, must still be in the
  chain (`reaches`), so deleting the newest entries or rewriting the chain is caught.

Entries written before content hashing (before the 2026-11 hardening) carry no hashes: the
rows they last wrote are counted as unchecked until their next edit or withdrawal, which
records hashes from then on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from .schema import audit_log, revisions, updates

if TYPE_CHECKING:
    from .store import Store

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    user_id: int | None
    action: str
    subject: str
    detail: str
    prev_hash: str
    hash: str


class AuditLog:
    """Reading the log (`store.audit_log`); entries are appended by `Store.append_audit`
    inside the write they record."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def entries(self) -> list[AuditEntry]:
        with self.store.read() as connection:
            rows = connection.execute(select(audit_log).order_by(audit_log.c.id)).all()
        return [_entry(row) for row in rows]

    def snapshot(self) -> tuple[list[AuditEntry], list[dict[str, Any]], list[dict[str, Any]]]:
        """The audit log with every stored update and revision, read together under the
        writers' lock, so a write committing meanwhile cannot look like tampering."""
        with self.store.write() as connection:
            entries = connection.execute(select(audit_log).order_by(audit_log.c.id)).all()
            rows = connection.execute(select(updates).order_by(updates.c.id)).all()
            revs = connection.execute(select(revisions).order_by(revisions.c.id)).all()
        return ([_entry(row) for row in entries],
                [dict(row._mapping) for row in rows], [dict(row._mapping) for row in revs])


def _entry(row: Any) -> AuditEntry:  # Any: a SQLAlchemy Row
    return AuditEntry(**{**row._mapping, "at": utc(row.at)})


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def entry_hash(prev_hash: str, at: datetime, user_id: int | None, action: str, subject: str,
               detail: str) -> str:
    """The hash of one audit entry, chained to the previous one."""
    content = json.dumps([prev_hash, utc(at).isoformat(), user_id, action, subject, detail],
                         ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()


def first_broken(entries: list[AuditEntry]) -> int | None:
    """The id of the first entry whose hash or link does not check out; None if intact."""
    prev = GENESIS
    for entry in entries:
        expected = entry_hash(prev, entry.at, entry.user_id, entry.action, entry.subject,
                              entry.detail)
        if entry.prev_hash != prev or entry.hash != expected:
            return entry.id
        prev = entry.hash
    return None


# The columns whose content an update write vouches for, per table (a later column added to
# a table is not covered unless listed here, so old hashes keep checking out).
CONTENT = {
    "updates": ("id", "commitment_id", "user_id", "status", "text", "mission", "revision",
                "created_at", "updated_at", "withdrawn_at", "idempotency_key"),
    "update_revisions": ("id", "update_id", "revision", "status", "text", "mission", "at",
                         "by_user_id"),
}
ROW_ACTIONS = ("update.created", "update.edited", "update.withdrawn", "update.restored")
REVISION_ACTIONS = ("update.created", "update.edited")  # the others write no revision


def row_digest(table: str, row: Mapping[str, Any] | Any) -> str:  # Any: SQLAlchemy RowMapping
    """The content hash of one stored row (the same on SQLite and PostgreSQL)."""
    values = [utc(v).isoformat() if isinstance(v, datetime) else v for v in
              (row[column] for column in CONTENT[table])]
    content = json.dumps([table, values], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(content.encode()).hexdigest()


def reaches(entries: list[AuditEntry], head: str) -> bool:
    """Does the chain still contain the entry whose hash is `head` (kept from an earlier
    verify)? False when the log was cut back before it or rewritten."""
    return any(entry.hash == head.strip().lower() for entry in entries)


@dataclass
class RowCheck:
    """What comparing the stored rows with the log found."""

    problems: list[str] = field(default_factory=list)
    checked: int = 0
    unchecked: int = 0  # rows last written before content hashing


def check_rows(entries: list[AuditEntry], update_rows: Sequence[Mapping[str, Any]],
               revision_rows: Sequence[Mapping[str, Any]]) -> RowCheck:
    """Recompute every update's and revision's content hash and compare it with the audit
    entry that last wrote it; name each row that differs, has no entry, or has gone."""
    latest: dict[int, tuple[int, dict[str, Any]]] = {}  # update id -> its last entry
    written: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}  # (update, revision) -> entry
    for entry in entries:
        if entry.action not in ROW_ACTIONS or not entry.subject.startswith("#"):
            continue
        update_id, detail = int(entry.subject[1:]), json.loads(entry.detail)
        latest[update_id] = entry.id, detail
        if entry.action in REVISION_ACTIONS:
            revision = 1 if entry.action == "update.created" else int(detail.get("revision", 0))
            written[update_id, revision] = entry.id, detail
    result = RowCheck()
    _compare(result, "updates", {r["id"]: r for r in update_rows}, latest,
             "update_sha256", lambda k: f"update #{k}")
    _compare(result, "update_revisions",
             {(r["update_id"], r["revision"]): r for r in revision_rows}, written,
             "revision_sha256", lambda k: f"revision {k[1]} of update #{k[0]}")
    return result


def _compare(result: RowCheck, table: str, rows: Mapping[Any, Mapping[str, Any]],
             entries: Mapping[Any, tuple[int, dict[str, Any]]], field_name: str,
             name: Any) -> None:
    for key, row in rows.items():
        if key not in entries:
            result.problems.append(f"{name(key)} has no audit entry")
        elif field_name not in entries[key][1]:
            result.unchecked += 1
        elif entries[key][1][field_name] != row_digest(table, row):
            result.problems.append(f"{name(key)} differs from what audit entry "
                                   f"{entries[key][0]} recorded")
        else:
            result.checked += 1
    for key, (entry_id, _detail) in entries.items():  # rows are never deleted by the bot
        if key not in rows:
            result.problems.append(f"{name(key)} recorded by audit entry {entry_id} is missing")
