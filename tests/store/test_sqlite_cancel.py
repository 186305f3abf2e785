"""A write cancelled while its BEGIN is on aiosqlite's thread must not leave the write
connection inside a transaction.

The BEGIN was awaited before the part that rolls back on failure: a task cancelled at that
await (a writer stopped, a request gone) released the lock while the BEGIN still ran on the
thread, and every later write on the connection failed with "cannot start a transaction
within a transaction" (seen as a flaky tests/market/test_invented_marks.py, where the trade
writer stops in the middle of its writes)."""

from __future__ import annotations

import asyncio
import contextlib

from velox.store.records import CandleRecord
from velox.store.sqlite import SqliteStore

BAR = CandleRecord("BTCUSDT", "1m", 0, 5, 9, 4, 7, 100)


async def test_a_write_cancelled_at_its_begin_leaves_no_transaction_open(
    sqlite_store: SqliteStore,
) -> None:
    cancelled = asyncio.create_task(sqlite_store.put_candles([BAR]))
    await asyncio.sleep(0)  # the task runs to its first wait: the BEGIN, on the thread
    cancelled.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await cancelled
    later = CandleRecord("ETHUSDT", "1m", 0, 1, 2, 1, 2, 10)
    await sqlite_store.put_candles([later])  # raised OperationalError before the fix
    assert await sqlite_store.candles("ETHUSDT", "1m", None, None, 10) == [later]
