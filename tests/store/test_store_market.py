"""Raw trades and candles on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.store.helpers import BIG
from velox.store.base import Store
from velox.store.records import CandleRecord, TradeRecord

MINUTE = 60_000


def trade(
    trade_id: int, symbol: str = "BTCUSDT", ts: int = 1000, price: int = 9_200_000_000_000
) -> TradeRecord:
    return TradeRecord(symbol, trade_id, price, 1_000 + trade_id, ts)


def candle(
    time: int, o: int, h: int, lo: int, c: int, v: int, duration: str = "1m"
) -> CandleRecord:
    return CandleRecord("BTCUSDT", duration, time, o, h, lo, c, v)


async def test_insert_trades_returns_exactly_the_new_ones(store: Store) -> None:
    first = [trade(1), trade(2), trade(3, price=BIG)]
    assert await store.insert_trades(first) == first
    again = [trade(2), trade(4), trade(3), trade(5)]
    assert await store.insert_trades(again) == [trade(4), trade(5)]
    assert await store.insert_trades(again) == []
    assert await store.insert_trades([]) == []


async def test_duplicates_inside_one_batch_count_once_and_the_first_wins(store: Store) -> None:
    batch = [trade(7, price=1), trade(8), trade(7, price=2), trade(8), trade(9)]
    assert await store.insert_trades(batch) == [trade(7, price=1), trade(8), trade(9)]


async def test_trade_ids_are_per_symbol(store: Store) -> None:
    batch = [trade(1, "BTCUSDT"), trade(1, "ETHUSDT"), trade(1, "SOLUSDT")]
    assert await store.insert_trades(batch) == batch
    assert await store.insert_trades([trade(1, "ETHUSDT"), trade(2, "ETHUSDT")]) == [
        trade(2, "ETHUSDT")
    ]


async def test_large_batches_dedupe_in_input_order(store: Store) -> None:
    await store.insert_trades([trade(i) for i in range(0, 1000, 3)])
    batch = [trade(i) for i in range(999, -1, -1)] + [trade(i) for i in range(500)]
    assert await store.insert_trades(batch) == [trade(i) for i in range(999, -1, -1) if i % 3]


async def test_prune_trades_deletes_older_trades_only(store: Store) -> None:
    await store.insert_trades([trade(1, ts=100), trade(2, ts=199), trade(3, ts=200)])
    assert await store.prune_trades(before_ts=200) == 2
    assert await store.prune_trades(before_ts=200) == 0
    # Pruned ids are free again; the kept one is still a duplicate.
    assert await store.insert_trades([trade(1, ts=100), trade(3, ts=200)]) == [trade(1, ts=100)]


async def test_upsert_candles_merges_with_the_stored_row(store: Store) -> None:
    await store.upsert_candles([candle(0, 100, 120, 90, 110, 5)])
    await store.upsert_candles([candle(0, 111, 130, 95, 101, 7)])
    await store.upsert_candles([candle(0, 102, 103, 80, 99, 1)])
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [candle(0, 100, 130, 80, 99, 13)]


async def test_upsert_candles_merges_repeats_inside_one_batch(store: Store) -> None:
    await store.upsert_candles([candle(0, 100, 100, 100, 100, 1)])
    await store.upsert_candles(
        [
            candle(0, 101, 150, 99, 120, 2),
            candle(MINUTE, 7, 8, 6, 7, 1),
            candle(0, 90, 110, 50, 95, 3),
            candle(0, 96, 96, 96, 96, 4),
        ]
    )
    assert await store.candles("BTCUSDT", "1m", 0, None, 10) == [
        candle(0, 100, 150, 50, 96, 10),
        candle(MINUTE, 7, 8, 6, 7, 1),
    ]


async def test_candle_merge_is_exact_beyond_int64(store: Store) -> None:
    await store.upsert_candles([candle(0, BIG, BIG + 5, BIG - 5, BIG + 1, BIG)])
    await store.upsert_candles([candle(0, 1, BIG + 9, BIG - 1, BIG + 2, BIG + 3)])
    assert await store.candles("BTCUSDT", "1m", 0, 0, 1) == [
        candle(0, BIG, BIG + 9, BIG - 5, BIG + 2, 200_000_000_000_000_000_003)
    ]


async def test_put_candles_replaces_whole_rows_and_repeating_it_changes_nothing(
    store: Store,
) -> None:
    """History from an exchange: a put over live partials replaces them, never adds volume."""
    await store.upsert_candles([candle(0, 100, 120, 90, 110, 5), candle(MINUTE, 1, 1, 1, 1, 1)])
    history = [candle(0, 101, 125, 85, 111, 40), candle(2 * MINUTE, 7, 9, 6, 8, 3)]
    await store.put_candles(history)
    await store.put_candles(history)
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [
        candle(0, 101, 125, 85, 111, 40),
        candle(MINUTE, 1, 1, 1, 1, 1),
        candle(2 * MINUTE, 7, 9, 6, 8, 3),
    ]
    # live trades then merge on top of the put row as usual
    await store.upsert_candles([candle(2 * MINUTE, 10, 12, 10, 11, 2)])
    assert await store.candles("BTCUSDT", "1m", 2 * MINUTE, None, 1) == [
        candle(2 * MINUTE, 7, 12, 6, 11, 5)
    ]


async def test_put_candles_last_repeat_in_a_batch_wins_and_big_values_are_exact(
    store: Store,
) -> None:
    await store.put_candles(
        [candle(0, 1, 1, 1, 1, 1), candle(0, BIG, BIG + 9, BIG - 5, BIG + 2, BIG + 3)]
    )
    await store.put_candles([])
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [
        candle(0, BIG, BIG + 9, BIG - 5, BIG + 2, BIG + 3)
    ]


async def test_candles_of_other_series_do_not_merge(store: Store) -> None:
    await store.upsert_candles([candle(0, 1, 1, 1, 1, 1)])
    await store.upsert_candles([candle(0, 2, 2, 2, 2, 2, duration="5m")])
    other = CandleRecord("ETHUSDT", "1m", 0, 3, 3, 3, 3, 3)
    await store.upsert_candles([other])
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [candle(0, 1, 1, 1, 1, 1)]
    assert await store.candles("BTCUSDT", "5m", None, None, 10) == [
        candle(0, 2, 2, 2, 2, 2, duration="5m")
    ]
    assert await store.candles("ETHUSDT", "1m", None, None, 10) == [other]
    assert await store.candles("SOLUSDT", "1m", None, None, 10) == []


@pytest.fixture
async def ten_minutes(store: Store) -> Store:
    """Candles at minutes 0..9 (value = minute), stored newest first, plus another series."""
    await store.upsert_candles([candle(m * MINUTE, m, m, m, m, m) for m in range(9, -1, -1)])
    await store.upsert_candles([candle(m * MINUTE, 0, 0, 0, 0, 0, "5m") for m in range(20)])
    return store


async def minutes(store: Store, start: int | None, end: int | None, limit: int) -> list[int]:
    rows = await store.candles("BTCUSDT", "1m", start, end, limit)
    return [r.time // MINUTE for r in rows]


@pytest.mark.parametrize(
    ("start", "end", "limit", "expected"),
    [
        (3, None, 4, [3, 4, 5, 6]),  # the first `limit` from start
        (3, 5, 10, [3, 4, 5]),  # start and end are both inclusive
        (3, 3, 10, [3]),
        (0, None, 100, list(range(10))),
        (10, None, 5, []),
        (None, None, 3, [7, 8, 9]),  # no start: the newest, oldest first
        (None, 5, 3, [3, 4, 5]),
        (None, 1, 5, [0, 1]),
        (None, None, 100, list(range(10))),
        (None, None, 0, []),
        (5, 4, 10, []),
    ],
)
async def test_candle_query_windows(
    ten_minutes: Store, start: int | None, end: int | None, limit: int, expected: list[int]
) -> None:
    start_ms = None if start is None else start * MINUTE
    end_ms = None if end is None else end * MINUTE
    assert await minutes(ten_minutes, start_ms, end_ms, limit) == expected


async def test_candle_bounds_are_exact_milliseconds(ten_minutes: Store) -> None:
    assert await minutes(ten_minutes, 3 * MINUTE + 1, 5 * MINUTE - 1, 10) == [4]
    assert await minutes(ten_minutes, None, 5 * MINUTE - 1, 2) == [3, 4]


async def test_candles_refuse_a_negative_limit(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.candles("BTCUSDT", "1m", None, None, -1)


async def test_trades_read_back_by_id_by_time_and_newest(store: Store) -> None:
    """Binance's aggTrades pages: from an id, from a time (within an end), else the newest;
    always oldest first, one symbol only."""
    stored = [trade(i, ts=1000 * i, price=BIG if i == 7 else 9_200_000_000_000)
              for i in range(1, 11)]  # fmt: skip
    await store.insert_trades([*stored, trade(3, symbol="ETHUSDT", ts=3000)])
    assert await store.trades("BTCUSDT", 4, None, None, 3) == stored[3:6]
    assert await store.trades("BTCUSDT", None, 2500, 6000, 100) == stored[2:6]
    assert await store.trades("BTCUSDT", None, 2500, None, 2) == stored[2:4]
    assert await store.trades("BTCUSDT", None, None, None, 3) == stored[7:]
    assert await store.trades("BTCUSDT", None, None, 5000, 2) == stored[3:5]
    assert await store.trades("BTCUSDT", 9, 1000, None, 5) == stored[8:]
    assert await store.trades("SOLUSDT", None, None, None, 5) == []
    assert (await store.trades("BTCUSDT", 7, None, None, 1))[0].price == BIG


async def test_upsert_candles_sets_its_meta_keys_in_the_same_transaction(store: Store) -> None:
    await store.upsert_candles([candle(0, 1, 1, 1, 1, 1)], {"folded:replay:BTCUSDT": "1-4"})
    await store.upsert_candles([], {"folded:replay:BTCUSDT": "1-9", "invented:BTCUSDT": "7"})
    assert await store.get_meta("folded:replay:BTCUSDT") == "1-9"
    assert await store.get_meta("invented:BTCUSDT") == "7"
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [candle(0, 1, 1, 1, 1, 1)]


async def test_replace_candles_deletes_the_range_then_puts_the_rows(store: Store) -> None:
    """History replacing invented candles: nothing of the range survives but the new rows."""
    await store.upsert_candles([candle(i * MINUTE, 5, 5, 5, 5, 1) for i in range(5)])
    await store.upsert_candles([candle(0, 9, 9, 9, 9, 9, duration="5m")])
    await store.replace_candles(
        "BTCUSDT", "1m", MINUTE, 4 * MINUTE, [candle(2 * MINUTE, 7, 8, 6, 7, BIG)]
    )
    assert await store.candles("BTCUSDT", "1m", None, None, 10) == [
        candle(0, 5, 5, 5, 5, 1),
        candle(2 * MINUTE, 7, 8, 6, 7, BIG),
        candle(4 * MINUTE, 5, 5, 5, 5, 1),
    ]
    assert await store.candles("BTCUSDT", "5m", None, None, 10) == [
        candle(0, 9, 9, 9, 9, 9, duration="5m")
    ]
