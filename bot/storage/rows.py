"""Result rows into the row dataclasses, by column name.

Mapping by name, not position, means a new column is one new field (with a default) in
its dataclass, and no call has to count arguments. Datetimes come back as UTC: SQLite hands
them over naive.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from .audit import utc

Row = TypeVar("Row")


def from_row(cls: type[Row], row: Any, **computed: Any) -> Row:  # Any: a SQLAlchemy Row
    """`cls` filled from the row's columns of the same name; `computed` gives fields the
    row does not hold as they are (a label, a decoded value)."""
    mapping = row._mapping
    return cls(**{f.name: computed[f.name] if f.name in computed else _value(mapping[f.name])
                  for f in fields(cls)  # type: ignore[arg-type]  # cls is a dataclass
                  if f.name in computed or f.name in mapping})


def _value(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value
