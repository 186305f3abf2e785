"""Keyset pages of the history (``velox.store.history_rows``), on SQLite and PostgreSQL:
every closed position of a window is reached a page at a time, none twice, however many
share one millisecond (a gap liquidates many positions in one tick), and ids order as
numbers ("10" after "9")."""

from __future__ import annotations

from tests.store.helpers import closed_order, query_plan
from velox.store.base import Store
from velox.store.pages import page_query
from velox.store.records import ClosedOrderRecord
from velox.store.schema import CLOSED_ORDER_COLUMNS, FILL_COLUMNS

T = 1_700_000_100_000


async def walk(
    store: Store, size: int, oldest_first: bool, asset: str | None = None,
    start: int | None = None, end: int | None = None,
) -> list[list[str]]:  # fmt: skip
    pages: list[list[str]] = []
    after = None
    while True:
        page: list[ClosedOrderRecord] = await store.closed_orders_page(
            "u1", None, True, size, asset=asset, start=start, end=end, after=after,
            oldest_first=oldest_first,
        )  # fmt: skip
        if not page:
            return pages
        assert len(page) <= size
        pages.append([r.order_id for r in page])
        after = (page[-1].closed_at, page[-1].order_id)


async def test_pages_walk_every_row_through_ties(store: Store) -> None:
    # 1..12 closed at one instant, 13 a millisecond later, 14 before; 20 on ETH; 30 another user's
    rows = [closed_order(str(i), closed_at=T) for i in range(1, 13)]
    rows += [closed_order("13", closed_at=T + 1), closed_order("14", closed_at=T - 1)]
    rows += [closed_order("20", closed_at=T, asset="ETHUSDT")]
    rows += [closed_order("30", closed_at=T, user_id="u2")]
    await store.append_batch([], rows)
    oldest = ["14", *[str(i) for i in range(1, 13)], "20", "13"]
    pages = await walk(store, 5, True)
    assert [i for p in pages for i in p] == oldest
    assert [len(p) for p in pages] == [5, 5, 5]
    newest = await walk(store, 4, False)
    assert [i for p in newest for i in p] == oldest[::-1]
    btc = await walk(store, 3, True, asset="BTCUSDT", start=T, end=T)
    assert [i for p in btc for i in p] == [str(i) for i in range(1, 13)]
    assert await walk(store, 3, True, asset="SOLUSDT") == []


async def test_a_page_seeks_the_index_to_its_key(store: Store, db_url: str) -> None:
    """Each page starts at its key in ``closed_orders_by_account`` (``fills_newest_first``):
    without the plain range term SQLite walked the account's rows from the start at every
    page (rev7's copy: 0.22 s a page half way through 119,400 rows, 0.01 s with it)."""
    await store.append_batch([], [closed_order("1", closed_at=T, account_id="2")])
    cases = (
        ("closed_orders", CLOSED_ORDER_COLUMNS, "order_id", "closed_at",
         "closed_orders_by_account"),
        ("fills", FILL_COLUMNS, "fill_id", "time", "fills_newest_first"),
    )  # fmt: skip
    for table, columns, id_column, time_column, index in cases:
        for oldest_first in (True, False):
            sql, args = page_query(
                table, columns, id_column, time_column, ("account_id = ?", ["2"]), None, None,
                None, 1000, oldest_first=oldest_first, after=(T, "5"),
            )  # fmt: skip
            plan = await query_plan(db_url, sql, args)
            assert index in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan
            if db_url.startswith("sqlite"):
                assert f"{time_column}>" in plan or f"{time_column}<" in plan, plan
