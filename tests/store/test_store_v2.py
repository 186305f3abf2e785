"""Schema version 2 on SQLite and PostgreSQL: accounts, orders and fills written by the group
commit from the journal's events (velox/projection.py), read back exactly; older databases
refused before anything is written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.store.helpers import BIG
from velox.engine.events import (
    AccountCreated,
    AccountRenamed,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
)
from velox.money import Money, Price, Qty
from velox.projection import project
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.records import FillRecord, JournalRecord
from velox.store.schema import SchemaVersionError

T0 = 1_700_000_000_000


def placed(order_id: str, ts: int, **kw: object) -> OrderPlaced:
    terms: dict[str, object] = dict(
        order_id=order_id, account_id="1", user_id="u1", asset="BTCUSDT", side="LONG",
        order_type="LIMIT", leverage=10, price=Price(90_000 * 10**8), margin=Money(100 * 10**8),
        qty=None, reserved=Money(100 * 10**8), stop_loss=None, take_profit=None,
        trailing_stop=None, expires_at=None, client_order_id=None, oco_group_id=None,
        reduce_only=False, ts=ts,
    )  # fmt: skip
    terms.update(kw)
    return OrderPlaced(**terms)  # type: ignore[arg-type]


def opened(order_id: str, ts: int, fill_id: str, **kw: object) -> PositionOpened:
    terms: dict[str, object] = dict(
        order_id=order_id, user_id="u1", asset="BTCUSDT", side="LONG", leverage=10,
        margin=Money(100 * 10**8), qty=Qty(1_111_111), open_price=Price(90_000 * 10**8),
        liquidation_price=Price(81_000 * 10**8), stop_loss=None, take_profit=None,
        trailing_stop=None, trailing_mark=None, ts=ts, account_id="1", fee=Money(55),
        maker=True, fill_id=fill_id,
    )  # fmt: skip
    terms.update(kw)
    return PositionOpened(**terms)  # type: ignore[arg-type]


async def commit(store: Store, first_seq: int, events: list[object]) -> None:
    records = [JournalRecord(first_seq + i, T0, "X", b"") for i in range(len(events))]
    await store.append_batch(records, [], project(events))  # type: ignore[arg-type]


async def test_accounts_are_listed_oldest_first_by_number_and_renamed(store: Store) -> None:
    await commit(store, 1, [
        AccountCreated("10", "u1", "Bot", "NETTING", T0 + 2),
        AccountCreated("9", "u1", "Main", "HEDGING", T0 + 1),
        AccountCreated("11", "u2", "Other", "HEDGING", T0 + 3),
        AccountRenamed("10", "u1", "Grid bot", T0 + 4),
    ])  # fmt: skip
    accounts = await store.accounts_for_user("u1")
    assert [(a.account_id, a.name, a.mode) for a in accounts] == [
        ("9", "Main", "HEDGING"),
        ("10", "Grid bot", "NETTING"),
    ]
    assert (await store.account("11")) is not None
    assert await store.account("12") is None


async def test_a_pending_order_is_modified_then_filled_keeping_its_terms(store: Store) -> None:
    await commit(store, 1, [placed("7", T0, client_order_id="bot-1", expires_at=T0 + 9)])
    await commit(store, 2, [
        OrderModified("7", "1", "u1", Price(BIG), None, Price(95_000 * 10**8), None, None,
                      Money(BIG // 10), T0 + 1),
    ])  # fmt: skip
    pending = await store.orders_for_account("1", "PENDING", 10)
    assert [(o.order_id, o.price, o.reserved, o.take_profit, o.expires_at) for o in pending] == [
        ("7", BIG, BIG // 10, 95_000 * 10**8, None)
    ]
    await commit(store, 3, [opened("7", T0 + 2, "1", order_type="LIMIT", created_at=T0)])
    order = await store.order_by_client_id("1", "bot-1")
    assert order is not None
    assert (order.status, order.position_id, order.price, order.created_at) == (
        "OPEN",
        "7",
        BIG,
        T0,
    )
    assert await store.orders_for_account("1", "PENDING", 10) == []
    assert await store.order_by_client_id("2", "bot-1") is None  # per account


async def test_an_order_row_keeps_its_time_in_force_to_its_end(store: Store) -> None:
    """Schema version 5: the row says the time in force it was placed with, also once the
    order has filled (the fill's write changes its status only) or filled at once."""
    await commit(store, 1, [placed("7", T0, time_in_force="GTX"), placed("8", T0)])
    await commit(store, 3, [
        opened("7", T0 + 2, "1", order_type="LIMIT", time_in_force="GTC"),
        opened("9", T0 + 3, "2", order_type="LIMIT", time_in_force="FOK"),
    ])  # fmt: skip
    rows = [await store.order(i) for i in ("7", "8", "9")]
    assert [(r.status, r.time_in_force) for r in rows if r is not None] == [
        ("OPEN", "GTX"), ("PENDING", "GTC"), ("OPEN", "FOK")
    ]  # fmt: skip


async def test_cancelled_orders_newest_first_and_a_market_order_gets_its_row(store: Store) -> None:
    first, second = placed("3", T0), placed("4", T0 + 1, oco_group_id="3")
    await commit(store, 1, [first, second])
    cancel = [
        OrderCancelled(o.order_id, "1", "u1", "CANCELLED", reason, o.reserved, T0 + 5, o.asset,
                       o.side, o.order_type, o.leverage, o.price, o.margin, o.qty, None, None,
                       None, None, None, o.oco_group_id, False, o.ts)
        for o, reason in ((first, "USER"), (second, "OCO"))
    ]  # fmt: skip
    await commit(store, 3, [*cancel, opened("5", T0 + 6, "1", maker=False, client_order_id="m")])
    rows = await store.orders_for_account("1", "CANCELLED", 10)
    assert [(o.order_id, o.cancel_reason, o.reserved) for o in rows] == [
        ("4", "OCO", 0),
        ("3", "USER", 0),
    ]
    market = await store.order("5")
    assert market is not None and (market.status, market.order_type) == ("OPEN", "MARKET")


def scale_in_then_close(scale_in_fee: int, close_fee: int) -> list[Any]:
    """Position 5 opened (fill 1, fee 55), scaled in by order 6 (fill 2), closed at a loss of
    BIG by order 8 (fill 10). Its margin (2 BIG) covers the loss and the fee: the fill
    reports them whole (a capped settlement's fill reports what was paid: a24280c)."""
    inc = PositionIncreased(
        "6", "5", "1", "u1", "BTCUSDT", "LONG", 10, Qty(2), Money(3), Price(4),
        Money(scale_in_fee), False, "2", Money(0), Qty(5), Money(6), Price(7), Price(1), None,
        None, None, None, T0 + 1,
    )  # fmt: skip
    closed = PositionClosed(
        "5", "u1", "REDUCE", Price(8), Money(-BIG), Money(BIG - close_fee), T0 + 2, "BTCUSDT",
        "LONG", 10, Money(2 * BIG), Qty(5), Price(7), Price(1), None, None, None, T0,
        account_id="1", close_fee=Money(close_fee), fill_id="10", by_order_id="8",
    )  # fmt: skip
    return [opened("5", T0, "1"), inc, closed]


async def test_fills_of_opens_scale_ins_and_closes_newest_first(store: Store) -> None:
    await commit(store, 1, scale_in_then_close(1, 9))
    fills = await store.fills_for_account("1", None, None, None, 10)
    assert fills == [
        FillRecord("10", "8", "5", "1", "u1", "BTCUSDT", "SELL", 8, 5, 9, -BIG, False, T0 + 2),
        FillRecord("2", "6", "5", "1", "u1", "BTCUSDT", "BUY", 4, 2, 1, 0, False, T0 + 1),
        FillRecord("1", "5", "5", "1", "u1", "BTCUSDT", "BUY", 90_000 * 10**8, 1_111_111, 55,
                   0, True, T0),
    ]  # fmt: skip
    assert [
        f.fill_id for f in await store.fills_for_account("1", "BTCUSDT", T0 + 1, T0 + 1, 9)
    ] == ["2"]
    assert await store.fills_for_account("1", "ETHUSDT", None, None, 10) == []
    assert [f.fill_id for f in await store.fills_for_account("1", None, None, None, 1)] == ["10"]
    assert sorted([f.fill_id async for f in store.all_fills()]) == ["1", "10", "2"]


async def test_fills_with_an_income_of_a_kind(store: Store) -> None:
    """/fapi/v1/income reads only the fills that have an entry of the kind asked for (it
    read every fill of an account that mostly opened: an outside review)."""
    await commit(store, 1, scale_in_then_close(0, 0))
    assert [f.fee for f in await store.fills_for_account("1", None, None, None, 9)] == [0, 0, 55]

    async def ids(kind: str) -> list[str]:
        return [f.fill_id for f in await store.fills_for_account("1", None, None, None, 9,
                                                                 incomes=kind)]  # fmt: skip

    assert await ids("REALIZED_PNL") == ["10"]  # a loss, no fee
    assert await ids("COMMISSION") == ["1"]  # a fee, no PnL
    assert await ids("ANY") == ["10", "1"]  # not the free scale-in
    reducer = await store.order("8")
    assert reducer is not None and (reducer.status, reducer.side, reducer.position_id) == (
        "FILLED",
        "SHORT",
        "5",
    )
    joined = await store.order("6")
    assert joined is not None and (joined.status, joined.position_id) == ("FILLED", "5")


@pytest.mark.parametrize("writer", [True, False])
async def test_a_version_1_database_is_refused_before_anything_is_written(
    db_url: str, writer: bool
) -> None:
    store = open_store_for(db_url)
    await store.open()
    await store.set_meta("schema_version", "1")
    await store.close()
    with pytest.raises(SchemaVersionError, match="older Velox"):
        await open_store_for(db_url).open(writer=writer)
    reader = open_store_for(db_url)
    with pytest.raises(SchemaVersionError):
        await reader.open(writer=True)


async def test_orders_by_ids_reads_many_rows_in_pages_and_leaves_out_absent_ids(
    store: Store,
) -> None:
    """One batched read per list (closed positions get their orders' terms from it): more
    ids than one query takes, a repeated id, and ids with no row."""
    events = [placed(str(n), T0 + n, client_order_id=f"c{n}") for n in range(1, 1202)]
    await commit(store, 1, events)  # type: ignore[arg-type]
    wanted = [str(n) for n in range(1, 1202)] + ["7", "999999", "1202"]
    rows = await store.orders_by_ids(wanted)
    assert sorted(rows, key=int) == [str(n) for n in range(1, 1202)]
    assert rows["1201"] == await store.order("1201")
    assert (rows["7"].client_order_id, rows["7"].order_type, rows["7"].created_at) == (
        "c7", "LIMIT", T0 + 7
    )  # fmt: skip
    assert await store.orders_by_ids([]) == {}
    assert await store.orders_by_ids(["42424242"]) == {}
