"""query_candles: stored rows + the in-memory part, exact, limits and bounds."""

from __future__ import annotations

import pytest

from tests.market.memstore import MemStore
from velox.market.candles import CandleAggregator
from velox.market.query import last_prices, query_candles
from velox.store.records import CandleRecord, TradeRecord

T0 = 1_736_812_800_000


def c(time: int, o: int, h: int, low: int, close: int, v: int) -> CandleRecord:
    return CandleRecord("BTCUSDT", "1m", time, o, h, low, close, v)


async def test_unflushed_current_candle_is_merged_exactly() -> None:
    store, agg = MemStore(), CandleAggregator(["1m"])
    await store.upsert_candles([c(T0, 10, 12, 9, 11, 5), c(T0 + 60_000, 11, 11, 11, 11, 1)])
    agg.seed(("BTCUSDT", "1m", T0 + 60_000), c(T0 + 60_000, 11, 11, 11, 11, 1))
    agg.add(TradeRecord("BTCUSDT", 1, 15, 2, T0 + 61_000))  # same bucket, not flushed
    agg.add(TradeRecord("BTCUSDT", 2, 8, 3, T0 + 120_500))  # a new bucket, not flushed
    got = await query_candles(store.as_store(), agg, "BTCUSDT", "1m", None, None, 1000)
    assert got == [
        c(T0, 10, 12, 9, 11, 5),
        c(T0 + 60_000, 11, 15, 11, 15, 3),
        c(T0 + 120_000, 8, 8, 8, 8, 3),
    ]


async def test_limits_and_bounds() -> None:
    store, agg = MemStore(), CandleAggregator(["1m"])
    await store.upsert_candles([c(T0 + i * 60_000, i, i, i, i, 1) for i in range(1, 6)])
    agg.add(TradeRecord("BTCUSDT", 1, 99, 1, T0 + 6 * 60_000))
    store_ = store.as_store()
    newest = await query_candles(store_, agg, "BTCUSDT", "1m", None, None, 2)
    assert [x.open for x in newest] == [5, 99]
    page = await query_candles(store_, agg, "BTCUSDT", "1m", T0 + 2 * 60_000, None, 2)
    assert [x.open for x in page] == [2, 3]
    window = await query_candles(store_, agg, "BTCUSDT", "1m", T0 + 4 * 60_000, T0 + 6 * 60_000, 10)
    assert [x.open for x in window] == [4, 5, 99]
    before = await query_candles(store_, agg, "BTCUSDT", "1m", None, T0 + 5 * 60_000, 3)
    assert [x.open for x in before] == [3, 4, 5]
    assert await query_candles(store_, None, "BTCUSDT", "1m", T0 + 6 * 60_000, None, 5) == []


async def test_at_most_1000_and_bad_arguments() -> None:
    store = MemStore()
    await store.upsert_candles([c(T0 + i * 60_000, 1, 1, 1, 1, 1) for i in range(1100)])
    got = await query_candles(store.as_store(), None, "BTCUSDT", "1m", None, None, 5000)
    assert len(got) == 1000 and got[-1].time == T0 + 1099 * 60_000
    with pytest.raises(ValueError):
        await query_candles(store.as_store(), None, "BTCUSDT", "2h", None, None, 10)
    with pytest.raises(ValueError):
        await query_candles(store.as_store(), None, "BTCUSDT", "1m", None, None, 0)


async def test_last_prices_are_the_newest_1s_closes_of_the_symbols_with_any() -> None:
    """Where a restarted simulator goes on from."""
    store = MemStore()
    await store.upsert_candles(
        [
            CandleRecord("BTCUSDT", "1s", 1_000, 5, 9, 4, 7, 1),
            CandleRecord("BTCUSDT", "1s", 2_000, 7, 8, 6, 6, 1),
            CandleRecord("BTCUSDT", "1m", 60_000, 3, 3, 3, 3, 1),
        ]
    )
    got = await last_prices(store.as_store(), ["BTCUSDT", "ETHUSDT"])
    assert got == {"BTCUSDT": 6}
