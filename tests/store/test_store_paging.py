"""Paging forward through an account's fills and orders (Binance's ``userTrades`` and
``allOrders``), on SQLite and PostgreSQL: ids compare as numbers ("10" after "9"), and
``oldest_first`` takes the oldest ``limit`` rows of the window."""

from __future__ import annotations

from tests.store.test_store_v2 import T0, commit, opened, placed
from velox.store.base import Store

IDS = ["2", "9", "10", "11"]  # as text "10" < "2" < "9": a text order would be wrong


async def four_positions(store: Store) -> None:
    """Four positions opened one ms apart in account 1 on BTCUSDT (order id = fill id), and
    one each on ETHUSDT and in account 2 that no query below may return."""
    await commit(store, 1, [opened(i, T0 + n, i) for n, i in enumerate(IDS)])
    await commit(store, 5, [opened("12", T0, "12", asset="ETHUSDT"),
                            opened("13", T0, "13", account_id="2")])  # fmt: skip


async def test_fills_from_an_id_or_a_time_oldest_first(store: Store) -> None:
    await four_positions(store)

    async def fills(limit: int = 10, **kw: object) -> list[str]:
        start, end = kw.pop("start", None), kw.pop("end", None)
        rows = await store.fills_for_account("1", "BTCUSDT", start, end, limit, **kw)  # type: ignore[arg-type]
        return [f.fill_id for f in rows]

    assert await fills() == ["11", "10", "9", "2"]  # unchanged: newest first
    assert await fills(oldest_first=True) == IDS
    assert await fills(from_id=9, oldest_first=True) == ["9", "10", "11"]
    assert await fills(2, from_id=3, oldest_first=True) == ["9", "10"]
    assert await fills(from_id=12, oldest_first=True) == []
    assert await fills(2, start=T0 + 1, oldest_first=True) == ["9", "10"]
    assert await fills(1, end=T0 + 2, oldest_first=True) == ["2"]
    assert await fills(1, start=T0 + 1, end=T0 + 2) == ["10"]


async def test_orders_of_an_asset_from_an_id_or_a_time(store: Store) -> None:
    await four_positions(store)

    async def orders(limit: int = 10, **kw: object) -> list[str]:
        start, end = kw.pop("start", None), kw.pop("end", None)
        rows = await store.orders_for_asset("1", "BTCUSDT", start, end, limit, **kw)  # type: ignore[arg-type]
        return [o.order_id for o in rows]

    assert await orders() == ["11", "10", "9", "2"]
    assert await orders(2) == ["11", "10"]
    assert await orders(oldest_first=True) == IDS
    assert await orders(from_id=10, oldest_first=True) == ["10", "11"]
    assert await orders(1, from_id=3, oldest_first=True) == ["9"]
    assert await orders(2, start=T0 + 1, oldest_first=True) == ["9", "10"]
    assert await orders(start=T0 + 1, end=T0 + 2, oldest_first=True) == ["9", "10"]
    assert await orders(start=T0 + 9) == []
    assert [o.order_id for o in await store.orders_for_asset("1", "ETHUSDT", None, None, 9)] == [
        "12"
    ]
    assert await orders(order_type="MARKET") == ["11", "10", "9", "2"]  # how they opened
    assert await orders(order_type="STOP") == []  # allAlgoOrders: the resting stops only


async def test_order_fees_sum_each_orders_fills(store: Store) -> None:
    """A FILLED order's ``fee`` comes from its fills (``order_fees``): summed per order,
    ids without fills absent, more ids than one statement takes."""
    await commit(store, 1, [opened("2", T0, "2", fee=70), opened("9", T0, "9", fee=5)])
    await commit(store, 3, [opened("10", T0, "10", fee=2**40)])
    fees = await store.order_fees(["2", "9", "10", "404"])
    assert fees == {"2": 70, "9": 5, "10": 2**40}
    many = [str(i) for i in range(100, 1300)] + ["9"]
    assert await store.order_fees(many) == {"9": 5}
    assert await store.order_fees([]) == {}


async def test_an_orders_fills_are_found_by_its_id(store: Store) -> None:
    """``fills_of_orders``: every fill of the orders named, by fill id as numbers, whatever
    the account's other fills; more ids than one statement takes."""
    await four_positions(store)
    assert [f.fill_id for f in await store.fills_of_orders(["10", "2", "404"])] == ["2", "10"]
    many = [str(i) for i in range(100, 1300)] + ["13", "11"]
    assert [(f.fill_id, f.account_id) for f in await store.fills_of_orders(many)] == [
        ("11", "1"), ("13", "2")
    ]  # fmt: skip
    assert await store.fills_of_orders([]) == []


async def test_a_client_order_id_names_its_newest_order(store: Store) -> None:
    """Binance's API reuses an id once its order has ended: two rows may hold it (the
    unique index of earlier versions would fail the commit), and the id names the newest."""
    await commit(store, 1, [placed("9", T0, client_order_id="grid/7")])
    await commit(store, 2, [placed("10", T0 + 1, client_order_id="grid/7")])
    found = await store.order_by_client_id("1", "grid/7")
    assert found is not None and found.order_id == "10"
    assert await store.order_by_client_id("2", "grid/7") is None
