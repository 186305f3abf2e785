"""Feed ticks -> engine prices (and raw trades -> the candle writer).

The reference price is the last trade price (SPEC section 2); a feed without trades uses the
book's mid ``floor((bid + ask) / 2)``. A book tick (bid/ask) of a traded symbol re-sends the
last trade price while the book still holds it (``bid <= last <= ask``): the exchange is
alive, so a quiet market (no trade for longer than the max price age) must not make the price
stale while the book keeps updating, and a trading feed's bookTicker noise does not override
its trades. Once the book has moved away from the last trade (trades stopped, or lost, while
the market moved), that trade is no price anyone could deal at: the book's mid is the
reference until the next trade.

Order comes from the exchange's own ids, never from a clock: within one source a trade whose
id is not above the last priced trade's, or a book update whose ``update_id`` is not above the
last one's, arrived late (or twice) and does not reach the engine. Times cannot order ticks:
the local wall clock can be stepped, and the simulator's clock and Binance's are two clocks.
Ids are per source and per connection, so a change of source (the auto feed leaving the
simulator for Binance) or a new connection starts the symbol afresh, last trade price
included: one absurd id, or an exchange that restarts its ids, cannot hold a symbol's price
for longer than the connection (the feed's stall detector ends a connection whose ticks all
come back refused). Late ticks are counted and logged, at most once per 10 s. The trade
writer gets every trade (it deduplicates by id and files late trades into the right candle).

Prices reach the engine stamped with engine time (``Clock.now_ms``) as they pass here, the
same clock the engine service stamps commands with: a price's age is measured on one
monotonic clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from velox.clock import SYSTEM_CLOCK, Clock
from velox.engine.commands import PriceTick
from velox.feeds.base import FeedTick
from velox.feeds.ratelog import RateLimitedLog

log = logging.getLogger(__name__)


class TickTarget(Protocol):
    def offer_tick(self, tick: PriceTick) -> None: ...


class TradeTarget(Protocol):
    def offer(self, tick: FeedTick) -> bool: ...


@dataclass(slots=True)
class _SymbolState:
    """What one connection of one source has told us about one symbol so far."""

    source: str
    connection: int
    trade_id: int | None = None
    update_id: int | None = None
    trade_price: int | None = None


class FeedSink:
    """``FeedSink(engine, trades, clock=...)``: the feed's sink, ``await sink(tick)``."""

    def __init__(
        self, engine: TickTarget, trades: TradeTarget | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self._engine = engine
        self._trades = trades
        self._clock = clock
        self._symbols: dict[str, _SymbolState] = {}
        self.late = 0  # ticks kept from the engine because they arrived out of order
        self._late_log = RateLimitedLog(log)

    def reference(self, tick: FeedTick) -> int | None:
        """The reference price this tick gives its symbol, or None (late, or no price)."""
        state = self._symbols.get(tick.symbol)
        if state is None or (state.source, state.connection) != (tick.source, tick.connection):
            state = self._symbols[tick.symbol] = _SymbolState(tick.source, tick.connection)
        if not _in_order(state, tick):
            self.late += 1
            self._late_log(
                "%s: dropped a late %s tick (id %s, last %s); %d late in all",
                tick.symbol, tick.source, *_ids(tick, state), self.late,
            )  # fmt: skip
            return None
        if tick.trade_price is not None:
            state.trade_price = tick.trade_price
            return tick.trade_price
        if tick.bid is None or tick.ask is None:
            return state.trade_price
        if state.trade_price is not None and tick.bid <= state.trade_price <= tick.ask:
            return state.trade_price
        return (tick.bid + tick.ask) // 2

    async def __call__(self, tick: FeedTick) -> bool:
        """Deliver one tick; True when it priced the engine (only those make a feed fresh)."""
        if self._trades is not None:
            self._trades.offer(tick)
        price = self.reference(tick)
        if price is None or price <= 0:
            return False
        self._engine.offer_tick(PriceTick(tick.symbol, price, self._clock.now_ms()))
        return True


def _in_order(state: _SymbolState, tick: FeedTick) -> bool:
    """Advance the symbol's ids; False when the tick's id is not newer. A tick that carries a
    trade is ordered by its trade id, a book update by its update id; one without either
    (a feed that has no ids) cannot be judged and is taken."""
    if tick.trade_id is not None:
        if state.trade_id is not None and tick.trade_id <= state.trade_id:
            return False
        state.trade_id = tick.trade_id
    elif tick.update_id is not None:
        if state.update_id is not None and tick.update_id <= state.update_id:
            return False
        state.update_id = tick.update_id
    return True


def _ids(tick: FeedTick, state: _SymbolState) -> tuple[int | None, int | None]:
    """The tick's ordering id and the one it was compared with (for the log)."""
    if tick.trade_id is not None:
        return tick.trade_id, state.trade_id
    return tick.update_id, state.update_id
