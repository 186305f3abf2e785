"""Paging back through an account's ended orders, on SQLite and PostgreSQL (the native
``GET /user/orders?status=`` list): newest first by when each order ended (``updated_at``;
a closed position's ``closed_at``), within [start, end] (ms, inclusive) and one asset when
given; ties at one millisecond by id as a number ("10" after "9"). A PENDING order is still
listed by when it was placed."""

from __future__ import annotations

from dataclasses import replace

from tests.store.helpers import closed_order, query_plan
from tests.store.test_store_v2 import T0, placed
from velox.projection import placed_record
from velox.store.base import Store
from velox.store.pages import page_query, where_equal
from velox.store.records import OrderRecord, RowWrite
from velox.store.schema import ORDER_COLUMNS


def order(order_id: str, status: str, created_at: int, ended_at: int, **kw: object) -> OrderRecord:
    row = placed_record(placed(order_id, created_at))
    return replace(row, status=status, reserved=0, updated_at=ended_at, **kw)  # type: ignore[arg-type]


async def write(store: Store, rows: list[OrderRecord]) -> None:
    await store.append_batch([], [], [RowWrite("order", r) for r in rows])


async def ended(store: Store, status: str, limit: int = 50, **kw: object) -> list[str]:
    rows = await store.orders_for_account("1", status, limit, **kw)  # type: ignore[arg-type]
    return [r.order_id for r in rows]


async def test_cancelled_orders_newest_ended_first_paged_back_by_end(store: Store) -> None:
    """Twelve orders cancelled one ms apart, created in the opposite order: the list follows
    the cancel time, and ``end`` = the oldest seen - 1 reaches every one, none twice."""
    await write(store, [order(str(i), "CANCELLED", T0 - i, T0 + i) for i in range(1, 13)])
    await write(store, [
        order("40", "CANCELLED", T0, T0 + 5, account_id="2"),  # another account
        order("41", "EXPIRED", T0, T0 + 5),  # another status
    ])  # fmt: skip
    assert await ended(store, "CANCELLED") == [str(i) for i in range(12, 0, -1)]
    seen: list[str] = []
    end = None
    while page := await store.orders_for_account("1", "CANCELLED", 5, end=end):
        seen += [r.order_id for r in page]
        end = page[-1].updated_at - 1
    assert seen == [str(i) for i in range(12, 0, -1)]
    assert await ended(store, "EXPIRED") == ["41"]


async def test_ended_orders_within_a_window_and_of_one_asset(store: Store) -> None:
    rows = [order(str(i), "FILLED", T0, T0 + 10 * i) for i in range(1, 6)]
    rows[1] = replace(rows[1], asset="ETHUSDT")  # order 2, ended at T0 + 20
    await write(store, rows)
    assert await ended(store, "FILLED", start=T0 + 20, end=T0 + 40) == ["4", "3", "2"]
    assert await ended(store, "FILLED", start=T0 + 21, end=T0 + 39) == ["3"]
    assert await ended(store, "FILLED", asset="BTCUSDT", end=T0 + 30) == ["3", "1"]
    assert await ended(store, "FILLED", asset="ETHUSDT") == ["2"]
    assert await ended(store, "FILLED", asset="SOLUSDT") == []
    assert await ended(store, "FILLED", start=T0 + 41, end=T0 + 40) == []
    assert await ended(store, "FILLED", 2, start=T0) == ["5", "4"]


async def test_ties_at_one_millisecond_go_by_id_as_a_number(store: Store) -> None:
    ids = ["9", "10", "2", "11", "100", "1"]
    await write(store, [order(i, "REJECTED", T0, T0 + 7) for i in ids])
    await write(store, [order("3", "REJECTED", T0, T0 + 8), order("99", "REJECTED", T0, T0 + 6)])
    assert await ended(store, "REJECTED") == ["3", "100", "11", "10", "9", "2", "1", "99"]
    assert await ended(store, "REJECTED", 3, end=T0 + 7) == ["100", "11", "10"]


