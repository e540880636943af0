"""Progress updates as CSV or XLSX files for admins (and as the CLI's `a4pbot export`).

Spreadsheet programs execute cells that start with `=`, `+`, `-` or `@`; stored text
comes from chat users, so such cells are neutralised (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import Workbook

from .store import AuditEntry, Update

COLUMNS = ("update_id", "commitment_id", "status", "text", "user", "mission", "created_at",
           "updated_at", "revision", "withdrawn_at")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def iso(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def rows(items: list[Update]) -> list[tuple[object, ...]]:
    return [(u.id, u.commitment_id, u.status, u.text, u.user_name, u.mission, iso(u.created_at),
             iso(u.updated_at), u.revision, iso(u.withdrawn_at)) for u in items]


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(items: list[Update]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([tuple(_safe(v) for v in row) for row in rows(items)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


AUDIT_COLUMNS = ("id", "at", "user_id", "action", "subject", "detail", "prev_hash", "hash")


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """The audit chain as CSV: anyone can recompute each hash from the row before it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    writer.writerows((e.id, iso(e.at), e.user_id if e.user_id is not None else "", e.action,
                      e.subject, e.detail, e.prev_hash, e.hash) for e in entries)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(items: list[Update]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "updates"
    sheet.append(COLUMNS)
    for row in rows(items):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(items: list[Update], fmt: str) -> bytes:
    return to_csv(items) if fmt == "csv" else to_xlsx(items)
