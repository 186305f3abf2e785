"""Candle aggregation: buckets, exact OHLCV against brute force, deltas that merge exactly."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.market.brute import brute_candles
from velox.market.candles import DURATIONS_MS, CandleAggregator, bucket_start, merge
from velox.store.records import CandleRecord, TradeRecord

T0 = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC


def trade(tid: int, ts: int, price: int, qty: int = 1, symbol: str = "BTCUSDT") -> TradeRecord:
    return TradeRecord(symbol, tid, price, qty, ts)


def test_bucket_start_is_utc_floor() -> None:
    assert bucket_start(T0 + 86_399_999, DURATIONS_MS["1d"]) == T0
    assert bucket_start(T0 + 5 * 3_600_000 + 1, DURATIONS_MS["4h"]) == T0 + 4 * 3_600_000
    assert bucket_start(T0 + 59_999, DURATIONS_MS["30s"]) == T0 + 30_000
    assert bucket_start(1_999, 1_000) == 1_000
    assert bucket_start(-1, 1_000) == -1_000


def test_add_returns_full_candles_and_deltas_reset() -> None:
    agg = CandleAggregator(["1m"])
    agg.add(trade(1, T0 + 1, 100, 2))
    assert agg.add(trade(2, T0 + 2, 90, 3)) == [
        CandleRecord("BTCUSDT", "1m", T0, 100, 100, 90, 90, 5)
    ]
    assert agg.take_deltas() == [CandleRecord("BTCUSDT", "1m", T0, 100, 100, 90, 90, 5)]
    agg.confirm()
    assert agg.add(trade(3, T0 + 3, 120, 1)) == [
        CandleRecord("BTCUSDT", "1m", T0, 100, 120, 90, 120, 6)
    ]
    assert agg.take_deltas() == [CandleRecord("BTCUSDT", "1m", T0, 120, 120, 120, 120, 1)]


def test_confirm_forgets_finished_buckets_only() -> None:
    agg = CandleAggregator(["1s"])
    agg.add(trade(1, T0, 5))
    agg.add(trade(2, T0 + 1_000, 6))
    agg.take_deltas()
    agg.add(trade(3, T0 + 2_000, 7))  # arrives while the first two are in flight
    agg.confirm()
    assert [c.time for c in agg.full_candles("BTCUSDT", "1s")] == [T0 + 2_000]
    assert agg.current("BTCUSDT", "1s") == CandleRecord("BTCUSDT", "1s", T0 + 2_000, 7, 7, 7, 7, 1)
    assert agg.missing([trade(4, T0 + 500, 1)]) == [("BTCUSDT", "1s", T0)]  # late: ask the store
    assert agg.missing([trade(5, T0 + 9_000, 1)]) == []  # newer than anything: cannot be stored


def test_restore_puts_failed_deltas_before_newer_ones() -> None:
    agg = CandleAggregator(["1m"])
    agg.add(trade(1, T0, 10, 1))
    agg.take_deltas()
    agg.add(trade(2, T0 + 1, 30, 1))
    agg.restore()
    assert agg.take_deltas() == [CandleRecord("BTCUSDT", "1m", T0, 10, 30, 10, 30, 2)]
    with pytest.raises(RuntimeError):
        agg.take_deltas()


def test_seed_merges_with_stored_part() -> None:
    agg = CandleAggregator(["1h"])
    stored = CandleRecord("ETHUSDT", "1h", T0, 50, 80, 40, 60, 9)
    assert agg.missing([trade(1, T0 + 5, 70, symbol="ETHUSDT")]) == [("ETHUSDT", "1h", T0)]
    agg.seed(("ETHUSDT", "1h", T0), stored)
    assert agg.add(trade(1, T0 + 5, 90, 1, "ETHUSDT")) == [
        CandleRecord("ETHUSDT", "1h", T0, 50, 90, 40, 90, 10)
    ]
    assert agg.take_deltas() == [CandleRecord("ETHUSDT", "1h", T0, 90, 90, 90, 90, 1)]


def test_unknown_duration_rejected() -> None:
    with pytest.raises(ValueError):
        CandleAggregator(["2m"])


trades_strategy = st.lists(
    st.tuples(
        st.sampled_from(["BTCUSDT", "ETHUSDT"]),
        st.integers(0, 3 * 86_400_000),  # ms offset over three days
        st.integers(1, 10**16),  # price units
        st.integers(1, 10**12),  # qty units
        st.booleans(),  # hand the deltas to the "store" after this trade
    ),
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(trades_strategy, st.data())
def test_deltas_folded_like_the_store_equal_brute_force(
    rows: list[tuple[str, int, int, int, bool]], data: st.DataObject
) -> None:
    agg = CandleAggregator()
    store: dict[tuple[str, str, int], CandleRecord] = {}
    trades = []
    for i, (symbol, offset, price, qty, flush) in enumerate(rows):
        t = trade(i, T0 + offset, price, qty, symbol)
        trades.append(t)
        for key in agg.missing([t]):
            agg.seed(key, store.get(key))
        agg.add(t)
        if flush:
            deltas = agg.take_deltas()
            if data.draw(st.booleans(), label="upsert succeeds"):
                for c in deltas:
                    key = (c.symbol, c.duration, c.time)
                    store[key] = merge(store[key], c) if key in store else c
                agg.confirm()
            else:
                agg.restore()
    for c in agg.take_deltas():
        key = (c.symbol, c.duration, c.time)
        store[key] = merge(store[key], c) if key in store else c
    agg.confirm()
    for duration in DURATIONS_MS:
        expected = brute_candles(trades, duration)
        got = {(s, t): c for (s, d, t), c in store.items() if d == duration}
        assert got == expected
        for symbol in ("BTCUSDT", "ETHUSDT"):
            for c in agg.full_candles(symbol, duration):
                assert c == expected[(symbol, c.time)]
        for c in got.values():
            assert all(type(v) is int for v in (c.open, c.high, c.low, c.close, c.volume))