async def test_pending_orders_stay_by_when_they_were_placed(store: Store) -> None:
    """A modification moves ``updated_at``, never a pending order's place in its list."""
    await write(store, [order("1", "PENDING", T0 + 2, T0 + 9),
                        order("2", "PENDING", T0 + 1, T0 + 1),
                        order("3", "PENDING", T0 + 3, T0 + 3)])  # fmt: skip
    assert await ended(store, "PENDING") == ["3", "1", "2"]
    assert await ended(store, "PENDING", start=T0 + 2) == ["3", "1"]


async def test_the_ended_orders_page_is_served_by_an_index(store: Store, db_url: str) -> None:
    await write(store, [order("1", "CANCELLED", T0, T0 + 1)])
    cancelled = where_equal(account_id="1", status="CANCELLED")
    sql, args = page_query(
        "orders", ORDER_COLUMNS, "order_id", "updated_at", cancelled, None, None, T0 + 5, 50
    )
    plan = await query_plan(db_url, sql, args)
    assert "orders_by_status_ended" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sort step


async def test_closed_orders_paged_back_by_closed_at(store: Store) -> None:
    rows = [closed_order(str(i), closed_at=T0 + i, account_id="1") for i in range(1, 9)]
    rows[2] = replace(rows[2], asset="ETHUSDT")  # order 3
    rows[4] = replace(rows[4], account_id=None)  # order 5: written before accounts
    rows[5] = replace(rows[5], closed_at=T0 + 7)  # orders 6 and 7 tie at T0 + 7
    rows[3] = replace(rows[3], close_reason="LIQUIDATION")  # order 4
    await store.append_batch([], [*rows, closed_order("50", closed_at=T0, account_id="2")])

    async def closed(limit: int = 50, first: bool = True, **kw: object) -> list[str]:
        page = await store.closed_orders_for_account("u1", "1", first, limit, **kw)  # type: ignore[arg-type]
        return [r.order_id for r in page]

    assert await closed() == ["8", "7", "6", "5", "4", "3", "2", "1"]
    assert await closed(first=False) == ["8", "7", "6", "4", "3", "2", "1"]
    assert await closed(3) == ["8", "7", "6"]
    assert await closed(3, end=T0 + 6) == ["5", "4", "3"]
    assert await closed(3, end=T0 + 2) == ["2", "1"]
    assert await closed(start=T0 + 3, end=T0 + 5) == ["5", "4", "3"]
    assert await closed(asset="ETHUSDT") == ["3"]
    assert await closed(first=False, asset="BTCUSDT", start=T0 + 4) == ["8", "7", "6", "4"]
    assert await closed(start=T0 + 9) == []
    assert await closed(reason="LIQUIDATION") == ["4"]  # /fapi/v1/forceOrders
    assert await closed(reason="LIQUIDATION", asset="ETHUSDT") == []


async def test_closed_orders_read_by_their_ids(store: Store) -> None:
    """``closed_orders_of``: the rows named (a position's whole close has its id), whole,
    absent ids left out, more ids than one statement takes."""
    rows = [closed_order(str(i), closed_at=T0 + i, take_profit=i * 10**8) for i in (2, 9, 10)]
    await store.append_batch([], rows)
    found = await store.closed_orders_of(["10", "404", "2"])
    assert sorted(found, key=lambda r: int(r.order_id)) == [rows[0], rows[2]]
    many = [str(i) for i in range(100, 1300)] + ["9"]
    assert await store.closed_orders_of(many) == [rows[1]]
    assert await store.closed_orders_of([]) == []


async def test_all_orders_pages_are_served_by_an_index(store: Store, db_url: str) -> None:
    """Binance's ``allOrders`` (``orders_for_asset``): before ``orders_by_asset`` SQLite
    searched ``orders_by_client`` and sorted every order of the account for each page
    (``USE TEMP B-TREE FOR ORDER BY``)."""
    await write(store, [order("1", "CANCELLED", T0, T0 + 1)])
    for oldest_first, from_id, order_type in ((False, None, None), (True, 1, None),
                                              (True, None, "STOP")):  # fmt: skip
        typed = {} if order_type is None else {"order_type": order_type}
        sql, args = page_query(
            "orders", ORDER_COLUMNS, "order_id", "created_at", where_equal(account_id="1", **typed),
            "BTCUSDT", T0 - 5, T0 + 5, 50, from_id, oldest_first,
        )  # fmt: skip
        plan = await query_plan(db_url, sql, args)
        assert "orders_by_asset" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sort step
