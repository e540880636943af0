"""Telegram updates through the inbox (bot/storage/inbox.py): kept before Telegram forgets them,
marked done once answered, answered after a crash.

Three hooks into python-telegram-bot, all public extension points:

- `KeepingRequest`, the getUpdates request: a fetched batch is written to the inbox (one
  transaction, the raw JSON) before PTB's Updater sees it, so before the offset that its
  next `getUpdates` confirms can advance.
- `InboxQueue`, the Application's `update_queue`: it queues only the updates that are
  new to the inbox, so a redelivery is not answered twice. Our webhook handler puts each
  update here before answering 200, and `put` writes it to the inbox first.
- `InboxProcessor`, the Application's update processor. It runs the handlers (and the
  error handler, which tells the user when a handler failed), then marks the update done.

At start, `replay` queues what the last run left pending, oldest first, ahead of
anything new.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Bot, Update
from telegram.error import NetworkError
from telegram.ext import SimpleUpdateProcessor
from telegram.request import RequestData

from bot.storage.inbox import Inbox, InboxError
from .request import AiohttpRequest

log = logging.getLogger(__name__)
PLATFORM = "telegram"


class InboxUnavailable(NetworkError):
    """The update could not be kept: do not acknowledge it. A NetworkError, so PTB's polling
    loop retries the same `getUpdates` offset later; the webhook answers 503."""


def update_key(bot_id: str, update: Update) -> str:
    """Update ids are per bot: a new token's ids must not meet the old one's."""
    return f"{bot_id}:{update.update_id}"


class InboxQueue(asyncio.Queue):
    """The update queue, writing each new update to the inbox before queueing it."""

    def __init__(self, inbox: Inbox, bot_id: str) -> None:
        super().__init__()
        self.inbox, self.bot_id = inbox, bot_id
        self._bot: Bot | None = None  # set by replay(); None: nothing to replay (yet)
        self._replayed = False
        self._kept: dict[str, bool] = {}  # key -> new?, for updates kept by `keep`

    async def keep(self, batch: list[dict]) -> None:
        """Write a fetched batch (raw updates) to the inbox in one transaction, before PTB
        sees it, so before its offset can be confirmed (`KeepingRequest`)."""
        items = [(f"{self.bot_id}:{raw.get('update_id')}", json.dumps(raw, ensure_ascii=False))
                 for raw in batch]
        try:
            await self._replay_if_needed()
            new = await asyncio.to_thread(self.inbox.receive_many, PLATFORM, items)
        except InboxError as exc:
            raise InboxUnavailable(f"inbox unavailable: {exc}") from exc
        self._kept.update((key, key in new) for key, _ in items)

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            key = update_key(self.bot_id, item)
            new = self._kept.pop(key, None)
            if new is None:  # not fetched by polling: a webhook update, kept now
                try:
                    await self._replay_if_needed()
                    new = await asyncio.to_thread(self.inbox.receive, PLATFORM, key,
                                                  item.to_json())
                except InboxError as exc:
                    raise InboxUnavailable(f"inbox unavailable: {exc}") from exc
            if not new:
                log.debug("update %s again: answered, or being answered", item.update_id)
                return
        await super().put(item)

    async def _replay_if_needed(self) -> None:
        if not self._replayed and self._bot is not None:
            await self._replay(self._bot)  # the database was down at start

    async def replay(self, bot: Bot) -> None:
        """Queue the updates a crash left unanswered, ahead of new ones (call before
        serving). If the database does not answer, the first update received retries."""
        self._bot = bot
        try:
            await self._replay(bot)
        except InboxError as exc:
            log.error("unanswered updates not read (will retry): %s", exc)

    async def _replay(self, bot: Bot) -> None:
        pending = await asyncio.to_thread(self.inbox.pending, PLATFORM)
        for entry in pending:
            await super().put(Update.de_json(json.loads(entry.payload), bot))
        self._replayed = True
        if pending:
            log.warning("answering %d update(s) the last run left unanswered", len(pending))


class KeepingRequest(AiohttpRequest):
    """The getUpdates request: each batch is in the inbox before PTB's Updater gets it."""

    def __init__(self, queue: InboxQueue) -> None:
        super().__init__(connection_pool_size=1)
        self.queue = queue

    # PTB marks `post` final; it is the one place a fetched batch passes before the Updater
    # can confirm its offset, so it is overridden on purpose (same behaviour, plus the inbox)
    async def post(  # type: ignore[misc, override]
            self, url: str, request_data: RequestData | None = None,
            **timeouts: Any) -> dict[str, Any] | list[dict[str, Any]] | bool:
        result = await super().post(url, request_data, **timeouts)
        if url.endswith("/getUpdates") and isinstance(result, list) and result:
            await self.queue.keep(result)
        return result


class InboxProcessor(SimpleUpdateProcessor):
    """Runs each update's handlers, then marks it done in the inbox."""

    def __init__(self, inbox: Inbox, bot_id: str, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.inbox, self.bot_id = inbox, bot_id

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        # PTB's process_update catches a handler's exception and awaits the error handler,
        # which replies "sorry": a failed update is answered too, and done (no retry loop).
        await coroutine
        if isinstance(update, Update):
            try:
                await asyncio.to_thread(self.inbox.mark_done, PLATFORM,
                                        update_key(self.bot_id, update))
            except InboxError as exc:  # answered; the next start may answer it again
                log.warning("update %s answered but not marked: %s", update.update_id, exc)
