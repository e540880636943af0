"""Normalising what people type: width, case, traditional characters, punctuation.

Field staff type on phones with whatever keyboard they have: full-width digits, 繁體字,
stray punctuation. Everything downstream (references, segmentation, scoring) sees one form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import opencc

from .derived import KEPT_TEXTS_MAX, digest_of, reused

# Punctuation and symbols become spaces so they separate words but never match anything.
_PUNCTUATION = re.compile(r"[\s\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\u2010-\u206f"
                          r"!\"$%&'()*+,./:;<=>?@\[\\\]^_`{|}~、，。！？；：“”‘’（）《》【】…·]+")
_CONTROL = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    # Built on first use: OpenCC reads its dictionaries from disk.
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert traditional Chinese characters to simplified ones (OpenCC, t2s)."""
    return _converter().convert(text)


# The shipped catalogue's texts are `_remembered` (read back at start by `remember`); the
# cache serves the rest, and holds all the texts of a catalogue too large to keep: they are
# normalised twice at start (terms, grams), and a smaller cache would let the second pass
# find none of the first's.
@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """Return the canonical form of a question: NFKC, lower case, simplified, no controls.

    NFKC folds full-width letters and digits to ASCII; punctuation is kept here (the
    reference parser needs `#44`) and removed by `strip_punctuation`.
    """
    if (known := _remembered.get(text)) is not None:
        return known
    text = unicodedata.normalize("NFKC", text)
    text = _CONTROL.sub("", text)
    if text.isascii():  # nothing for OpenCC to convert (most of the glossary, English questions)
        return text.lower().strip()
    return to_simplified(text).lower().strip()


_remembered: dict[str, str] = {}  # the catalogue's texts, normalised (`remember`)


def remember(texts: Sequence[str]) -> None:
    """Normalise the catalogue's texts at start, reading their forms back from A4P_CACHE_DIR
    when this code, OpenCC and the Unicode data normalised the same texts before: ~29,000
    texts took 0.11 s of every start. A synthetic catalogue's (the 100x benchmark's) are
    neither kept nor held: they are normalised as they come, as before."""
    if len(texts) > KEPT_TEXTS_MAX:
        return
    key = digest_of(Path(__file__).read_bytes(), "\x1f".join(texts).encode(),
                    f"{version('opencc')} {unicodedata.unidata_version}".encode())
    forms = reused("normalised", key, lambda: [normalise(text) for text in texts])
    _remembered.clear()  # one catalogue's at a time: a reloaded knowledge holds no stale texts
    _remembered.update(zip(texts, forms))


def strip_punctuation(text: str) -> str:
    """Replace punctuation runs with a single space."""
    return _PUNCTUATION.sub(" ", text).strip()


def is_blank(text: str) -> bool:
    """True when nothing but punctuation, symbols or emoji remains."""
    return not any(unicodedata.category(ch)[0] in "LN" for ch in text)
