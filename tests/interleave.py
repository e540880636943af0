"""Slip one action in between another's checks and its write — the race a revocation runs.

`when_writing(store, step, meanwhile)` runs `step` in a thread. Just before that thread's
first write transaction sends its first statement (its early checks done, the writers' lock
not yet taken: SQLite's `BEGIN IMMEDIATE`, PostgreSQL's advisory lock), `meanwhile` runs here
to completion — say, an admin's /revoke — and only then may the write go on. A write that
trusted the early checks stores; one that checks inside refuses. The hook is SQLAlchemy's
public `before_cursor_execute` event on the store's engine: nothing of ours is patched.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection

from bot.storage.store import Store

T = TypeVar("T")
TIMEOUT = 30.0


def when_writing(store: Store, step: Callable[[], T], meanwhile: Callable[[], Any]) -> T:
    """`step()`'s result, with `meanwhile()` run just before `step`'s first write starts."""
    writing, went = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def on_statement(connection: Connection, *_statement: Any) -> None:
        readonly = connection.get_execution_options().get("readonly")
        if threading.current_thread() is worker and not readonly and not writing.is_set():
            writing.set()
            went.wait(TIMEOUT)

    def run() -> None:
        try:
            outcome["result"] = step()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            outcome["error"] = exc
        finally:
            writing.set()  # a step that never writes must not leave the test waiting

    worker = threading.Thread(target=run, name="step")
    event.listen(store.engine, "before_cursor_execute", on_statement)
    try:
        worker.start()
        assert writing.wait(TIMEOUT), "the step never began a write"
        try:
            meanwhile()
        finally:
            went.set()
        worker.join(TIMEOUT)
    finally:
        event.remove(store.engine, "before_cursor_execute", on_statement)
    assert not worker.is_alive(), "the step did not finish"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
