"""python-telegram-bot's HTTP requests over aiohttp instead of httpx.

Profiling the bot under load (benchmarks/telegram_pipeline.py) put ~40 % of its CPU in the
httpx/httpcore stack; aiohttp parses HTTP in C. PTB supports exactly this through its
`BaseRequest` interface, so nothing else changes: same bot methods, same errors.
"""

from __future__ import annotations

import asyncio

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession` with a bounded connection pool."""

    def __init__(self, connection_pool_size: int = 8, read_timeout: float = 5.0,
                 connect_timeout: float = 5.0, pool_timeout: float = 1.0) -> None:
        # The defaults are HTTPXRequest's; getUpdates adds its long-poll time to read_timeout.
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector,
                                                  headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: float | None | DefaultValue = BaseRequest.DEFAULT_NONE,
                         write_timeout: float | None | DefaultValue = BaseRequest.DEFAULT_NONE,
                         connect_timeout: float | None | DefaultValue = BaseRequest.DEFAULT_NONE,
                         pool_timeout: float | None | DefaultValue = BaseRequest.DEFAULT_NONE,
                         ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (self._connect_timeout if isinstance(connect_timeout, DefaultValue)
                   else connect_timeout)
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        # `connect` bounds waiting for a pooled connection as well as opening one.
        timeout = aiohttp.ClientTimeout(connect=(pool or 0) + (connect or 0) or None,
                                        sock_connect=connect, sock_read=read)
        try:
            async with self._session.request(method, url, data=_body(request_data),
                                             timeout=timeout) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """Form fields as PTB encodes them; multipart when files are attached."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
