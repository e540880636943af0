"""Hostile text made harmless, once each way: what people send going in, cells going out.

In: PostgreSQL refuses NUL in text columns, and UTF-8 cannot encode a lone surrogate (JSON's
`\\ud800`, undecodable command-line bytes), so `clean_text` runs where text enters the core
(`Assistant.ask/respond/press`, `Sender`, the update form, the CLI) — before anything is
stored or logged.

Out: spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` (and a tab or
CR before one) as a formula (OWASP "CSV injection"); texts, names and missions come from
chat users, so every cell of every export and report passes through `safe_cell` (CSV) or
`append_safe` (XLSX); Markdown and HTML reports escape their own markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_CELL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def clean_text(text: str) -> str:
    """NUL removed, lone surrogates replaced by U+FFFD; everything else kept as typed."""
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def formula_like(value: object) -> bool:
    """Would a spreadsheet program read this cell as a formula?"""
    # Leading spaces too: some programs trim them before deciding.
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_START)


def safe_cell(value: object) -> object:
    """A CSV cell that is never a formula: text starting like one gets a `'` (OWASP), and
    control characters other than tab and line breaks are dropped."""
    if not isinstance(value, str):
        return value
    value = _CELL_CONTROL.sub("", value)
    return "'" + value if formula_like(value) else value


def append_safe(sheet: Any, values: Iterable[object]) -> None:
    """Append a row to an openpyxl sheet with no cell a formula: formula-like text is kept
    as typed but stored as text with Excel's quote prefix (what typing `'=1+2` does), and
    the control characters XLSX cannot hold (openpyxl refuses them) are dropped."""
    sheet.append([_CELL_CONTROL.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if formula_like(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True
