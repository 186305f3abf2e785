"""TradeWriter with an in-memory store: batching, dedupe, drops, retries, retention, hooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.market.brute import brute_candles
from tests.market.memstore import MemStore
from velox.clock import ManualClock
from velox.feeds.backoff import Backoff
from velox.feeds.base import FeedTick
from velox.market.candles import CandleAggregator
from velox.market.query import query_candles
from velox.market.writer import TradeWriter
from velox.store.records import CandleRecord, TradeRecord

T0 = 1_736_812_800_000


def tick(
    tid: int, price: int = 100, qty: int = 1, ts: int = T0, symbol: str = "BTCUSDT"
) -> FeedTick:
    return FeedTick(symbol, ts + 5, trade_price=price, trade_qty=qty, trade_id=tid, exchange_ms=ts)


async def until(predicate: object, timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.002)


@pytest.fixture
def store() -> MemStore:
    return MemStore()


@pytest.fixture
async def writer(store: MemStore) -> AsyncIterator[TradeWriter]:
    w = TradeWriter(
        store.as_store(),
        CandleAggregator(["1m"]),
        flush_interval_s=0.05,
        clock=ManualClock(T0 + 1_000),  # so retention keeps the test's trades
    )
    w.start()
    yield w
    await w.stop()


async def test_flushes_full_batches_then_the_remainder_on_time(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), CandleAggregator(["1m"]), flush_interval_s=0.1)
    for i in range(250):
        assert w.offer(tick(i))
    w.start()
    await until(lambda: sum(store.insert_sizes) == 250)
    await w.stop()
    assert store.insert_sizes == [100, 100, 50]
    assert w.written == 250 and w.batches == 3


async def test_a_lone_trade_is_written_without_a_full_batch(
    writer: TradeWriter, store: MemStore
) -> None:
    writer.offer(tick(1))  # batch_size is 100: only the flush interval writes it
    await until(lambda: store.insert_sizes == [1])
    assert writer.written == 1 and writer.batches == 1


async def test_duplicates_are_written_and_counted_once(
    writer: TradeWriter, store: MemStore
) -> None:
    for tid, price in ((1, 100), (2, 120), (1, 100)):
        writer.offer(tick(tid, price, qty=10))
    await until(lambda: writer.written + writer.duplicates == 3)
    writer.offer(tick(2, 120, qty=10))  # a replay in a later batch
    await until(lambda: writer.duplicates == 2)
    assert writer.written == 2
    assert list(store.rows.values()) == [CandleRecord("BTCUSDT", "1m", T0, 100, 120, 100, 120, 20)]


async def test_queue_full_drops_newest_without_blocking(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), queue_size=3)
    assert [w.offer(tick(i)) for i in range(5)] == [True, True, True, False, False]
    assert not w.offer(FeedTick("BTCUSDT", 1, bid=1, ask=2))  # a quote, not a trade
    assert w.dropped == 2
    await w.flush()
    assert sorted(tid for _, tid in store.trades) == [0, 1, 2]


async def test_on_candle_gets_full_candles_once_per_batch(store: MemStore) -> None:
    seen: list[CandleRecord] = []
    w = TradeWriter(store.as_store(), CandleAggregator(["1m"]), on_candle=seen.append)
    w.offer(tick(1, 100, 1))
    w.offer(tick(2, 90, 1, ts=T0 + 1))
    await w.flush()
    w.offer(tick(3, 95, 1, ts=T0 + 2))
    await w.flush()
    assert seen == [
        CandleRecord("BTCUSDT", "1m", T0, 100, 100, 90, 90, 2),
        CandleRecord("BTCUSDT", "1m", T0, 100, 100, 90, 95, 3),
    ]


async def test_store_failures_are_retried_without_losing_candles(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), CandleAggregator(["1m"]), retry_delay_s=0)
    store.fail = {"insert_trades": 1, "candles": 1, "upsert_candles": 2}
    w.offer(tick(1, 100, 2))
    w.offer(tick(2, 110, 3, ts=T0 + 1))
    await w.flush()
    assert store.rows[("BTCUSDT", "1m", T0)] == CandleRecord(
        "BTCUSDT", "1m", T0, 100, 110, 100, 110, 5
    )
    assert (w.written, w.lost) == (2, 0)


async def test_failed_candle_upsert_goes_out_with_the_next_batch(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), CandleAggregator(["1m"]), max_attempts=2, retry_delay_s=0)
    store.fail = {"upsert_candles": 2}
    w.offer(tick(1, 100, 2))
    await w.flush()
    assert store.rows == {} and len(store.trades) == 1
    w.offer(tick(2, 50, 1, ts=T0 + 1))
    await w.flush()
    assert store.rows[("BTCUSDT", "1m", T0)] == CandleRecord(
        "BTCUSDT", "1m", T0, 100, 100, 50, 50, 3
    )


async def test_insert_that_keeps_failing_loses_only_that_batch(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), max_attempts=2, retry_delay_s=0)
    store.fail = {"insert_trades": 2}
    w.offer(tick(1))
    await w.flush()
    w.offer(tick(2))
    await w.flush()
    assert (w.lost, w.written, list(store.trades)) == (1, 1, [("BTCUSDT", 2)])


async def test_retention_prunes_old_raw_trades(store: MemStore) -> None:
    now = T0 + 25 * 3_600_000
    clock = ManualClock(now)
    clock.step_wall(-30_000)  # the cutoff follows the wall clock, as trade times do
    w = TradeWriter(store.as_store(), flush_interval_s=0.01, clock=clock, prune_interval_s=60)
    w.offer(tick(1, ts=T0 - 1))  # 24 h and 1 ms before the wall clock
    w.offer(tick(2, ts=now - 1000))
    w.start()
    await until(lambda: store.prune_cutoffs != [])
    await w.stop()
    assert store.prune_cutoffs == [now - 30_000 - 24 * 3_600_000]
    assert list(store.trades) == [("BTCUSDT", 2)]
    assert ("BTCUSDT", "1d", T0 - 24 * 3_600_000) in store.rows  # candles are kept forever


async def test_restart_seeds_the_current_candle_from_the_store(store: MemStore) -> None:
    first = TradeWriter(store.as_store(), CandleAggregator(["1h"]))
    first.offer(tick(1, 100, 1))
    await first.flush()
    seen: list[CandleRecord] = []
    again = TradeWriter(store.as_store(), CandleAggregator(["1h"]), on_candle=seen.append)
    again.offer(tick(1, 100, 1))  # the feed replays the last trade after a restart
    again.offer(tick(2, 130, 4, ts=T0 + 10))
    await again.flush()
    expected = CandleRecord("BTCUSDT", "1h", T0, 100, 130, 100, 130, 5)
    assert seen == [expected]
    got = await query_candles(store.as_store(), again.aggregator, "BTCUSDT", "1h", None, None, 10)
    assert got == [expected] and list(store.rows.values()) == [expected]


async def test_stop_writes_everything_queued(store: MemStore) -> None:
    w = TradeWriter(store.as_store(), flush_interval_s=30)
    w.start()
    for i in range(30):
        w.offer(tick(i, ts=T0 + i * 1000))
    await asyncio.sleep(0.01)
    await w.stop()
    assert len(store.trades) == 30


async def test_candles_match_brute_force_through_the_writer(store: MemStore) -> None:
    trades = [
        TradeRecord(sym, i, 9_000_000 + (i * 7919) % 5000, 1 + i % 13, T0 + i * 4_321)
        for i in range(700)
        for sym in ("BTCUSDT", "ETHUSDT")
    ]
    w = TradeWriter(store.as_store(), batch_size=37)
    for t in trades:
        w.offer(FeedTick(t.symbol, 0, t.price, t.qty, t.trade_id, t.ts))
    await w.flush()
    for duration in ("1s", "1m", "1h", "1d"):
        expected = brute_candles(trades, duration)
        assert {(s, t): c for (s, d, t), c in store.rows.items() if d == duration} == expected


async def test_a_failing_on_candle_does_not_stop_the_writer(store: MemStore) -> None:
    """Regression: an exception in ``on_candle`` used to kill the task silently, and every
    later trade stayed queued forever."""
    seen: list[CandleRecord] = []

    def on_candle(candle: CandleRecord) -> None:
        seen.append(candle)
        raise RuntimeError("listener bug")

    w = TradeWriter(
        store.as_store(), CandleAggregator(["1m"]), flush_interval_s=0.01, on_candle=on_candle
    )
    w.start()
    w.offer(tick(1, 100, 1))
    await until(lambda: len(seen) == 1)
    w.offer(tick(2, 90, 1, ts=T0 + 1))
    await until(lambda: len(seen) == 2)
    await w.stop()
    assert seen[-1] == CandleRecord("BTCUSDT", "1m", T0, 100, 100, 90, 90, 2)
    assert w.written == 2 and w.supervisor.status().restarts == 0


async def test_a_writer_loop_that_dies_is_restarted(
    store: MemStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug that escapes the loop is logged, the loop restarted, the status says so."""
    clock = ManualClock(T0)
    w = TradeWriter(store.as_store(), flush_interval_s=0.01, clock=clock)
    w.supervisor.backoff = Backoff(base_s=0.001, max_s=0.002)
    collect = TradeWriter._collect
    failures = [RuntimeError("bug in the loop")]

    async def failing_collect(self: TradeWriter) -> None:
        if failures:
            raise failures.pop()
        await collect(self)

    monkeypatch.setattr(TradeWriter, "_collect", failing_collect)
    w.offer(tick(1))
    w.start()
    await until(lambda: w.written == 1)
    status = w.supervisor.status()
    assert (status.name, status.state, status.restarts) == ("writer", "recovering", 1)
    assert status.error == "RuntimeError"
    clock.advance(w.supervisor.healthy_after_ms)
    assert w.supervisor.status().state == "up"
    await w.stop()
