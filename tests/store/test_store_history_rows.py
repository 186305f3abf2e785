"""Keyset pages of the history (``velox.store.history_rows``), on SQLite and PostgreSQL:
every closed position of a window is reached a page at a time, none twice, however many
share one millisecond (a gap liquidates many positions in one tick), and ids order as
numbers ("10" after "9")."""

from __future__ import annotations

from tests.store.helpers import closed_order
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord

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
