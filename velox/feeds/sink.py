"""Feed ticks -> engine prices (and raw trades -> the candle writer).

The reference price is the last trade price (SPEC section 2). Book-only ticks (bid/ask) set
it to the mid ``floor((bid + ask) / 2)`` only for a symbol that has never had a trade, so a
feed without trades still prices the engine, while a trading feed's bookTicker noise does
not override its trades. A book tick of a traded symbol still re-sends the last trade price
with its own receive time: the exchange is alive, so a quiet market (no trade for longer
than the max price age) must not make the price stale while the book keeps updating.
A trade older (by exchange time) than the last priced one, i.e. delivered out of order,
does not move the reference price; the trade writer still gets it (it deduplicates by id and
files late trades into the right candle). Exchange time rather than trade id, because ids
are per source: the auto feed's simulated ids mean nothing next to Binance's.
The time is the local receive time: staleness is measured from it.
"""

from __future__ import annotations

from typing import Protocol

from velox.engine.commands import PriceTick
from velox.feeds.base import FeedTick


class TickTarget(Protocol):
    def offer_tick(self, tick: PriceTick) -> None: ...


class TradeTarget(Protocol):
    def offer(self, tick: FeedTick) -> bool: ...


class FeedSink:
    def __init__(self, engine: TickTarget, trades: TradeTarget | None = None) -> None:
        self._engine = engine
        self._trades = trades
        self._last_trade: dict[str, int] = {}
        self._last_trade_ms: dict[str, int] = {}

    def reference(self, tick: FeedTick) -> int | None:
        last = self._last_trade.get(tick.symbol)
        if tick.trade_price is not None:
            if tick.exchange_ms is not None:
                newest = self._last_trade_ms.get(tick.symbol)
                if newest is not None and tick.exchange_ms < newest:
                    return last  # delivered late: keep the price, refresh its time
                self._last_trade_ms[tick.symbol] = tick.exchange_ms
            self._last_trade[tick.symbol] = tick.trade_price
            return tick.trade_price
        if last is not None:
            return last
        if tick.bid is None or tick.ask is None:
            return None
        return (tick.bid + tick.ask) // 2

    async def __call__(self, tick: FeedTick) -> None:
        if self._trades is not None:
            self._trades.offer(tick)
        price = self.reference(tick)
        if price is not None and price > 0:
            self._engine.offer_tick(PriceTick(tick.symbol, price, tick.received_ms))
