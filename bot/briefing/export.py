"""Progress updates as CSV or XLSX files for admins (and as the CLI's `a4pbot export`).

Spreadsheet programs execute cells that start with `=`, `+`, `-` or `@`; stored text
comes from chat users, so every cell goes through `sanitise` (OWASP "CSV injection"). The CSV has one line per update: a bare CR in a text would start a new row
in Excel and in line-based tools (and a cell the neutralisation never saw), so line breaks
inside a cell become spaces there; the XLSX keeps them.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from openpyxl import Workbook

from bot.desk.sanitise import append_safe, safe_cell
from bot.storage.audit import AuditEntry
from bot.storage.updates import ProgressUpdate

COLUMNS = ("update_id", "commitment_id", "status", "text", "user", "mission", "created_at",
           "updated_at", "revision", "withdrawn_at")
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")  # str.splitlines' set
FORMATS = ("csv", "xlsx")


def iso(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def rows(items: list[ProgressUpdate]) -> list[tuple[object, ...]]:
    return [(u.id, u.commitment_id, u.status, u.text, u.user_name, u.mission, iso(u.created_at),
             iso(u.updated_at), u.revision, iso(u.withdrawn_at)) for u in items]


def one_line(value: object) -> object:
    """A CSV cell on one line: line breaks (CR, LF, U+2028 …) become a space."""
    return _LINE_BREAKS.sub(" ", value) if isinstance(value, str) else value


def to_csv(items: list[ProgressUpdate]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; one line per
    update (Python's writer quotes a bare CR only since 3.12, so none is left), no cell a
    formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([tuple(safe_cell(one_line(v)) for v in row) for row in rows(items)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


AUDIT_COLUMNS = ("id", "at", "user_id", "action", "subject", "detail", "prev_hash", "hash")


def audit_csv(entries: list[AuditEntry]) -> bytes:
    """The audit chain as CSV: anyone can recompute each hash from the row before it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    # Every value here is structured (ids, JSON, hex), so safe_cell leaves the hashed text as is.
    writer.writerows(tuple(safe_cell(v) for v in (
        e.id, iso(e.at), e.user_id if e.user_id is not None else "", e.action, e.subject,
        e.detail, e.prev_hash, e.hash)) for e in entries)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(items: list[ProgressUpdate]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "updates"
    sheet.append(COLUMNS)
    for row in rows(items):
        append_safe(sheet, row)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def filename(stamp: str, fmt: str) -> str:
    """The download's name, `a4p-updates-20260102.csv`: the same whether the chat's `/export`
    or the dashboard's export made it."""
    return f"a4p-updates-{stamp}.{fmt}"


def render(items: list[ProgressUpdate], fmt: str) -> bytes:
    return to_csv(items) if fmt == "csv" else to_xlsx(items)
