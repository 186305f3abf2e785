"""A prune of a long journal, or of a long trade history, runs in steps of ``PRUNE_STEP`` rows,
each its own transaction.

It was one DELETE of everything at once. Turning ``--prune-journal`` on for a database with
months of journal (or starting after a long stop, with a trade history past its retention)
then held SQLite's one write connection for the whole DELETE, so every order's commit waited
behind it, and on PostgreSQL the statement ran into the 30 s command timeout, failed, and
failed again at every snapshot: the journal was never pruned."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.store.test_store_contract import events, journal
from tests.store.test_store_market import trade
from velox.store import sqlstore
from velox.store.base import Store
from velox.store.records import SnapshotRecord
from velox.store.sqlite import SqliteStore

STEP = 4


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlstore, "PRUNE_STEP", STEP, raising=False)


def count_deletes(store: Store, monkeypatch: pytest.MonkeyPatch, table: str) -> list[int]:
    """The rows each DELETE of ``table`` removed, in order."""
    removed: list[int] = []
    execute = store._execute  # type: ignore[attr-defined]

    async def counting(sql: str, args: Any) -> int:
        changed: int = await execute(sql, args)
        if sql.startswith(f"DELETE FROM {table} "):
            removed.append(changed)
        return changed

    monkeypatch.setattr(store, "_execute", counting)
    return removed


async def test_a_long_journal_goes_in_steps(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.append_batch(events(1, 25), [])
    for seq in (10, 22):
        await store.save_snapshot(SnapshotRecord(seq, seq, b"s"))
    removed = count_deletes(store, monkeypatch, "journal")
    await store.prune(keep_snapshots=1, prune_journal=True)
    assert removed == [4, 4, 4, 4, 4, 2]
    assert await journal(store) == events(23, 25)
    assert [s.seq for s in await store.snapshots()] == [22]


async def test_a_long_trade_history_goes_in_steps(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # trades 1-11 at ts 100-110, 12-14 at ts 111 (one instant), 15-16 at 200 and later
    stamps = [100 + i for i in range(11)] + [111] * 3 + [200, 300]
    await store.insert_trades([trade(i + 1, ts=ts) for i, ts in enumerate(stamps)])
    removed = count_deletes(store, monkeypatch, "trades")
    assert await store.prune_trades(before_ts=200) == 14
    assert removed == [4, 4, 3, 3]  # the three trades at ts 111 were one step
    assert await store.prune_trades(before_ts=200) == 0
    # pruned ids are free again; the kept ones are still duplicates
    assert await store.insert_trades([trade(1, ts=100), trade(15, ts=200)]) == [trade(1, ts=100)]


async def test_a_trade_prune_steps_past_one_instant_of_many_trades(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(Not a regression: the steps must not stop, or loop, at an instant of many trades.)"""
    await store.insert_trades([trade(i, ts=100) for i in range(1, 11)] + [trade(11, ts=150)])
    assert await store.prune_trades(before_ts=150) == 10  # more than a step at one ts
    assert await store.prune_trades(before_ts=151) == 1


async def test_orders_commit_between_the_steps_of_a_journal_prune(
    sqlite_store: SqliteStore,
) -> None:
    """SQLite has one write connection: an order's commit waited for the whole prune."""
    await sqlite_store.append_batch(events(1, 25), [])
    await sqlite_store.save_snapshot(SnapshotRecord(22, 22, b"s"))
    prune = asyncio.create_task(sqlite_store.prune(keep_snapshots=1, prune_journal=True))
    await asyncio.sleep(0)  # the prune has begun
    await sqlite_store.append_batch(events(26, 26), [])  # an order's commit
    still_there = [e.seq for e in await journal(sqlite_store) if e.seq <= 22]
    await prune
    assert still_there, "the commit waited until the whole prune had ended"
    assert await journal(sqlite_store) == events(23, 26)
