"""The durable engine state (journal, snapshots, closed orders) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.store.helpers import BIG, DUPLICATE_KEY, closed_order, query_plan
from velox.store.base import Store
from velox.store.records import JournalRecord, SnapshotRecord
from velox.store.sqlstore import CLOSED_FOR_USER


def events(first: int, last: int) -> list[JournalRecord]:
    """Events first..last with payloads holding bytes text codecs would mangle."""
    return [
        JournalRecord(seq, 1_700_000_000_000 + seq, f"Type{seq % 3}", bytes([0, 255, seq % 256]))
        for seq in range(first, last + 1)
    ]


async def journal(store: Store, after_seq: int = 0, batch: int = 5000) -> list[JournalRecord]:
    return [e async for e in store.read_journal(after_seq, batch)]


async def test_empty_store(store: Store) -> None:
    assert await store.last_seq() == 0
    assert await journal(store) == []
    assert await store.latest_snapshot() is None
    assert await store.snapshots() == []
    assert await store.closed_order("nope") is None
    assert await store.closed_orders_for_user("u1", 10) == []
    assert [o async for o in store.all_closed_orders()] == []


async def test_append_batch_round_trips_events_and_closed_orders(store: Store) -> None:
    order = closed_order("o1", margin=BIG, pnl=-BIG - 7, stop_loss=BIG + 1, take_profit=3,
                         trailing_stop=0, parent_order_id="o0", settlement=2 * BIG)  # fmt: skip
    await store.append_batch(events(1, 3), [order])
    await store.append_batch([], [])  # an empty group commit is a no-op
    assert await journal(store) == events(1, 3)
    assert await store.last_seq() == 3
    stored = await store.closed_order("o1")
    assert stored == order
    assert stored is not None and stored.pnl == -100_000_000_000_000_000_007
    assert type(stored.margin) is int


async def test_read_journal_streams_across_batch_boundaries(store: Store) -> None:
    await store.append_batch(events(1, 10), [])
    await store.append_batch(events(11, 25), [])
    assert await journal(store, 0, batch=7) == events(1, 25)
    assert await journal(store, 0, batch=5) == events(1, 25)  # ends exactly on a page
    assert await journal(store, 10, batch=4) == events(11, 25)
    assert await journal(store, 25, batch=4) == []
    assert await journal(store, 0, batch=1) == events(1, 25)


async def test_read_journal_lets_the_store_be_used_between_pages(store: Store) -> None:
    await store.append_batch(events(1, 6), [])
    seen = []
    async for event in store.read_journal(0, batch=2):
        # Would deadlock or fail if a page held the connection across the yield.
        assert await asyncio.wait_for(store.last_seq(), 5) == 6
        seen.append(event.seq)
    assert seen == [1, 2, 3, 4, 5, 6]


async def test_read_journal_refuses_an_empty_page_size(store: Store) -> None:
    with pytest.raises(ValueError):
        await journal(store, 0, batch=0)


async def test_batch_is_one_transaction(store: Store) -> None:
    await store.append_batch(events(1, 2), [])
    # seq 2 exists: the whole batch, its new event and its closed order, must roll back.
    with pytest.raises(DUPLICATE_KEY):
        await store.append_batch([*events(3, 3), *events(2, 2)][::-1], [closed_order("o1")])
    assert await journal(store) == events(1, 2)
    assert await store.closed_order("o1") is None
    await store.append_batch(events(3, 3), [closed_order("o1")])  # the store is still usable
    assert await store.last_seq() == 3


async def test_out_of_order_batch_is_refused_before_writing(store: Store) -> None:
    with pytest.raises(ValueError):
        await store.append_batch([*events(2, 2), *events(1, 1)], [closed_order("o1")])
    with pytest.raises(ValueError):
        await store.append_batch([*events(1, 1), *events(1, 1)], [])
    assert await store.last_seq() == 0
    assert await store.closed_order("o1") is None


async def test_closed_orders_upsert_is_idempotent(store: Store) -> None:
    order = closed_order("o1", pnl=BIG)
    await store.append_batch(events(1, 1), [order, order])  # twice in one batch
    await store.append_batch(events(2, 2), [order])  # and again in a later one
    assert [o async for o in store.all_closed_orders()] == [order]
    assert await store.closed_orders_for_user("u1", 10) == [order]


async def test_closed_order_upsert_replaces_the_row(store: Store) -> None:
    await store.append_batch([], [closed_order("o1", close_price=1)])
    await store.append_batch([], [closed_order("o1", close_price=2, close_reason="LIQUIDATED")])
    assert await store.closed_order("o1") == closed_order(
        "o1", close_price=2, close_reason="LIQUIDATED"
    )


async def test_closed_orders_for_user_newest_first_with_ties_by_id(store: Store) -> None:
    rows = [
        closed_order("a", closed_at=300),
        closed_order("b", closed_at=100),
        closed_order("c", closed_at=300),
        closed_order("d", closed_at=200),
        closed_order("e", closed_at=999, user_id="u2"),
    ]
    await store.append_batch([], rows)
    mine = await store.closed_orders_for_user("u1", 10)
    assert [o.order_id for o in mine] == ["c", "a", "d", "b"]
    assert [o.order_id for o in await store.closed_orders_for_user("u1", 2)] == ["c", "a"]
    assert await store.closed_orders_for_user("u1", 0) == []
    assert await store.closed_orders_for_user("u2", 10) == [rows[4]]
    assert await store.closed_orders_for_user("u3", 10) == []
    with pytest.raises(ValueError):
        await store.closed_orders_for_user("u1", -1)


async def test_closed_orders_tie_break_is_numeric_order_id(store: Store) -> None:
    """Order ids are decimal counters: 11 is newer than 9, whatever TEXT order says."""
    ids = ["9", "10", "2", "11", "1", "100"]
    await store.append_batch([], [closed_order(i, closed_at=500) for i in ids])
    await store.append_batch([], [closed_order("3", closed_at=600)])
    mine = await store.closed_orders_for_user("u1", 10)
    assert [o.order_id for o in mine] == ["3", "100", "11", "10", "9", "2", "1"]
    assert [o.order_id for o in await store.closed_orders_for_user("u1", 3)] == ["3", "100", "11"]


async def test_closed_orders_for_user_is_served_by_an_index(store: Store, db_url: str) -> None:
    plan = await query_plan(db_url, CLOSED_FOR_USER, ("u1", 50))
    assert "closed_orders_newest_first" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sort step


async def test_all_closed_orders_pages_through_everything(store: Store) -> None:
    rows = [closed_order(f"o{i:05d}", closed_at=i) for i in range(1005)]
    await store.append_batch([], rows[::-1])
    assert [o async for o in store.all_closed_orders()] == rows


async def test_snapshots_latest_and_order(store: Store) -> None:
    for seq in (5, 15, 10):
        await store.save_snapshot(SnapshotRecord(seq, seq * 1000, b"\x00state" + bytes([seq])))
    assert await store.latest_snapshot() == SnapshotRecord(15, 15000, b"\x00state\x0f")
    assert [s.seq for s in await store.snapshots()] == [5, 10, 15]
    # Saving a snapshot at a seq that has one replaces it (a restart re-snapshots the same seq).
    await store.save_snapshot(SnapshotRecord(15, 16000, b"again"))
    assert await store.latest_snapshot() == SnapshotRecord(15, 16000, b"again")
    assert len(await store.snapshots()) == 3


async def test_prune_keeps_the_journal_by_default(store: Store) -> None:
    await store.append_batch(events(1, 40), [])
    for seq in (10, 20, 30):
        await store.save_snapshot(SnapshotRecord(seq, seq, b"s"))
    await store.prune(keep_snapshots=2, prune_journal=False)
    assert [s.seq for s in await store.snapshots()] == [20, 30]
    assert await journal(store) == events(1, 40)


async def test_prune_journal_drops_rows_the_oldest_kept_snapshot_covers(store: Store) -> None:
    await store.append_batch(events(1, 40), [])
    for seq in (10, 20, 30):
        await store.save_snapshot(SnapshotRecord(seq, seq, b"s"))
    await store.prune(keep_snapshots=2, prune_journal=True)
    assert [s.seq for s in await store.snapshots()] == [20, 30]
    assert await journal(store) == events(21, 40)
    assert await store.last_seq() == 40
    await store.prune(keep_snapshots=1, prune_journal=True)
    assert await store.snapshots() == [SnapshotRecord(30, 30, b"s")]
    assert await journal(store) == events(31, 40)
    await store.prune(keep_snapshots=5, prune_journal=True)  # more than exist: nothing goes
    assert await journal(store) == events(31, 40)


async def test_prune_without_snapshots_keeps_the_journal(store: Store) -> None:
    await store.append_batch(events(1, 3), [])
    await store.prune(keep_snapshots=1, prune_journal=True)
    assert await journal(store) == events(1, 3)


async def test_prune_refuses_to_drop_every_snapshot(store: Store) -> None:
    await store.save_snapshot(SnapshotRecord(1, 1, b"s"))
    with pytest.raises(ValueError):
        await store.prune(keep_snapshots=0, prune_journal=True)
    assert await store.snapshots() == [SnapshotRecord(1, 1, b"s")]


async def test_sqlite_file_is_owner_only(tmp_path: Path) -> None:
    from velox.store.factory import open_store_for

    store = open_store_for(f"sqlite:///{tmp_path / 'private' / 'velox.db'}")
    await store.open()
    await store.close()
    assert (tmp_path / "private" / "velox.db").stat().st_mode & 0o777 == 0o600


async def test_claim_meta_keeps_the_first_value(store: Store) -> None:
    assert await store.claim_meta("claimed", "first") == "first"
    assert await store.claim_meta("claimed", "second") == "first"
    assert await store.get_meta("claimed") == "first"
