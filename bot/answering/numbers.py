"""Numbers and dates typed by people (or forged in a button), parsed once and bounded.

`str.isdigit()` accepts `²`, `①` and `፩`, which `int()` rejects; an id of eleven digits
overflows PostgreSQL's int4 columns (and twenty, SQLite's int64); `9999-12-31` plus a day
overflows `datetime`. Every command, button and CLI argument that takes a number goes
through here, so a hostile number is a polite "no such …", never an exception.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from datetime import UTC, date, datetime, timedelta

MAX_ID = 2**31 - 1  # the store's ids are int4 on PostgreSQL
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
_DIGITS = re.compile(r"[0-9]{1,30}")  # ASCII only; longer is no id, count or day anyone means
_CHINESE = re.compile(r"[零〇一二两三四五六七八九十百千万]{1,12}")


def _folded(text: str) -> str:
    """NFKC (full-width ９ and ② become 9 and 2), trimmed, one leading `#` dropped."""
    return unicodedata.normalize("NFKC", text).strip().removeprefix("#").strip()


def is_number(text: str) -> bool:
    """Does `text` look like a whole number (ASCII digits after NFKC), whatever its size?

    Lets a caller tell "not a number" from "a number that names nothing".
    """
    folded = _folded(text)
    return bool(folded) and folded.isascii() and folded.isdigit()


def parse_id(text: str) -> int | None:
    """A stored row's id (user, update) from `42` or `#42`; None unless it is 1..2³¹−1."""
    folded = _folded(text)
    if not _DIGITS.fullmatch(folded):
        return None
    value = int(folded)
    return value if 1 <= value <= MAX_ID else None


def parse_entry(text: str) -> tuple[str, int] | None:
    """A catalogue id such as `C17` -> ("commitment", 17), as `catalogue.parse_id` reads it,
    but never on a token too long to be one (`int()` refuses 4,300 digits and more)."""
    from .catalogue import parse_id as catalogue_id

    return catalogue_id(text) if len(text.strip()) <= 8 else None


def parse_count(text: str, low: int, high: int, *, chinese: bool = False,
                unit: str = "") -> int | None:
    """A whole number in low..high from ASCII (or full-width) digits — and, where people
    may type them, Chinese numerals (三十, via cn2an); None otherwise. `unit` is a regex of
    words that may follow the number (`天|days?|jours?`: "七天", "30 days")."""
    folded = _folded(text)
    if unit:
        folded = re.sub(rf"\s*(?:{unit})$", "", folded, flags=re.IGNORECASE)
    value: int | None
    if _DIGITS.fullmatch(folded):
        value = int(folded)
    elif chinese and _CHINESE.fullmatch(folded):
        value = _from_chinese(folded)
    else:
        return None
    return value if value is not None and low <= value <= high else None


def _from_chinese(text: str) -> int | None:
    import cn2an

    try:
        with warnings.catch_warnings():  # cn2an warns about what it cannot read
            warnings.simplefilter("ignore", UserWarning)
            value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value) if float(value).is_integer() else None


def parse_day(text: str) -> date | None:
    """A day `YYYY-MM-DD` between FIRST_DAY and LAST_DAY (so a day after it still exists)."""
    folded = unicodedata.normalize("NFKC", text).strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", folded):
        return None
    try:
        day = date.fromisoformat(folded)
    except ValueError:
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of `day`."""
    return datetime.combine(day, datetime.min.time(), UTC)


def period_end(last_day: datetime | None) -> datetime | None:
    """The exclusive end the store reads (`until`) of a period whose last day — midnight at
    its start, as users give it in /export, the CLI's --to and the web's filters — counts."""
    return last_day + timedelta(days=1) if last_day else None
