"""The tamper-evident audit log's hash chain: each entry hashes the one before it, so a
changed, removed or inserted entry breaks the chain from there on."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

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
