"""A fake Slack Socket Mode endpoint: a WebSocket server on 127.0.0.1 that greets the client
with `hello`, pushes envelopes (slash commands, events, interactions) and records acks.

Pair it with FakeSlack: `fake.socket_url = socket.url`, so `apps.connections.open` sends
the real slack_sdk Socket Mode client here (slack_sdk uses plain sockets on ports ≠ 443).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from typing import Any

from websockets.asyncio.server import ServerConnection, serve


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self._connections: list[ServerConnection] = []
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-socket-mode")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def __enter__(self) -> FakeSocketMode:
        self._thread.start()
        self._started.wait(5)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._client, "127.0.0.1", 0) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._started.set()
            await self._stop.wait()

    async def _client(self, connection: ServerConnection) -> None:
        await connection.send(json.dumps({"type": "hello", "num_connections": 1,
                                          "connection_info": {"app_id": "A0FAKE"}}))
        with self._cond:
            self._connections.append(connection)
            self._cond.notify_all()
        async for message in connection:
            with self._cond:
                self.acks.append(json.loads(message))
                self._cond.notify_all()

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._connections, timeout):
                raise AssertionError("the Socket Mode client never connected")

    def push(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope (`slash_commands`, `events_api`, `interactive`); its id."""
        envelope_id = str(uuid.uuid4())
        message = json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              "accepts_response_payload": kind != "events_api",
                              "retry_attempt": 0, "retry_reason": ""})
        connection = self._connections[-1]
        asyncio.run_coroutine_threadsafe(connection.send(message), self._loop).result(5)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [a for a in self.acks if a.get("envelope_id") == envelope_id]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id}")
                self._cond.wait(left)
