"""Throughput and latency of the whole Telegram pipeline against the fake Bot API server.

    python benchmarks/telegram_pipeline.py [--users 20] [--questions 20]
    python benchmarks/telegram_pipeline.py --rate 300 [--seconds 5]

N simulated users each ask M questions from tests/data/questions.yaml, one at a time
(the next question once the reply arrived — how people chat). The real Application,
built and served by the production wiring, runs in its own process (as in production,
where Telegram is another machine: sharing one interpreter lock with the fake server and
the simulated users made the bot wait for them) and long-polls the fake server on
127.0.0.1. Latency is measured from the update being queued on the server (a waiting
long poll returns at once) to the bot's sendMessage reaching it. The flood-control rate
limiter is off: it holds the bot to Telegram's 30 messages/s by design, and this
measures what the bot itself can carry.

With no think time the loop keeps every user waiting, so the bot is saturated and the
mean latency is users / throughput (Little's law); the bot's CPU time per message, also
printed, is the number that does not depend on that.

`--rate R` is the open-loop check of the target (≥ 300 messages/s with p99 ≤ 50 ms):
messages arrive at R per second from many users regardless of replies, as a busy bot's
traffic does, and latency is measured per message.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fake_telegram import FakeTelegram  # noqa: E402
from running_bot import TOKEN  # noqa: E402

FIRST_USER = 500_000


class CountingTelegram(FakeTelegram):
    """The fake server, signalling each chat's simulated user when a reply arrives."""

    def __init__(self, users: int) -> None:
        super().__init__(token=TOKEN)
        self.replied = {FIRST_USER + n: threading.Semaphore(0) for n in range(users)}
        self.asked: dict[int, deque[float]] = {chat: deque() for chat in self.replied}
        self.open_loop: list[float] = []  # latencies of messages sent by `offer`

    def offer(self, question: str, user_id: int) -> None:
        """Queue a message without waiting for the reply (open loop)."""
        self.asked[user_id].append(time.perf_counter())
        self.message(question, user_id=user_id)

    def _api_sendMessage(self, params: dict) -> dict:
        message = super()._api_sendMessage(params)
        chat = int(params["chat_id"])
        if self.asked.get(chat):
            self.open_loop.append(time.perf_counter() - self.asked[chat].popleft())
        if (signal := self.replied.get(chat)) is not None:
            signal.release()
        return message


def _user(tg: CountingTelegram, user_id: int, questions: list[str], latencies: list[float]) -> None:
    for question in questions:
        start = time.perf_counter()
        tg.message(question, user_id=user_id)
        if not tg.replied[user_id].acquire(timeout=30):
            raise RuntimeError(f"no reply within 30 s to user {user_id}")
        latencies.append(time.perf_counter() - start)


def _open_loop(tg: CountingTelegram, pool: list[str], users: int, rate: float,
               seconds: float) -> tuple[float, list[float]]:
    """Offer `rate` messages/s for `seconds`; (elapsed until the last reply, latencies)."""
    total = int(rate * seconds)
    start = time.perf_counter()
    for n in range(total):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        tg.offer(pool[n % len(pool)], FIRST_USER + n % users)
    deadline = time.perf_counter() + 30
    while len(tg.open_loop) < total and time.perf_counter() < deadline:
        time.sleep(0.005)
    if len(tg.open_loop) < total:
        raise RuntimeError(f"only {len(tg.open_loop)} of {total} replies within 30 s")
    return time.perf_counter() - start, tg.open_loop


def serve_bot(base_url: str) -> None:
    """The bot process: production wiring against the fake server, until SIGTERM."""
    import tempfile

    from bot.conversation.assistant import Assistant
    from bot.transports.telegram.app import build_application, serve
    from bot.settings import Settings
    from bot.storage.store import Store

    # As in production, with the progress store (SQLite): each question checks for a draft.
    store = Store.open(f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    assistant = Assistant.load().with_store(store)
    assistant.ask("预热")  # load jieba before the first update
    settings = Settings(telegram_bot_token=TOKEN, telegram_base_url=base_url)
    application = build_application(settings, assistant, rate_limit=False)
    if os.environ.get("A4P_PROFILE"):  # where the bot's CPU goes: A4P_PROFILE=out.prof
        import cProfile
        cProfile.runctx("serve(application)", globals(), locals(), os.environ["A4P_PROFILE"])
        return
    serve(application)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--rate", type=float, help="open loop: messages offered per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="open loop: how long")
    parser.add_argument("--serve-bot", metavar="BASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bot:
        serve_bot(args.serve_bot)
        return
    items = yaml.safe_load((ROOT / "tests/data/questions.yaml").read_text(encoding="utf-8"))
    pool = [item["q"] for item in items]

    with CountingTelegram(args.users) as tg:
        bot = subprocess.Popen([sys.executable, __file__, "--serve-bot", tg.base_url])
        try:
            tg.wait_for("getUpdates", timeout=60)
            _user(tg, FIRST_USER, pool[:5], [])  # warm-up round trip
            if args.rate:
                cpu_before = _cpu_seconds(bot.pid)
                elapsed, latencies = _open_loop(tg, pool, args.users, args.rate, args.seconds)
                cpu_after = _cpu_seconds(bot.pid)
                _report(f"open loop: {args.rate:.0f} messages/s offered for {args.seconds:.0f} s",
                        latencies, elapsed, cpu_before, cpu_after)
                return
            latencies = []
            threads = [threading.Thread(target=_user, args=(
                tg, FIRST_USER + n,
                [pool[(n * args.questions + k) % len(pool)] for k in range(args.questions)],
                latencies)) for n in range(args.users)]
            cpu_before = _cpu_seconds(bot.pid)
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            cpu_after = _cpu_seconds(bot.pid)
        finally:
            bot.terminate()  # PTB stops polling and shuts down on SIGTERM
            try:
                bot.wait(timeout=15)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()

    _report(f"closed loop: {args.users} users x {args.questions} questions", latencies, elapsed,
            cpu_before, cpu_after)


def _report(title: str, latencies: list[float], elapsed: float, cpu_before: float | None,
            cpu_after: float | None) -> None:
    total = len(latencies)
    ms = sorted(x * 1000 for x in latencies)
    print(f"telegram pipeline, {title} = {total} messages")
    print(f"  throughput: {total / elapsed:.0f} messages/s ({elapsed:.2f} s)")
    print(f"  latency: p50 {statistics.median(ms):.1f} ms, "
          f"p99 {ms[min(len(ms) - 1, int(len(ms) * 0.99))]:.1f} ms, max {ms[-1]:.1f} ms")
    if cpu_before is not None and cpu_after is not None:
        busy = (cpu_after - cpu_before) / elapsed
        print(f"  bot process: {(cpu_after - cpu_before) / total * 1000:.2f} ms CPU per message, "
              f"{busy:.0%} of one core")


if __name__ == "__main__":
    main()
