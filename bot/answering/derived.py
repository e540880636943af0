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
from typing import Any


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


def parsed(path: Path, parse: Callable[[str], Any]) -> Any:
    """`parse` of the file's text, read back from the cache when the content is the same.

    Keyed by the content's hash (not the mtime: image layers keep whole seconds); data
    marshal cannot hold (a YAML date) is parsed each time. Raises what reading or `parse`
    raises (UnicodeDecodeError, the parser's errors)."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:32]
    directory = cache_dir() / "knowledge"
    cached = directory / f"{path.stem}-{digest}.marshal"
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    data = parse(raw.decode("utf-8"))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"{path.stem}-*.marshal"):  # earlier versions of the file
            old.unlink(missing_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(data))
        os.replace(partial, cached)  # readers never see a half-written file
    except (OSError, ValueError):
        pass
    return data
