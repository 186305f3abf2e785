"""Price conflation for the websocket: at most one price update per symbol per interval, sent
by a task of its own, never by the engine's.

The engine may quote thousands of ticks a second; a browser (or a bot on the public stream)
needs the latest price, not every superseded one, and sending each to thousands of sockets
would cost more than trading itself. The engine's listener only records the latest quote per
symbol (``offer``, O(1)). This task sends what is pending at once after a quiet interval
(leading edge), else when the interval since its last send ends (trailing edge), so the latest
price always arrives within ``interval_s``: every pending symbol together, one write per
socket, sockets in slices with a yield between so a tick waits for one slice at most.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from velox.engine.state import Quote

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Quote]], Awaitable[None]]


class PriceConflator:
    def __init__(self, send: Send, interval_s: float = 0.1) -> None:
        self._send = send
        self._interval = interval_s
        self._pending: dict[str, Quote] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.sent = 0  # flushes so far (each: every pending symbol, to every socket)

    def offer(self, symbol: str, quote: Quote) -> None:
        self._pending[symbol] = quote
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ws-prices")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        last_sent = -1e9
        while True:
            await self._wake.wait()
            wait = last_sent + self._interval - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)  # trailing edge: later quotes replace pending ones
            self._wake.clear()
            pending, self._pending = self._pending, {}
            if pending:
                last_sent = loop.time()
                self.sent += 1
                try:
                    await self._send(pending)
                except Exception:  # a bug here must not end the prices for good
                    log.exception("websocket price push failed")
            if not self._pending:
                self._idle.set()

    async def settled(self) -> None:
        """Wait until every offered price has been written (for tests)."""
        await self._idle.wait()

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._pending.clear()
        self._idle.set()
