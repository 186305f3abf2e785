"""The simulator's seeded chart history: deterministic, full, plausible, written once."""

from __future__ import annotations

import itertools
import math
from statistics import mean

from tests.feeds.helpers import wait_until
from velox.feeds.base import FeedTick
from velox.market.candles import DURATIONS_MS, CandleAggregator
from velox.market.history import LiveCut, boundary
from velox.market.sim_history import SimulatedHistory, simulated_candles
from velox.market.writer import TradeWriter
from velox.money import units
from velox.store.base import Store
from velox.store.records import CandleRecord

DAY = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC
CUT = LiveCut("BTCUSDT", "sim", DAY + 5 * 3_600_000 + 7 * 60_000 + 42_000, units("95000.01"))
ALL = tuple(DURATIONS_MS)


def of(candles: list[CandleRecord], duration: str) -> list[CandleRecord]:
    return [c for c in candles if c.duration == duration]


def test_the_same_seed_gives_the_same_candles_another_seed_others() -> None:
    first = simulated_candles(CUT, 7, ALL, 30)
    assert first == simulated_candles(CUT, 7, ALL, 30)
    assert of(first, "1h") != of(simulated_candles(CUT, 8, ALL, 30), "1h")
    other = LiveCut("ETHUSDT", "sim", CUT.time, units("3300"))
    assert simulated_candles(other, 7, ALL, 30) != first


def test_pinned_daily_candles() -> None:
    """Pins the backward walk: a change to it must be deliberate."""
    assert of(simulated_candles(CUT, 1, ("1d",), 2), "1d") == [
        CandleRecord("BTCUSDT", "1d", DAY - 2 * 86_400_000, 8_997_393_000_000,
                     9_301_101_000_000, 8_982_041_000_000, 9_301_101_000_000, 405_129_600_000),
        CandleRecord("BTCUSDT", "1d", DAY - 86_400_000, 9_231_053_000_000, 9_457_514_000_000,
                     9_231_053_000_000, 9_457_514_000_000, 629_942_400_000),
        CandleRecord("BTCUSDT", "1d", DAY, *(9_387_598_000_000,) * 4, 105_840_000_000),
    ]  # fmt: skip


def test_count_candles_of_every_duration_then_the_boundary_prefix() -> None:
    candles = simulated_candles(CUT, 1, ALL, 20)
    for duration, size in DURATIONS_MS.items():
        start = boundary(CUT.time, duration)
        times = list(range(start - 20 * size, start, size))
        if start < CUT.time:  # 1s: the boundary is the cut's own second, live only
            times.append(start)
        assert [c.time for c in of(candles, duration)] == times, duration


def test_every_candle_is_consistent_and_the_history_ends_where_the_live_prices_begin() -> None:
    candles = simulated_candles(CUT, 1, ALL, 50)
    tick = units("0.01")
    for c in candles:
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert all(p % tick == 0 for p in (c.open, c.high, c.low, c.close)) and c.volume > 0
    last = {c.duration: c.close for c in candles}  # each duration's newest candle
    assert len(set(last.values())) == 1  # one path: they all end on its last point
    assert abs(last["1s"] - CUT.price) <= CUT.price // 1000  # one 200 ms step away


def test_coarser_candles_are_the_finer_ones_folded_where_both_are_shown() -> None:
    candles = simulated_candles(CUT, 3, ALL, 100)
    minutes = {c.time: c for c in of(candles, "1m")}
    checked = 0
    for five in of(candles, "5m"):
        parts = [minutes.get(five.time + i * 60_000) for i in range(5)]
        if None in parts or five.time + 300_000 > CUT.time:
            continue  # outside the 1m window, or the unfinished boundary
        ones = [p for p in parts if p is not None]
        assert (five.open, five.close) == (ones[0].open, ones[-1].close)
        assert (five.high, five.low) == (max(p.high for p in ones), min(p.low for p in ones))
        assert five.volume == sum(p.volume for p in ones)
        checked += 1
    assert checked == 19  # 100 minutes hold 19 whole 5m buckets before 05:05


def test_volatility_and_volume_are_those_of_the_live_simulator() -> None:
    """Daily log-returns of BTCUSDT over 1000 days: std within 15 % of 50 % * sqrt(1/365).
    Hourly volume: the live simulator's rate (5 ticks/s of 0.00001 * k^2, k in 1..63)."""
    days = of(simulated_candles(CUT, 5, ("1d",), 1000), "1d")[:-1]
    rets = [math.log(b.close / a.close) for a, b in itertools.pairwise(days)]
    std = math.sqrt(sum(r * r for r in rets) / len(rets))  # test-only floats
    assert abs(std / (0.5 * math.sqrt(1 / 365)) - 1) < 0.15
    hours = of(simulated_candles(CUT, 5, ("1h",), 200), "1h")[:-1]
    per_hour = 0.00001 * sum(k * k for k in range(1, 64)) / 63 * 5 * 3600  # 243.8 BTC
    assert abs(mean(h.volume for h in hours) / units("1") / per_hour - 1) < 0.15


async def started_writer(store: Store) -> TradeWriter:
    writer = TradeWriter(store, CandleAggregator(), flush_interval_s=0.01)
    writer.start()
    return writer


async def test_written_once_where_the_store_has_nothing(store: Store) -> None:
    eth = CandleRecord("ETHUSDT", "1h", DAY - 3_600_000, 1, 1, 1, 1, 1)
    real = CandleRecord("BTCUSDT", "1h", DAY - 3_600_000, 7, 8, 6, 7, 5)  # from Binance once
    await store.put_candles([real, eth])
    writer = await started_writer(store)
    cuts: list[LiveCut] = []
    writer.on_session = cuts.append
    try:
        tick = FeedTick("BTCUSDT", CUT.time, CUT.price, 1, 1, CUT.time + 300, source="sim")
        writer.offer(tick)
        await wait_until(lambda: writer.processed == 1)
        history = SimulatedHistory(store, writer, seed=1, count=10)
        await history.fill(cuts[0])
        expected = simulated_candles(cuts[0], 1, [d for d in ALL if d != "1h"], 10)
        for duration in ALL:
            got = await store.candles(
                "BTCUSDT", duration, None, boundary(CUT.time, duration) - 1, 20
            )
            if duration == "1h":
                assert got == [real]  # real candles are never replaced by invented ones
            else:
                assert got == [
                    c for c in of(expected, duration) if c.time < boundary(CUT.time, duration)
                ]
        before = await store.candles("BTCUSDT", "1m", None, None, 100)
        again = SimulatedHistory(store, writer, seed=2, count=10)  # a restart, another seed
        await again.fill(LiveCut("BTCUSDT", "sim", CUT.time + 60_000, CUT.price))
        assert await store.candles("BTCUSDT", "1m", None, None, 100) == before
    finally:
        await writer.stop()
