"""The writer and the candle query against the real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

from tests.market.brute import brute_candles
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.market.candles import CandleAggregator
from velox.market.query import query_candles
from velox.market.writer import TradeWriter
from velox.store.base import Store
from velox.store.records import CandleRecord, TradeRecord

T0 = 1_736_812_800_000
DAY = 86_400_000


def as_tick(t: TradeRecord) -> FeedTick:
    return FeedTick(t.symbol, t.ts + 3, t.price, t.qty, t.trade_id, t.ts)


async def test_dedupe_candles_and_query_are_exact(store: Store) -> None:
    # Prices near 10^15 units exercise the int64/NUMERIC path; ids repeat across batches.
    trades = [
        TradeRecord(sym, i, 9_500_000_000_000 + (i * 7919) % 100_003, 1 + i % 17, T0 + i * 997)
        for i in range(400)
        for sym in ("BTCUSDT", "SOLUSDT")
    ]
    writer = TradeWriter(store, batch_size=100, clock=ManualClock(T0 + DAY))
    for t in trades[:500]:
        writer.offer(as_tick(t))
    await writer.flush()
    for t in trades[450:]:  # 50 duplicates straddling the batch boundary
        writer.offer(as_tick(t))
    await writer.flush()
    assert (writer.written, writer.duplicates) == (800, 50)
    for duration in ("1s", "30s", "1m", "5m", "1d"):
        expected = brute_candles(trades, duration)
        for sym in ("BTCUSDT", "SOLUSDT"):
            got = await query_candles(store, writer.aggregator, sym, duration, None, None, 1000)
            assert got == sorted((c for (s, _), c in expected.items() if s == sym), key=_time)


async def test_restart_and_unflushed_current_candle(store: Store) -> None:
    first = TradeWriter(store, CandleAggregator(["1m"]), clock=ManualClock(T0))
    for i, price in enumerate((100, 300, 200)):
        first.offer(as_tick(TradeRecord("ETHUSDT", i, price, 10, T0 + i)))
    await first.flush()
    # A new process: fresh aggregator, same store. The first batch seeds the bucket.
    again = TradeWriter(store, CandleAggregator(["1m"]), clock=ManualClock(T0))
    again.offer(as_tick(TradeRecord("ETHUSDT", 3, 50, 1, T0 + 10)))
    await again.flush()
    # This trade is aggregated in memory but its delta is not in the store yet.
    again.aggregator.add(TradeRecord("ETHUSDT", 4, 400, 2, T0 + 20))
    got = await query_candles(store, again.aggregator, "ETHUSDT", "1m", T0, None, 10)
    assert got == [CandleRecord("ETHUSDT", "1m", T0, 100, 400, 50, 400, 33)]
    stored = await store.candles("ETHUSDT", "1m", T0, T0, 1)
    assert stored == [CandleRecord("ETHUSDT", "1m", T0, 100, 300, 50, 50, 31)]


async def test_retention_keeps_candles_forever(store: Store) -> None:
    now = T0 + DAY + 5_000
    writer = TradeWriter(
        store, CandleAggregator(["1d"]), flush_interval_s=0.01, clock=ManualClock(now)
    )
    writer.offer(as_tick(TradeRecord("BTCUSDT", 1, 100, 1, T0)))  # older than 24 h
    writer.offer(as_tick(TradeRecord("BTCUSDT", 2, 100, 1, T0 + DAY)))
    writer.start()
    async with asyncio.timeout(5):
        while writer.prunes == 0:
            await asyncio.sleep(0.005)
    await writer.stop()
    assert writer.pruned == 1
    again = [TradeRecord("BTCUSDT", 1, 100, 1, T0), TradeRecord("BTCUSDT", 2, 1, 1, 0)]
    new = await store.insert_trades(again)
    assert [t.trade_id for t in new] == [1]  # 1 was pruned, 2 is still stored
    assert await store.candles("BTCUSDT", "1d", None, None, 10) == [
        CandleRecord("BTCUSDT", "1d", T0, 100, 100, 100, 100, 1),
        CandleRecord("BTCUSDT", "1d", T0 + DAY, 100, 100, 100, 100, 1),
    ]


def _time(c: CandleRecord) -> int:
    return c.time
