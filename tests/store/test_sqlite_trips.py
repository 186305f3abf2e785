"""Each SQLite write transaction is one trip to aiosqlite's thread (issue 11, section 6).

Under load an event-loop turn takes milliseconds, and every ``await`` on aiosqlite costs one
turn there and back. The trade writer took one trip per trade and two per candle while
holding the write lock, so the journal's group commit (about 1 ms of SQLite work) waited
14 ms for it on average and durable opens halved. Counted here as trips, not timed: a
commit of any size, a batch of trades or of candles is one trip each, with the same rows."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest

from tests.store.helpers import closed_order
from tests.store.test_store_contract import events
from tests.store.test_store_v2 import opened
from velox.engine.events import Event
from velox.projection import project
from velox.store.records import CandleRecord, TradeRecord
from velox.store.sqlite import SqliteStore


def count_trips(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Trips to the writer connection's thread from now on (its readers' are not counted)."""
    writer = store._conn
    trips = [0]
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self is writer:
            trips[0] += 1
        return await execute(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return trips


async def test_a_batch_of_trades_is_one_trip(
    sqlite_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(sqlite_store, monkeypatch)
    trades = [TradeRecord("BTCUSDT", i, 100 + i, 1, 1_000 + i) for i in range(100)]
    assert await sqlite_store.insert_trades(trades) == trades
    assert await sqlite_store.insert_trades([*trades[50:], TradeRecord("ETHUSDT", 7, 5, 1, 9)]) == [
        TradeRecord("ETHUSDT", 7, 5, 1, 9)
    ]  # the repeats were stored already
    assert trips == [2]


async def test_a_batch_of_candles_is_one_trip_and_repeats_merge(
    sqlite_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(sqlite_store, monkeypatch)
    bars = [CandleRecord("BTCUSDT", "1m", 60_000 * i, 5, 9, 4, 7, 100) for i in range(50)]
    later = CandleRecord("BTCUSDT", "1m", 0, 6, 12, 3, 8, 50)  # the same minute as bars[0]
    await sqlite_store.upsert_candles([*bars, later])
    assert trips == [1]
    (first,) = await sqlite_store.candles("BTCUSDT", "1m", 0, 0, 10)
    assert first == CandleRecord("BTCUSDT", "1m", 0, 5, 12, 3, 8, 150)


async def test_a_group_commit_is_one_trip_whatever_its_size(
    sqlite_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(sqlite_store, monkeypatch)
    positions: list[Event] = [opened(str(i), 1_000 + i, str(i)) for i in range(1, 41)]
    await sqlite_store.append_batch(events(1, 40), [closed_order("9")], project(positions))
    assert trips == [1]
    assert await sqlite_store.last_seq() == 40
    assert len(await sqlite_store.fills_for_account("1", "BTCUSDT", None, None, 100)) == 40
