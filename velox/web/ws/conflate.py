"""Price conflation for the websocket: at most one price per symbol per interval.

The engine may quote thousands of ticks a second; a browser (or a bot on the public
stream) needs the latest price, not every superseded one, and sending each to hundreds of
sockets would cost more than trading itself. The first price after a quiet interval goes
out at once (leading edge); prices within the interval collapse into one sent when it
ends (trailing edge), so the latest price always arrives within ``interval_s``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from velox.engine.state import Quote

Send = Callable[[str, Quote], None]


class PriceConflator:
    def __init__(self, send: Send, interval_s: float = 0.1) -> None:
        self._send = send
        self._interval = interval_s
        self._last_sent: dict[str, float] = {}
        self._pending: dict[str, Quote] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def offer(self, symbol: str, quote: Quote) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if symbol in self._timers:
            self._pending[symbol] = quote  # a flush is already scheduled: replace
            return
        wait = self._last_sent.get(symbol, -1e9) + self._interval - now
        if wait <= 0:
            self._emit(symbol, quote, now)
        else:
            self._pending[symbol] = quote
            self._timers[symbol] = loop.call_later(wait, self._flush, symbol)

    def _flush(self, symbol: str) -> None:
        self._timers.pop(symbol, None)
        quote = self._pending.pop(symbol, None)
        if quote is not None:
            self._emit(symbol, quote, asyncio.get_running_loop().time())

    def _emit(self, symbol: str, quote: Quote, now: float) -> None:
        self._last_sent[symbol] = now
        self._send(symbol, quote)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._pending.clear()
