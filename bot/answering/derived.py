"""Files derived from the knowledge and kept between runs (in A4P_CACHE_DIR).

Every CLI command, the health check and each server start load the knowledge; parsing its
YAML (≈10,000 nodes) took ~45 ms of each, more than the rest of `a4pbot health` besides
importing SQLAlchemy. The parsed form is kept per file content, so an edit is never missed.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


# Files derived from many texts (the cut texts, the postings, the bigram tables) are kept for
# at most this many: the knowledge's (~30,000 with users' phrasings, ~35,000 with the
# unanswerable questions `normalisation.remember` also keeps, and growing with each
# development set), not a synthetic catalogue's (the 100x benchmark's, over 100,000, would
# make every start read tens of megabytes).
KEPT_TEXTS_MAX = 60_000

# Versions of one derived file kept side by side, the most recently used, within this many
# bytes: the shipped knowledge's stay while edited copies' come and go (a maintainer trying
# an edit and undoing it; the tests' edited copies beside the shipped files, where each
# edit used to evict the shipped version and the next start parsed the 3.7 MB asked.yaml
# again, ~1 s). Two versions of the largest file (the bigram tables, 14 MB) fit; one
# version of everything is ~35 MB.
VERSIONS_BYTES_MAX = 32 * 2**20


def cache_dir() -> Path:
    """Where derived files (trimmed dictionary, jieba's cache, parsed YAML) live between runs."""
    configured = os.environ.get("A4P_CACHE_DIR")
    base = Path(configured) if configured else Path(
        os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "a4p-bot"
    directory = _writable(base)
    directory.mkdir(parents=True, exist_ok=True)  # cheap; it may have been removed since
    return directory


@lru_cache(maxsize=8)  # each knowledge file asks: probe a directory once per process
def _writable(base: Path) -> Path:
    """`base`, created, when this process may write there; else a directory in /tmp."""
    try:
        base.mkdir(parents=True, exist_ok=True)
        probe = base / ".write-test"
        probe.touch()
        probe.unlink()
        return base
    except OSError:
        fallback = Path(tempfile.gettempdir()) / "a4p-bot-cache"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def reused(folder: str, key: str, build: Callable[[], T], *,
           state: Callable[[T], Any] = lambda built: built,
           restored: Callable[[Any], T] = lambda state: state, kept: bool = True) -> T:
    """What `build` makes, read back from `folder` of the cache when it was kept under `key`
    before (`restored` of its `state`); else built, and kept unless `kept` is false (a
    synthetic catalogue's), beside the folder's most recently used files (`keep`)."""
    path = cache_dir() / folder / f"{key}.marshal"
    if kept and (data := load(path)) is not None:
        return restored(data)
    built = build()
    if kept:
        keep(path, state(built), stale="*.marshal")
    return built


def parsed(path: Path, parse: Callable[[str], Any], folder: str = "knowledge") -> Any:
    """`parse` of the file's text, read back from `folder` of the cache when the content is
    the same.

    Keyed by the content's hash (not the mtime: image layers keep whole seconds); data
    marshal cannot hold (a YAML date) is parsed each time. Raises what reading or `parse`
    raises (UnicodeDecodeError, the parser's errors)."""
    raw = path.read_bytes()
    digest = digest_of(raw)
    cached = cache_dir() / folder / f"{path.stem}-{digest}.marshal"
    if (data := load(cached)) is not None:
        return data
    data = parse(raw.decode("utf-8"))
    keep(cached, data, stale=f"{path.stem}-*.marshal")  # other versions of the file
    return data


def digest_of(*parts: bytes) -> str:
    """A cache key for these contents (a file's bytes and whatever else its result depends on)."""
    hashed = hashlib.sha256()
    for part in parts:
        hashed.update(len(part).to_bytes(8, "little"))
        hashed.update(part)
    return hashed.hexdigest()[:32]


def load(path: Path) -> Any:
    """What `keep` wrote at `path`; None when it is missing or unreadable. A file read is
    marked as used (its time): `keep` removes the versions used longest ago first."""
    try:
        data = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    try:
        os.utime(path)
    except OSError:  # a read-only cache: still read
        pass
    return data


def keep(path: Path, data: Any, *, stale: str) -> None:
    """Write `data` at `path` for `load`, beside the most recently used of the files
    matching `stale` (other versions) that fit in VERSIONS_BYTES_MAX with it. Atomic:
    readers never see half a file. Best effort: a read-only cache or data marshal cannot
    hold is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = marshal.dumps(data)
        room = VERSIONS_BYTES_MAX - len(written)
        for size, old in _older(path, stale):
            if size > room:
                old.unlink(missing_ok=True)
            else:
                room -= size
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        partial.write_bytes(written)
        os.replace(partial, path)
    except (OSError, ValueError):
        pass


def _older(path: Path, stale: str) -> list[tuple[int, Path]]:
    """The other files matching `stale` beside `path` with their sizes, the most recently
    used first (one another process removes meanwhile is left out)."""
    found: list[tuple[float, int, Path]] = []
    for other in path.parent.glob(stale):
        try:
            status = other.stat()
        except OSError:
            continue
        if other != path:
            found.append((status.st_mtime, status.st_size, other))
    return [(size, other) for _, size, other in sorted(found, reverse=True)]
