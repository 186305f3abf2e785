"""Replaying a file again (the README: "restart Velox to replay again") changes no candle
built from it, though its trades, older than the raw trades' retention, were pruned; a trade
the earlier runs did not count still counts. On SQLite and PostgreSQL, a store per run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.feeds.helpers import running
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.replay import ReplayFeed
from velox.market.candles import CandleAggregator
from velox.market.provenance import covers, with_span
from velox.market.query import query_candles
from velox.market.writer import TradeWriter
from velox.money import units
from velox.store.base import Store
from velox.store.records import CandleRecord

T0 = 1_736_942_400_000  # 2025-01-15 12:00:00 UTC
NOW = T0 + 400 * 86_400_000  # the file is far older than the 24 h retention
ROWS = [
    (1, "100000.00", "0.5", T0 + 1_000),
    (2, "100100.00", "0.25", T0 + 20_000),
    (3, "99900.00", "1.0", T0 + 40_000),
    (4, "100050.00", "0.1", T0 + 61_000),
]


def csv(tmp_path: Path, rows: list[tuple[int, str, str, int]]) -> Path:
    path = tmp_path / "BTCUSDT-trades-2025-01-15.csv"
    path.write_text("".join(f"{i},{p},{q},0,{t},false,true\n" for i, p, q, t in rows))
    return path


def m1(time: int, o: str, h: str, lo: str, c: str, v: str) -> CandleRecord:
    return CandleRecord("BTCUSDT", "1m", time, units(o), units(h), units(lo), units(c), units(v))


async def replay(store: Store, path: Path) -> list[CandleRecord]:
    """One Velox run: replay the file to its end, stop (flushing), read the 1m candles."""
    clock = ManualClock(NOW)
    writer = TradeWriter(store, CandleAggregator(), flush_interval_s=0.01, clock=clock)
    feed = ReplayFeed(path, speed=0, clock=clock)

    async def sink(tick: FeedTick) -> bool:
        return writer.offer(tick)

    writer.start()
    async with running(feed, sink):
        await asyncio.wait_for(feed.finished.wait(), 5)
        async with asyncio.timeout(5):
            while writer.processed < writer.accepted or writer.prunes == 0:
                await asyncio.sleep(0.01)
    await writer.stop()
    assert writer.pruned == 0 or await store.trades("BTCUSDT", None, None, None, 10) == []
    return await query_candles(store, None, "BTCUSDT", "1m", T0, T0 + 120_000, 10)


async def test_replaying_the_same_file_again_changes_no_candle(
    store: Store, tmp_path: Path
) -> None:
    """Regression: each restart added the file's volume again (1.75, then 3.50, then 5.25)."""
    path = csv(tmp_path, ROWS)
    expected = [
        m1(T0, "100000", "100100", "99900", "99900", "1.75"),
        m1(T0 + 60_000, "100050", "100050", "100050", "100050", "0.1"),
    ]
    for _ in range(3):
        assert await replay(store, path) == expected


async def test_a_trade_no_earlier_run_counted_still_counts(store: Store, tmp_path: Path) -> None:
    await replay(store, csv(tmp_path, ROWS[:2]))  # a run stopped halfway, say
    got = await replay(store, csv(tmp_path, [*ROWS, (5, "100200.00", "0.05", T0 + 70_000)]))
    assert got == [
        m1(T0, "100000", "100100", "99900", "99900", "1.75"),
        m1(T0 + 60_000, "100050", "100200", "100050", "100200", "0.15"),
    ]


def test_spans_merge_where_they_touch_and_cover_their_ends() -> None:
    spans = with_span(with_span([], 10, 20), 30, 40)
    assert spans == [(10, 20), (30, 40)]
    assert with_span(spans, 21, 29) == [(10, 40)]
    assert [covers(spans, i) for i in (9, 10, 20, 21, 29, 30, 40, 41)] == [
        False, True, True, False, False, True, True, False,
    ]  # fmt: skip
