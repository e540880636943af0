"""Webhook mode on our own small tornado server: `/telegram` for updates, `/healthz` for
load balancers, and a graceful stop.

python-telegram-bot's built-in webhook server serves one path only, so it cannot answer
health checks. This follows PTB's "custom webhook" pattern: verify the secret header, put
the update on `application.update_queue`, answer 200. With a store that queue is the
inbox (delivery.py): the update is written to the database before the 200, so a crash
loses nothing, and Telegram's redelivery of an update already there (or the same update
reaching a second replica) is not queued again; 503 when it cannot be written, so
Telegram retries. On SIGTERM the server stops accepting, in-flight updates finish
(`Application.stop` drains the queue), then the process exits.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot.web.logs import log_request

from .delivery import InboxUnavailable

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"


class TelegramUpdates(RequestHandler):
    def initialize(self, bot_application: Application, secret: str) -> None:
        self.bot_application, self.secret = bot_application, secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        update = _update(self.request.body, self.bot_application)
        if update is None:
            self.set_status(400)  # not an update (`null`, `[]`, a string …): refused, logged once
            log.warning("webhook: a request that is not a Telegram update was refused")
            return
        try:
            await self.bot_application.update_queue.put(update)  # the inbox, then the queue
        except InboxUnavailable:
            self.set_status(503)  # not kept: Telegram delivers it again later


def _update(body: bytes, application: Application) -> Update | None:
    """The update in a webhook body; None for anything else (even signed, it is not trusted)."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return None
        return Update.de_json(data, application.bot)
    except Exception:  # noqa: BLE001 - PTB's parsers raise many kinds on malformed fields
        return None


class Health(RequestHandler):
    def initialize(self, check: Callable[[], dict[str, Any]]) -> None:
        self.check = check

    async def get(self) -> None:
        report = await asyncio.to_thread(self.check)
        self.set_status(200 if report.get("ok") else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(report))


async def serve_webhook(application: Application, *, webhook_url: str, path: str, listen: str,
                        port: int, secret: str, health: Callable[[], dict[str, Any]],
                        stop: asyncio.Event | None = None, handle_signals: bool = True,
                        more: list[Any] | None = None) -> None:
    """Register the webhook with Telegram and serve until `stop` is set (or SIGTERM/SIGINT);
    `more` routes are served beside it (the dashboard under /dashboard)."""
    stop = stop or asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    web = WebApplication([
        (f"/{path}", TelegramUpdates, {"bot_application": application, "secret": secret}),
        (HEALTH_PATH, Health, {"check": health}),
        *(more or []),
    ], log_function=log_request)  # sign-in links under /dashboard are not logged whole
    async with application:  # initialize … shutdown
        if application.post_init is not None:
            await application.post_init(application)
        server = HTTPServer(web, xheaders=True)
        server.listen(port, listen)  # listening before Telegram learns the address
        await application.start()
        await application.bot.set_webhook(url=webhook_url, secret_token=secret,
                                          allowed_updates=Update.ALL_TYPES)
        log.info("webhook serving on %s:%d", listen, port)
        try:
            await stop.wait()
        finally:
            server.stop()  # no new connections; requests already read are being handled
            await server.close_all_connections()
            await application.stop()  # finishes the updates already queued
            log.info("webhook stopped")
