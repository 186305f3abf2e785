"""The trade writer files a trade only at a plausible exchange time (velox.market.plausible).

The reviewer's s4: trades stamped now + 10 years, 1000 (1970) and 99999999999999 (5138) made
permanent 1m and 1d candles there, and the 5138 one became the newest candle the API returns,
so a chart (which takes no update older than its last bar) stopped moving.
"""

from __future__ import annotations

import logging

import pytest

from tests.market.memstore import MemStore
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.market.candles import CandleAggregator
from velox.market.plausible import AHEAD_MS, BEHIND_MS, misdated
from velox.market.writer import TradeWriter

NOW = 1_796_000_000_000  # 2026-12
YEAR = 365 * 86_400_000


def tick(tid: int, exchange_ms: int, source: str = "binance") -> FeedTick:
    return FeedTick("BTCUSDT", NOW, trade_price=100, trade_qty=1, trade_id=tid,
                    exchange_ms=exchange_ms, source=source)  # fmt: skip


def writer(store: MemStore, behind_ms: int | None = BEHIND_MS) -> TradeWriter:
    return TradeWriter(store.as_store(), CandleAggregator(["1m", "1d"]),
                       max_behind_ms=behind_ms, clock=ManualClock(NOW))  # fmt: skip


async def test_trades_dated_years_away_make_no_candle(caplog: pytest.LogCaptureFixture) -> None:
    store = MemStore()
    w = writer(store)
    cuts: list[object] = []
    w.on_session = cuts.append
    with caplog.at_level(logging.WARNING, logger="velox.market.writer"):
        for tid, at in enumerate((NOW + 10 * YEAR, 1000, 99_999_999_999_999, -5), start=1):
            assert not w.offer(tick(tid, at))
    assert w.misdated == 4 and w.queue.empty() and cuts == []
    assert len(caplog.messages) == 1 and "is the clock right?" in caplog.messages[0]
    assert w.offer(tick(9, NOW - 500))
    await w.flush()
    assert {time for (_, _, time) in store.rows} == {NOW - NOW % 60_000, NOW - NOW % 86_400_000}
    await w.stop()
    assert "(and 2 more since last report)" in caplog.messages[-1]  # said when it stops


def test_the_bounds_keep_late_and_slightly_early_trades() -> None:
    """A minute ahead (clock error), an hour behind (delay, a fast local clock)."""
    assert not misdated(NOW + AHEAD_MS, NOW) and misdated(NOW + AHEAD_MS + 1, NOW)
    assert not misdated(NOW - BEHIND_MS, NOW) and misdated(NOW - BEHIND_MS - 1, NOW)
    assert not misdated(1000, NOW, None) and misdated(NOW + AHEAD_MS + 1, NOW, None)


async def test_a_recorded_file_is_judged_on_its_time_ahead_only() -> None:
    """The replay feed's trades carry their time in the file (here 2025): filed, as candles
    of 2025; a row dated in the future is not."""
    store = MemStore()
    w = writer(store, behind_ms=None)
    assert w.offer(tick(1, NOW - 2 * YEAR, source="replay"))
    assert not w.offer(tick(2, NOW + 10 * YEAR, source="replay"))
    await w.flush()
    assert len(store.trades) == 1 and w.misdated == 1


def test_the_wall_clock_judges_not_engine_time() -> None:
    """Engine time and the wall clock part after a step back of the wall clock (engine
    time never goes back); exchange times are absolute, so a live trade is judged against
    the wall clock."""
    clock = ManualClock(NOW)
    clock.step_wall(-2 * 3_600_000)
    w = TradeWriter(MemStore().as_store(), max_behind_ms=BEHIND_MS, clock=clock)
    assert w.offer(tick(1, NOW - 2 * 3_600_000))
