"""FeedSink: reference prices, order by the exchange's ids within a source, engine-time stamps."""

from __future__ import annotations

import logging

import pytest

from velox.clock import ManualClock
from velox.engine.commands import PriceTick
from velox.feeds.base import FeedTick
from velox.feeds.sink import FeedSink

T0 = 1_736_812_800_000


class Recorder:
    def __init__(self) -> None:
        self.ticks: list[PriceTick] = []
        self.trades: list[FeedTick] = []

    def offer_tick(self, tick: PriceTick) -> None:
        self.ticks.append(tick)

    def offer(self, tick: FeedTick) -> bool:
        self.trades.append(tick)
        return True


def trade(symbol: str, price: int, tid: int, exchange_ms: int, source: str = "binance") -> FeedTick:
    return FeedTick(symbol, 0, price, 1, tid, exchange_ms, source=source)


def book(symbol: str, bid: int, ask: int, uid: int | None, source: str = "binance") -> FeedTick:
    return FeedTick(symbol, 0, bid=bid, ask=ask, update_id=uid, source=source)


async def test_reference_prices_stamped_with_engine_time() -> None:
    rec, clock = Recorder(), ManualClock(T0)
    sink = FeedSink(rec, rec, clock=clock)
    await sink(FeedTick("ETHUSDT", 1, bid=2999, ask=3002))  # no trades yet: the mid, floored
    clock.advance(5)
    await sink(FeedTick("BTCUSDT", 2, trade_price=100, trade_qty=1, trade_id=1))
    clock.advance(5)
    # a traded symbol ignores the book's prices, but its tick keeps the last trade fresh
    await sink(FeedTick("BTCUSDT", 3, bid=95, ask=105))
    await sink(FeedTick("ETHUSDT", 4, bid=0, ask=0))  # nonsense is not a price
    assert rec.ticks == [
        PriceTick("ETHUSDT", 3000, T0),
        PriceTick("BTCUSDT", 100, T0 + 5),
        PriceTick("BTCUSDT", 100, T0 + 10),
    ]  # the sink's clock, not the feed's received_ms
    assert len(rec.trades) == 4  # the writer decides what is a trade


async def test_trades_are_ordered_by_trade_id_not_by_time() -> None:
    """Regression: the exchange time used to order trades, so a newer trade stamped with an
    older time (another clock, or a stepped one) was taken for a late one."""
    rec, clock = Recorder(), ManualClock(T0)
    sink = FeedSink(rec, rec, clock=clock)
    await sink(trade("SOLUSDT", 150, 9, exchange_ms=T0))
    await sink(trade("SOLUSDT", 140, 8, exchange_ms=T0 + 1))  # later time, older id: late
    await sink(trade("SOLUSDT", 75, 10, exchange_ms=T0 - 60_000))  # newer id, older time
    await sink(trade("SOLUSDT", 76, 10, exchange_ms=T0 + 2))  # the same id again
    assert rec.ticks == [PriceTick("SOLUSDT", 150, T0), PriceTick("SOLUSDT", 75, T0)]
    assert [t.trade_id for t in rec.trades] == [9, 8, 10, 10]  # the writer gets every trade
    assert sink.late == 2


async def test_book_updates_are_ordered_by_update_id() -> None:
    rec = Recorder()
    sink = FeedSink(rec, clock=ManualClock(T0))
    await sink(book("ETHUSDT", 3000, 3002, uid=50))
    await sink(book("ETHUSDT", 2000, 2002, uid=49))  # late: dropped, no refresh either
    await sink(book("ETHUSDT", 2000, 2002, uid=50))  # repeated
    await sink(book("ETHUSDT", 3100, 3102, uid=51))
    await sink(book("ETHUSDT", 3200, 3202, uid=None))  # no id: cannot be judged, taken
    assert [t.price for t in rec.ticks] == [3001, 3101, 3201]


async def test_a_change_of_source_starts_the_symbol_afresh() -> None:
    """The auto feed leaves the simulator (ids near 1.7e15, local times) for Binance (ids
    near 5e9, exchange times): Binance's first book update prices by its own mid, not the
    simulated trade, and its first trade is not 'older' than the simulator's."""
    rec = Recorder()
    sink = FeedSink(rec, clock=ManualClock(T0))
    await sink(trade("BTCUSDT", 95_000, 1_736_812_800_000_001, T0, source="sim"))
    await sink(book("BTCUSDT", 50_000, 50_002, uid=7))
    await sink(trade("BTCUSDT", 50_010, 4_400_000_000, T0 - 5_000))
    await sink(trade("BTCUSDT", 50_005, 4_399_999_999, T0 - 4_000))  # late within Binance
    await sink(trade("BTCUSDT", 50_020, 4_400_000_001, T0 - 4_000))
    assert [t.price for t in rec.ticks] == [95_000, 50_001, 50_010, 50_020]


async def test_a_new_connection_starts_the_symbol_afresh() -> None:
    """Regression: the last trade id was a high-water mark per source, never reset: one trade
    with id 9e18 (or an exchange that restarts its ids) made every later trade late for ever,
    reconnects included, and the symbol's price froze."""
    rec = Recorder()
    sink = FeedSink(rec, clock=ManualClock(T0))
    assert await sink(FeedTick("BTCUSDT", 0, 100_010, 1, 9 * 10**18, T0, connection=1))
    assert not await sink(FeedTick("BTCUSDT", 0, 90_000, 1, 500, T0, connection=1))  # late
    assert await sink(FeedTick("BTCUSDT", 0, 90_001, 1, 501, T0, connection=2))  # reconnected
    assert await sink(FeedTick("BTCUSDT", 0, 90_002, 1, 502, T0, connection=2))
    assert [t.price for t in rec.ticks] == [100_010, 90_001, 90_002]
    assert sink.late == 1


async def test_late_ticks_are_logged_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    """Regression: late ticks were dropped without a word."""
    rec = Recorder()
    sink = FeedSink(rec, clock=ManualClock(T0))
    with caplog.at_level(logging.WARNING, logger="velox.feeds.sink"):
        await sink(trade("BTCUSDT", 100, 10, T0))
        for tid in range(5):
            assert not await sink(trade("BTCUSDT", 100, tid, T0))
    said = [r.getMessage() for r in caplog.records if r.name == "velox.feeds.sink"]
    assert len(said) == 1 and "BTCUSDT" in said[0] and "late" in said[0]
    assert sink.late == 5


async def test_a_book_that_moved_away_from_the_last_trade_prices_at_its_mid() -> None:
    """Regression: with trades stopped and the book moved from 100000 to 89999/90001, every
    book tick re-sent the last trade price (100000): a SHORT still opened at 99950. SPEC 2:
    the last trade price while the book still holds it, else the book's mid."""
    rec = Recorder()
    sink = FeedSink(rec, clock=ManualClock(T0))
    await sink(trade("BTCUSDT", 100_000, 1, T0))
    await sink(book("BTCUSDT", 99_999, 100_001, uid=1))  # holds the trade: quiet, not stale
    await sink(book("BTCUSDT", 100_000, 100_002, uid=2))  # bid == last: still held
    await sink(book("BTCUSDT", 89_999, 90_001, uid=3))  # moved away: the mid
    await sink(book("BTCUSDT", 110_000, 110_004, uid=4))  # and the other way
    await sink(trade("BTCUSDT", 110_001, 2, T0))
    await sink(book("BTCUSDT", 109_990, 110_010, uid=5))
    assert [t.price for t in rec.ticks] == [
        100_000, 100_000, 100_000, 90_000, 110_002, 110_001, 110_001,
    ]  # fmt: skip
