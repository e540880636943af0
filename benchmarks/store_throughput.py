"""Sustained progress submissions per second, SQLite and PostgreSQL.

Each submission goes through the core exactly as a chat `/update C12 进行中 …` does (role
check, near-duplicate search, idempotency key, one transaction with its hash-chained
audit entry), from several threads at once, like concurrent PTB handlers.

    python benchmarks/store_throughput.py [--threads 4] [--per-thread 250]
    TEST_DATABASE_URL=postgresql+psycopg://… to choose the PostgreSQL server
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.conversation.identity import Sender
from bot.conversation.assistant import Assistant
from bot.storage.store import Store, first_broken

PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def run(url: str, assistant: Assistant, threads: int, per_thread: int) -> dict[str, float]:
    store = Store.open(url)
    senders = [Sender("telegram", str(9000 + n), f"FP{n}") for n in range(threads)]
    desk = assistant.with_store(store, frozenset(s.key for s in senders))
    latencies: list[float] = []
    lock = threading.Lock()

    def submit(sender: Sender) -> None:
        mine = []
        for i in range(per_thread):
            started = time.perf_counter()
            # Distinct texts: near-duplicates would (rightly) stop to ask instead of storing.
            note = hashlib.sha256(f"{sender.id}:{i}".encode()).hexdigest()[:24]
            reply = desk.respond(f"/update C{i % 45 + 1} 进行中 报告 {note}", None, sender,
                                 f"bench:{sender.id}:{i}")
            mine.append(time.perf_counter() - started)
            assert reply.heading and reply.heading.startswith("已记录"), reply.heading
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=submit, args=(s,)) for s in senders]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    total = threads * per_thread
    assert len(store.list_updates()) == total and first_broken(store.audit_entries()) is None
    store.close()
    latencies.sort()
    return {"per_second": total / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "total": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--per-thread", type=int, default=250)
    args = parser.parse_args()
    assistant = Assistant.load()
    targets = {"sqlite": f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"}
    schema = f"bench_{os.getpid()}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        targets["postgresql"] = f"{PG_URL}?options=-csearch_path%3D{schema}"
    except Exception as exc:  # noqa: BLE001 - no server: report and measure SQLite only
        print(f"postgresql: skipped ({type(exc).__name__}: server not reachable at {PG_URL})")
    try:
        for name, url in targets.items():
            result = run(url, assistant, args.threads, args.per_thread)
            print(f"{name:10s} {result['total']} submissions, {args.threads} threads: "
                  f"{result['per_second']:.0f}/s, p50 {result['p50_ms']:.1f} ms, "
                  f"p99 {result['p99_ms']:.1f} ms")
    finally:
        if "postgresql" in targets:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


if __name__ == "__main__":
    main()
