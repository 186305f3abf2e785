"""The 24-hour ticker streams: ``<sym>@ticker`` (``24hrTicker``), ``<sym>@miniTicker``
(``24hrMiniTicker``) and the market-wide arrays ``!ticker@arr`` / ``!miniTicker@arr``.

Each push carries what ``GET /fapi/v1/ticker/24hr`` would answer at that moment: the same
``velox.binance.day`` computation over the same hourly candles, with the last published
quote's reference price and the last trade's quantity. A symbol's price moving asks for a
push; pushes are conflated as Binance USDⓈ-M paces them (a symbol's streams every 2 s, the
arrays every 1 s, holding only the symbols that moved). Reading the candles is a store
query, so a push is a task, and at most one runs per symbol every 2 s whatever the tick rate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from velox.binance.day import Day, day_of, mini_ticker_event, ticker_event
from velox.binance.streams.conflate import Conflator
from velox.engine.state import Quote
from velox.web.keys import CandleQuery

log = logging.getLogger(__name__)

SYMBOL_EVERY_S = 2.0
MARKET_EVERY_S = 1.0
MARKET = "!"  # the conflation key of the arrays (no symbol is spelled so)
FULL, MINI = "!ticker@arr", "!miniTicker@arr"


class Outlet(Protocol):
    """Where the events go (``MarketStreams``): which streams have subscribers, and sending."""

    def wants(self, stream: str) -> bool: ...

    def send(self, stream: str, payload: Any) -> None: ...


class TickerStreams:
    def __init__(
        self,
        outlet: Outlet,
        quotes: Mapping[str, Quote],
        last_qty: Callable[[str], int],
        wall_ms: Callable[[], int],
    ) -> None:
        self._outlet = outlet
        self._quotes = quotes
        self._last_qty = last_qty
        self._wall_ms = wall_ms
        self._candles: CandleQuery | None = None
        self._moved: set[str] = set()  # symbols the next array push carries
        self._tasks: set[asyncio.Task[None]] = set()
        self._conflator: Conflator[str] = Conflator(
            lambda key: MARKET_EVERY_S if key == MARKET else SYMBOL_EVERY_S, self._flush
        )

    def attach(self, candles: CandleQuery) -> None:
        """The candle query ``ticker/24hr`` reads (known once the store and feed started)."""
        self._candles = candles

    def on_quote(self, symbol: str) -> None:
        if self._candles is None:
            return
        name = symbol.lower()
        if self._outlet.wants(f"{name}@ticker") or self._outlet.wants(f"{name}@miniTicker"):
            self._conflator.touch(symbol)
        if self._outlet.wants(FULL) or self._outlet.wants(MINI):
            self._moved.add(symbol)
            self._conflator.touch(MARKET)

    def _flush(self, key: str) -> None:
        if key == MARKET:
            symbols, self._moved = sorted(self._moved), set()
        else:
            symbols = [key]
        task = asyncio.create_task(self._push(key, symbols), name="binance-ticker-push")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _push(self, key: str, symbols: list[str]) -> None:
        try:
            now = self._wall_ms()
            days = [await self._day(symbol, now) for symbol in symbols]
        except Exception:
            log.exception("24hr ticker figures of %s failed", symbols)
            return
        send = self._outlet.send
        if key == MARKET:
            send(FULL, [ticker_event(d, now) for d in days])
            send(MINI, [mini_ticker_event(d, now) for d in days])
        else:
            name = key.lower()
            send(f"{name}@ticker", ticker_event(days[0], now))
            send(f"{name}@miniTicker", mini_ticker_event(days[0], now))

    async def _day(self, symbol: str, now: int) -> Day:
        assert self._candles is not None
        quote = self._quotes.get(symbol)
        price = quote.ref if quote is not None else None
        return await day_of(self._candles, symbol, price, self._last_qty(symbol), now)

    async def close(self) -> None:
        """Shutdown: no more pushes, and none left running on a closing store."""
        self._conflator.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
