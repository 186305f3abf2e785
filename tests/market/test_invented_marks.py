"""Invented candles (the auto feed's simulator) end where the real session after them began:
a Binance fill replaces them and nothing else, and a fill that fails drops them (a gap is
honest, invented prices are not). SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.fakes.binance_rest import FakeBinanceRest
from tests.feeds.helpers import wait_until
from tests.market.test_rest_history import CUT, PRICE, QTY, Live, restarted_with_binance
from velox.feeds.base import FeedTick
from velox.feeds.klines import KlinesUnavailable
from velox.feeds.klines_parse import Kline
from velox.market.backfill import HistoryUnavailable
from velox.market.history import LiveCut
from velox.market.rest_history import RestHistory
from velox.store.base import Store
from velox.store.records import CandleRecord

HOUR = 3_600_000
MINUTE = 60_000
SIM_CUT = CUT - 6 * HOUR  # the simulator's session (Binance unreachable)
REAL_CUT = CUT - 5 * HOUR  # then Binance's trades came back, its REST klines did not


class Real(Live):
    """``Live`` with trade ids from ``first_id`` (a restart's ids follow the last session's)."""

    def __init__(self, store: Store, first_id: int) -> None:
        super().__init__(store)
        self.first_id = first_id

    async def trade(self, ts: int, connection: int, symbol: str = "BTCUSDT") -> LiveCut:
        self.ids += 1
        tick = FeedTick(symbol, ts, PRICE, QTY, self.first_id + self.ids, ts, source="binance",
                        connection=connection)  # fmt: skip
        self.writer.offer(tick)
        await wait_until(lambda: self.writer.processed == self.ids)
        return self.cuts[-1]


class Down:
    """Binance's REST API, unreachable."""

    base_url = "http://unreachable"

    async def klines(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[Kline]:
        raise KlinesUnavailable("connection refused")

    async def close(self) -> None:
        return None


async def simulated(store: Store, minutes: int) -> None:
    feed = Live(store)
    feed.writer.start()
    try:
        for i in range(minutes):
            ts = SIM_CUT + 250 + i * MINUTE
            feed.writer.offer(FeedTick("BTCUSDT", ts, PRICE, QTY, 10**15 + i, ts, source="sim"))
        await wait_until(lambda: feed.writer.processed == minutes)
    finally:
        await feed.writer.stop()


async def real_session_whose_fill_fails(store: Store) -> list[CandleRecord]:
    """Three minutes of real trades; returns the 1m candles they made."""
    feed = Real(store, first_id=1000)
    feed.writer.start()
    try:
        cut = await feed.trade(REAL_CUT + 250, connection=1)
        for i in (1, 2):
            await feed.trade(REAL_CUT + 250 + i * MINUTE, connection=1)
        with pytest.raises(HistoryUnavailable):
            await RestHistory(Down(), store, feed.writer, count=3).fill(cut)
    finally:
        await feed.writer.stop()
    real = await store.candles("BTCUSDT", "1m", REAL_CUT - REAL_CUT % MINUTE, CUT, 100)
    assert [c.time for c in real] == [REAL_CUT - REAL_CUT % MINUTE + i * MINUTE for i in range(3)]
    return real


async def test_real_candles_after_a_failed_fill_outlive_the_next_fill(
    rest: FakeBinanceRest, store: Store
) -> None:
    """Regression: a fill that failed kept the invented mark; the next successful one (after a
    restart) deleted every 1m candle from it to its boundary, though it fetched only 3 back:
    the real candles recorded in between were gone for good."""
    await simulated(store, minutes=3)
    real = await real_session_whose_fill_fails(store)
    await restarted_with_binance(rest, store, Real(store, first_id=2000), count=3)
    assert await store.candles("BTCUSDT", "1m", REAL_CUT - HOUR, REAL_CUT + HOUR, 100) == real


async def test_a_failed_fill_drops_the_invented_candles_before_the_real_session(
    store: Store,
) -> None:
    """Regression: when Binance's klines could not be fetched, the simulator's candles stayed
    in front of the real prices for the whole session."""
    await simulated(store, minutes=3)
    assert len(await store.candles("BTCUSDT", "1m", None, SIM_CUT + HOUR, 100)) == 3
    real = await real_session_whose_fill_fails(store)
    for duration in ("1m", "1h"):  # 1h: the invented hour, before the real one
        before = REAL_CUT - REAL_CUT % (60 * MINUTE if duration == "1h" else MINUTE)
        assert await store.candles("BTCUSDT", duration, None, before - 1, 100) == []
    assert await store.candles("BTCUSDT", "1m", None, None, 100) == real


async def test_a_candle_that_holds_real_trades_before_the_simulator_s_is_kept(
    store: Store,
) -> None:
    """Regression (a last look): real trades, then in the same minute, hour and day the
    simulator (Binance gone), then a Binance session whose klines cannot be had. The span's
    range began at its first bucket's start, so the fill dropped the 1m, 1h and 1d candles
    holding the real trades. A candle whose bucket began before the span (and that no
    fetched kline replaces) now stays: it holds real trades."""
    day = SIM_CUT - SIM_CUT % (24 * HOUR)
    first = Real(store, first_id=1000)
    first.writer.start()
    try:
        for i in range(3):  # real trades at 10-12 s into the simulator's minute
            await first.trade(SIM_CUT - SIM_CUT % MINUTE + 10_000 + i * 1000, connection=1)
    finally:
        await first.writer.stop()
    kept = {d: await store.candles("BTCUSDT", d, None, None, 10) for d in ("1m", "1h", "1d")}
    assert [len(c) for c in kept.values()] == [1, 1, 1]
    sim = Live(store)
    sim.writer.start()
    try:  # the simulator from 40 s into that minute, then two more minutes
        for i in range(3):
            ts = SIM_CUT - SIM_CUT % MINUTE + 40_000 + i * MINUTE
            sim.writer.offer(FeedTick("BTCUSDT", ts, PRICE, QTY, 10**15 + i, ts, source="sim"))
        await wait_until(lambda: sim.writer.processed == 3)
    finally:
        await sim.writer.stop()
    real = Real(store, first_id=2000)  # the next day, Binance up but not its klines
    real.writer.start()
    try:
        cut = await real.trade(day + 24 * HOUR + 5 * HOUR + 250, connection=1)
        with pytest.raises(HistoryUnavailable):
            await RestHistory(Down(), store, real.writer, count=1000).fill(cut)
    finally:
        await real.writer.stop()
    for duration, candles in kept.items():
        shown = await store.candles("BTCUSDT", duration, day, day + 24 * HOUR - 1, 10)
        assert [c.time for c in shown] == [candles[0].time], duration  # mixed: kept
    minute = SIM_CUT - SIM_CUT % MINUTE
    later = await store.candles("BTCUSDT", "1m", minute + 1, day + 24 * HOUR - 1, 10)
    assert later == []  # the simulator's own minutes (wholly invented) are gone
