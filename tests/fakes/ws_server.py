"""A tiny aiohttp websocket server base for fake exchanges (127.0.0.1, port 0).

Each fake keeps its connections, records the pongs it gets (to check they echo the ping
payload), can drop everyone, stall (keep sockets open, send nothing) and ping on a timer.
Other suites (web, end-to-end) import the concrete fakes, so the API is small and async.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from aiohttp import WSCloseCode, WSMsgType, web


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    streams: set[str] = field(default_factory=set)


class FakeWsServer:
    """Subclasses set ``path`` and may override ``on_connect`` / ``on_text``."""

    path = "/"

    def __init__(
        self, *, ping_interval_s: float | None = None, ping_payload: bytes = b"ka"
    ) -> None:
        self.ping_interval_s = ping_interval_s
        self.ping_payload = ping_payload
        self.connections: list[Connection] = []
        self.connect_count = 0
        self.pongs: list[bytes] = []
        self.received: list[object] = []
        self.stalled = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        """Listen on a free loopback port; returns the base URL (``ws://127.0.0.1:PORT``)."""
        app = web.Application()
        app.router.add_get(self.path, self._handler)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"ws://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        await self.drop_all(abrupt=False)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- test controls ---------------------------------------------------------------------
    async def drop_all(self, abrupt: bool = True) -> None:
        """Disconnect everyone: ``abrupt`` kills the TCP socket, else a close frame (1001)."""
        for conn in list(self.connections):
            if abrupt and conn.request.transport is not None:
                conn.request.transport.abort()
            else:
                await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"bye")

    def stall(self, on: bool = True) -> None:
        """While stalled, pushes are swallowed: sockets stay open and silent."""
        self.stalled = on

    async def ping(self, payload: bytes | None = None) -> None:
        for conn in list(self.connections):
            await conn.ws.ping(self.ping_payload if payload is None else payload)

    async def send_raw(self, text: str) -> int:
        """Send any text frame to every connection (for malformed-message tests)."""
        return await self._send(lambda conn: True, text)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.002)

    async def wait_connections(self, total: int, timeout: float = 5.0) -> None:
        """Until ``total`` connections were ever made and one is open."""
        await self.wait_for(lambda: self.connect_count >= total and bool(self.connections), timeout)

    # -- hooks -----------------------------------------------------------------------------
    def on_connect(self, conn: Connection) -> None:
        return None

    async def on_text(self, conn: Connection, message: object) -> None:
        return None

    # -- internals -------------------------------------------------------------------------
    async def _send(self, wanted: Callable[[Connection], bool], text: str) -> int:
        if self.stalled:
            return 0
        sent = 0
        for conn in list(self.connections):
            if wanted(conn) and not conn.ws.closed:
                with contextlib.suppress(ConnectionError):
                    await conn.ws.send_str(text)
                    sent += 1
        return sent

    async def _handler(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False)
        conn = Connection(ws, request)
        self.on_connect(conn)
        await ws.prepare(request)
        self.connect_count += 1
        self.connections.append(conn)
        pinger = asyncio.create_task(self._pinger(ws)) if self.ping_interval_s else None
        try:
            async for msg in ws:
                if msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    self.pongs.append(bytes(msg.data))
                elif msg.type is WSMsgType.TEXT:
                    decoded = orjson.loads(msg.data)
                    self.received.append(decoded)
                    await self.on_text(conn, decoded)
        finally:
            self.connections.remove(conn)
            if pinger is not None:
                pinger.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pinger
        return ws

    async def _pinger(self, ws: web.WebSocketResponse) -> None:
        assert self.ping_interval_s is not None
        with contextlib.suppress(ConnectionError):
            while not ws.closed:
                await asyncio.sleep(self.ping_interval_s)
                await ws.ping(self.ping_payload)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
