"""The bot's serving function in a forked child process, to kill -9 it.

`a4pbot run` spends most of its ~4 s start loading the knowledge; a child forked from the
test process, which has loaded it once, starts serving in a fraction of a second and runs
the same production function (`bot.transports.telegram.app.run`, `bot.transports.slack.app.serve`) in a process
of its own that SIGKILL ends with no cleanup of any kind. The CLI's own start and
SIGTERM paths are tested with real `a4pbot` subprocesses (test_shutdown.py, test_webhook.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import Callable


class Forked:
    """`target` in a forked child: start, kill -9, or stop with SIGTERM."""

    def __init__(self, target: Callable[[], None]) -> None:
        self.target = target
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("fork")
        self.process = context.Process(target=self._run, name="bot", daemon=True)
        self.process.start()

    def _run(self) -> None:
        # A fresh event loop and default signal dispositions: nothing of the test process's.
        asyncio.set_event_loop(asyncio.new_event_loop())
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        self.target()

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(timeout=10)
        assert self.process.exitcode == -signal.SIGKILL

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, as a container stop sends; the exit code."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGTERM)
        self.process.join(timeout=timeout)
        return self.process.exitcode

    def close(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=10)
