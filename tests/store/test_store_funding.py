"""The ``funding`` table on SQLite and PostgreSQL: one row per FundingCharged, written by the
group commit (``commit_rows``) in the journal's transaction, read back exactly per account
(newest boundary first, asset and time range filters) and per boundary (first charge)."""

from __future__ import annotations

import pytest

from tests.store.helpers import BIG, DUPLICATE_KEY
from velox.engine.events import Event, FundingCharged
from velox.journal.rows import commit_rows
from velox.money import Money, Price
from velox.store.base import Store
from velox.store.records import FundingRecord

H8 = 28_800_000
B1, B2 = 20_000 * H8, 20_001 * H8


def charged(order_id: str, account: str, asset: str, boundary: int, ref: int, rate: int,
            amount: int, ts: int) -> FundingCharged:  # fmt: skip
    return FundingCharged(order_id, account, "u" + account, asset, boundary, Price(ref), rate,
                          Money(amount), Money(0), Price(0), ts)  # fmt: skip


async def commit(store: Store, after: int, events: list[Event]) -> None:
    rows = commit_rows(events, after)
    await store.append_batch(rows.records, list(rows.closed.values()), rows.writes)


async def test_charges_are_rows_read_newest_boundary_first(store: Store) -> None:
    await commit(store, 0, [
        charged("5", "1", "BTCUSDT", B1, 100_500 * 10**8, 10_000, -25_112_438, B1 + 5),
        charged("6", "1", "ETHUSDT", B1, 2_000 * 10**8, 10_000, BIG, B1 + 5),
        charged("7", "2", "BTCUSDT", B1, 100_600 * 10**8, 10_000, 3, B1 + 9),
    ])  # fmt: skip
    await commit(store, 3, [
        charged("5", "1", "BTCUSDT", B2, 99_000 * 10**8, -25_000, -BIG, B2 + 1),
    ])  # fmt: skip
    mine = await store.funding_for_account("1", None, None, None, 10)
    assert mine == [
        FundingRecord("5", B2, "1", "u1", "BTCUSDT", 99_000 * 10**8, -25_000, -BIG, 4, B2 + 1),
        FundingRecord("6", B1, "1", "u1", "ETHUSDT", 2_000 * 10**8, 10_000, BIG, 2, B1 + 5),
        FundingRecord("5", B1, "1", "u1", "BTCUSDT", 100_500 * 10**8, 10_000, -25_112_438, 1,
                      B1 + 5),
    ]  # fmt: skip
    assert [(f.order_id, f.boundary) for f in
            await store.funding_for_account("1", "BTCUSDT", B1, B1, 10)] == [("5", B1)]  # fmt: skip
    assert [f.seq for f in await store.funding_for_account("1", None, B1 + 1, None, 10)] == [4]
    assert [f.seq for f in await store.funding_for_account("1", None, None, None, 1)] == [4]
    assert await store.funding_for_account("3", None, None, None, 10) == []
    assert [f.seq async for f in store.all_funding()] == [1, 2, 3, 4]


async def test_boundaries_are_the_first_charge_of_each_symbol_and_boundary(store: Store) -> None:
    await commit(store, 0, [
        charged("5", "1", "BTCUSDT", B1, 100_500 * 10**8, 10_000, -1, B1 + 5),
        charged("7", "2", "BTCUSDT", B1, 100_600 * 10**8, 10_000, -1, B1 + 9),
        charged("6", "1", "ETHUSDT", B1, 2_000 * 10**8, 10_000, 1, B1 + 5),
        charged("5", "1", "BTCUSDT", B2, 99_000 * 10**8, -25_000, 1, B2 + 1),
    ])  # fmt: skip
    await commit(store, 4, [  # a later commit of the same boundary keeps the first charge
        charged("8", "3", "BTCUSDT", B1, 100_700 * 10**8, 10_000, -1, B1 + 20),
    ])  # fmt: skip
    newest = await store.funding_boundaries(None, None, None, 10)
    assert [(f.asset, f.boundary, f.mark_price, f.rate) for f in newest] == [
        ("BTCUSDT", B2, 99_000 * 10**8, -25_000),
        ("ETHUSDT", B1, 2_000 * 10**8, 10_000),
        ("BTCUSDT", B1, 100_500 * 10**8, 10_000),  # the first charge's mark, not a later one
    ]
    btc = await store.funding_boundaries("BTCUSDT", None, None, 10, oldest_first=True)
    assert [f.boundary for f in btc] == [B1, B2]
    assert [f.boundary for f in await store.funding_boundaries("BTCUSDT", B1 + 1, None, 1)] == [B2]
    first = await store.funding_boundaries("BTCUSDT", None, None, 1, oldest_first=True)
    assert [f.boundary for f in first] == [B1]
    assert await store.funding_boundaries("SOLUSDT", None, None, 10) == []
    assert [b.seq async for b in store.all_funding_boundaries()] == [1, 3, 4]


async def test_a_charge_commits_with_its_journal_event_only(store: Store) -> None:
    """A commit that fails (the journal seq is taken) leaves no funding row behind."""
    await commit(store, 0, [charged("5", "1", "BTCUSDT", B1, 1, 1, 1, B1)])
    with pytest.raises(DUPLICATE_KEY):
        await commit(store, 0, [charged("5", "1", "BTCUSDT", B2, 1, 1, 1, B2)])
    assert [f.boundary async for f in store.all_funding()] == [B1]


async def test_the_audits_full_scans_read_every_row_past_one_page(store: Store) -> None:
    """``all_funding`` and ``all_funding_boundaries`` page by seq. They took the next page's
    key from the rows' first column (an order id, an asset): past 1,000 rows the audit
    looped forever on SQLite and failed on PostgreSQL (a text bound for an integer)."""
    rows = 1_205
    events: list[Event] = [
        charged(str(i), "1", "BTCUSDT", B1 + i * H8, 100_000 * 10**8, 10_000, -i, B1 + i * H8)
        for i in range(rows)
    ]
    await commit(store, 0, events)
    assert [f.seq async for f in store.all_funding()] == list(range(1, rows + 1))
    boundaries = [b.boundary async for b in store.all_funding_boundaries()]
    assert boundaries == [B1 + i * H8 for i in range(rows)]
