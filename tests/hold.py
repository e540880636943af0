"""Holding a fake platform's calls: a Telegram or Slack slow to answer, so a crash test can
kill the bot while it is mid-request. One mechanism for both fakes, on the fake's own
condition variable (its lock guards the hold's state too)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Hold:
    def __init__(self, cond: threading.Condition, name: Callable[[str], str] = str) -> None:
        """`cond`: the fake server's condition; `name`: how a method name is compared
        (Telegram's are case-insensitive)."""
        self._cond = cond
        self._name = name
        self._methods: set[str] = set()  # methods whose calls wait
        self._holding = 0  # calls waiting now
        self._round = 0  # bumped by release(): tells waiting calls their fate
        self._deliver = True

    def hold(self, method: str) -> None:
        """Make calls of `method` wait, unanswered and unrecorded, until release()."""
        with self._cond:
            self._methods.add(self._name(method))

    def holds(self, method: str) -> bool:
        """(With the condition held.) Is `method` held?"""
        return self._name(method) in self._methods

    def wait_held(self, count: int, timeout: float = 5.0) -> None:
        """Block until `count` calls are waiting at the hold; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._holding < count:
                if (remaining := deadline - time.monotonic()) <= 0:
                    raise AssertionError(f"expected {count} held call(s), got {self._holding}")
                self._cond.wait(remaining)

    def release(self, *, deliver: bool = True) -> None:
        """Open the hold. With deliver=False the waiting calls never reached the platform
        (the bot that made them was killed): they are answered 503 and not recorded."""
        with self._cond:
            self._methods.clear()
            self._round += 1
            self._deliver = deliver
            self._cond.notify_all()

    def wait(self, stopped: Callable[[], bool]) -> bool:
        """(With the condition held.) Wait for release() or the server's stop; whether to
        deliver this call."""
        round_ = self._round
        self._holding += 1
        self._cond.notify_all()
        try:
            while self._round == round_ and not stopped():
                self._cond.wait(0.1)
        finally:
            self._holding -= 1
        return self._deliver and not stopped()


class HoldsCalls:
    """The fakes' public face of their `Hold` (tests call `fake.hold("sendMessage")`)."""

    holding: Hold

    def hold(self, method: str) -> None:
        """Make calls of `method` wait, unanswered and unrecorded, until release()."""
        self.holding.hold(method)

    def wait_held(self, count: int, timeout: float = 5.0) -> None:
        self.holding.wait_held(count, timeout)

    def release(self, *, deliver: bool = True) -> None:
        self.holding.release(deliver=deliver)
