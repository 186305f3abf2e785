"""Taps on the market data as it is made: every raw trade and every changed candle.

The trade writer builds candles from the feed's trades; other parts want both as they
happen, in the same order: the Binance-compatible streams (``<sym>@trade``, ``@aggTrade``,
``@kline_<interval>``) and, in the engine role, the bus that carries them to every gateway,
whose own streams then show exactly what a single process shows.
"""

from __future__ import annotations

from typing import Protocol

from velox.feeds.base import FeedTick
from velox.feeds.sink import TradeTarget
from velox.frozen import frozen
from velox.store.records import CandleRecord


class MarketTap(Protocol):
    def on_trade(self, tick: FeedTick) -> None:
        """A tick on its way to the trade writer (it may carry no trade: check)."""

    def on_candle(self, candle: CandleRecord) -> None:
        """A candle the trade writer changed."""

    def on_history(self, symbol: str, duration: str) -> None:
        """The trade writer wrote history of this series (it may lie behind its newest)."""


@frozen
class TappedTrades:
    """``target`` (the trade writer) with every tick shown to the taps first."""

    target: TradeTarget
    taps: tuple[MarketTap, ...]

    def offer(self, tick: FeedTick) -> bool:
        for tap in self.taps:
            tap.on_trade(tick)
        return self.target.offer(tick)
