"""Run the real bot (`bot.transports.telegram.app.serve`) in a background thread against FakeTelegram.

Used by the Telegram tests and the Telegram benchmark: the Application is built by the
same wiring function production uses and served by the same `serve`, only without
signal handlers (they belong to the main thread).
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
import time
from typing import Any

from fake_telegram import Call, FakeTelegram, visible_text
from telegram.ext import Application

from bot.conversation.assistant import Assistant
from bot.transports.telegram.app import build_application, serve
from bot.settings import Settings

TOKEN = "123456789:AAH-fake-token-for-tests-0123456789abc"


def shown(call: Call) -> str:
    """What the user sees of a sent message (HTML parsed as Telegram parses it)."""
    return visible_text(call.params["text"], call.params.get("parse_mode"))


def answer(tg: FakeTelegram, text: str, **message: object) -> str:
    """Send one user message; what the bot's single reply shows."""
    before = len(tg.calls_to("sendMessage"))
    tg.message(text, **message)
    (call,) = tg.wait_for("sendMessage", before + 1)[before:]
    return shown(call)


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768 and up). A port the kernel hands out
    for bind(("", 0)) can go, before our server binds it, to a server the other test worker
    binds to port 0 — which then answers our requests (a 404 from the wrong server)."""
    while True:
        port = random.randint(20_000, 32_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def settings_for(tg: FakeTelegram, **extra: Any) -> Settings:
    return Settings(telegram_bot_token=tg.token, telegram_base_url=tg.base_url, **extra)


class RunningBot:
    """Context manager: the application polls (or serves a webhook) until the block ends."""

    def __init__(self, tg: FakeTelegram, assistant: Assistant, *, rate_limit: bool = False,
                 settings: dict[str, Any] | None = None, **serve_options: Any) -> None:
        self.tg = tg
        self.application: Application = build_application(settings_for(tg, **(settings or {})),
                                                          assistant, rate_limit=rate_limit)
        self.serve_options = serve_options
        self.webhook = "webhook_url" in serve_options
        self.stop = asyncio.Event()  # ends webhook mode (polling ends by stopping the loop)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self.failure: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            extra = {"stop": self.stop} if self.webhook else {"close_loop": False}
            serve(self.application, stop_signals=None, **extra, **self.serve_options)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.failure = exc

    def __enter__(self) -> RunningBot:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not (self.application.running and (self.webhook or self.application.updater.running)):
            if self.failure is not None or time.monotonic() > deadline:
                raise RuntimeError(f"bot did not start: {self.failure!r}")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.loop.call_soon_threadsafe(self.stop.set if self.webhook else self.loop.stop)
        self.thread.join(timeout=15)
        self.loop.close()
