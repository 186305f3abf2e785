"""Rows <-> records for the schema version 2 tables (accounts, orders, fills, funding), and
the SQL of each projection write (``RowWrite.kind``): written once for both databases.

Money goes in as decimal text and comes back through ``int()``; booleans are INTEGER 0/1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from velox.store.records import (
    AccountRecord,
    ClosedOrderRecord,
    DepositRecord,
    FillRecord,
    FundingBoundaryRecord,
    FundingRecord,
    OrderRecord,
    RowWrite,
    StopRecord,
)
from velox.store.schema import (
    ACCOUNT_COLUMNS,
    BOOLEAN_COLUMNS,
    BOUNDARY_COLUMNS,
    CLOSED_ORDER_COLUMNS,
    CLOSED_ORDER_MONEY,
    DEPOSIT_COLUMNS,
    DEPOSIT_MONEY,
    FILL_COLUMNS,
    FILL_MONEY,
    FUNDING_COLUMNS,
    FUNDING_MONEY,
    ORDER_COLUMNS,
    ORDER_MONEY,
    STOP_COLUMNS,
    STOP_MONEY,
)


def _params_of(columns: tuple[str, ...], money: frozenset[str]) -> Callable[[Any], list[Any]]:
    """The parameters of a record's row, in ``columns`` order: money as decimal text,
    booleans as 0/1. Built once per table: the fields are read in one C call
    (``attrgetter``) and only the money and boolean columns are converted, since every
    committed order and fill goes through here on the engine's commit path."""
    read = attrgetter(*columns)
    flags = [i for i, c in enumerate(columns) if c in BOOLEAN_COLUMNS]
    amounts = [i for i, c in enumerate(columns) if c in money and c not in BOOLEAN_COLUMNS]

    def params(record: Any) -> list[Any]:
        out = list(read(record)) if len(columns) > 1 else [read(record)]
        for i in flags:
            out[i] = int(bool(out[i]))
        for i in amounts:
            if out[i] is not None:
                out[i] = str(out[i])
        return out

    return params


def _values(row: Iterable[Any], columns: tuple[str, ...], money: frozenset[str]) -> list[Any]:
    out: list[Any] = []
    for column, value in zip(columns, row, strict=True):
        if column in BOOLEAN_COLUMNS:
            value = bool(value)
        elif column in money and value is not None:
            value = int(value)
        out.append(value)
    return out


def account_record(row: Iterable[Any]) -> AccountRecord:
    return AccountRecord(*row)


def order_record(row: Iterable[Any]) -> OrderRecord:
    return OrderRecord(*_values(row, ORDER_COLUMNS, ORDER_MONEY))


def closed_record(row: Iterable[Any]) -> ClosedOrderRecord:
    return ClosedOrderRecord(*_values(row, CLOSED_ORDER_COLUMNS, CLOSED_ORDER_MONEY))


def fill_record(row: Iterable[Any]) -> FillRecord:
    return FillRecord(*_values(row, FILL_COLUMNS, FILL_MONEY))


def funding_record(row: Iterable[Any]) -> FundingRecord:
    return FundingRecord(*_values(row, FUNDING_COLUMNS, FUNDING_MONEY))


def deposit_record(row: Iterable[Any]) -> DepositRecord:
    return DepositRecord(*_values(row, DEPOSIT_COLUMNS, DEPOSIT_MONEY))


def stop_record(row: Iterable[Any]) -> StopRecord:
    return StopRecord(*_values(row, STOP_COLUMNS, STOP_MONEY))


def boundary_record(row: Iterable[Any]) -> FundingBoundaryRecord:
    return FundingBoundaryRecord(*_values(row, BOUNDARY_COLUMNS, FUNDING_MONEY))


_order_params = _params_of(ORDER_COLUMNS, ORDER_MONEY)
_fill_params = _params_of(FILL_COLUMNS, FILL_MONEY)
_terms_params = _params_of(("price", "stop_loss", "take_profit", "trailing_stop"), ORDER_MONEY)


def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_ORDER_INSERT = _insert("orders", ORDER_COLUMNS)

WRITES: dict[str, tuple[str, Callable[[Any], Sequence[Any]]]] = {
    # Replays of a commit that failed after the write are impossible (one transaction), but
    # "insert or replace" keeps every write idempotent all the same.
    "account": (
        _insert("accounts", ACCOUNT_COLUMNS) + " ON CONFLICT (account_id) DO NOTHING",
        lambda r: [r.account_id, r.user_id, r.name, r.mode, r.created_at],
    ),
    "account_name": (
        "UPDATE accounts SET name = ? WHERE account_id = ?",
        lambda r: [r.name, r.account_id],
    ),
    "order": (
        _ORDER_INSERT
        + " ON CONFLICT (order_id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in ORDER_COLUMNS[1:]),
        _order_params,
    ),
    "order_terms": (
        "UPDATE orders SET price = ?, stop_loss = ?, take_profit = ?, trailing_stop = ?, "
        "expires_at = ?, reserved = ?, updated_at = ? WHERE order_id = ?",
        lambda r: [
            *_terms_params(r),
            r.expires_at,
            str(r.reserved),
            r.updated_at,
            r.order_id,
        ],
    ),
    "order_status": (
        _ORDER_INSERT + " ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, "
        "position_id = excluded.position_id, updated_at = excluded.updated_at",
        _order_params,
    ),
    "fill": (_insert("fills", FILL_COLUMNS) + " ON CONFLICT (fill_id) DO NOTHING", _fill_params),
    "funding": (
        _insert("funding", FUNDING_COLUMNS) + " ON CONFLICT (order_id, boundary) DO NOTHING",
        _params_of(FUNDING_COLUMNS, FUNDING_MONEY),
    ),
    "funding_boundary": (
        _insert("funding_boundaries", BOUNDARY_COLUMNS)
        + " ON CONFLICT (asset, boundary) DO NOTHING",
        _params_of(BOUNDARY_COLUMNS, FUNDING_MONEY),
    ),
    "deposit": (
        _insert("deposits", DEPOSIT_COLUMNS) + " ON CONFLICT (seq) DO NOTHING",
        _params_of(DEPOSIT_COLUMNS, DEPOSIT_MONEY),
    ),
    # a stop placed, or changed in place (a new trigger: its updated_at moves, else not)
    "stop": (
        _insert("stop_orders", STOP_COLUMNS)
        + " ON CONFLICT (position_id, kind, stop_id) DO UPDATE SET price = excluded.price, "
        "updated_at = CASE WHEN stop_orders.price = excluded.price "
        "THEN stop_orders.updated_at ELSE excluded.updated_at END",
        _params_of(STOP_COLUMNS, STOP_MONEY),
    ),
    "stop_cancel": (
        "UPDATE stop_orders SET status = 'CANCELED', updated_at = ? "
        "WHERE position_id = ? AND kind = ? AND status = 'NEW'",
        lambda r: [r.updated_at, r.position_id, r.kind],
    ),
    "stop_end": (
        # done_price: the close's, read of the FINISHED one alone
        "UPDATE stop_orders SET status = CASE WHEN kind = ? THEN 'FINISHED' ELSE 'EXPIRED' END, "
        "done_price = ?, qty = ?, updated_at = ? WHERE position_id = ? AND status = 'NEW'",
        lambda r: [r.kind, str(r.done_price), str(r.qty), r.updated_at, r.position_id],
    ),
}

# The table each write kind changes. Writes to different tables commute (no foreign keys),
# so a commit's writes go table by table, each table's in the order they were made.
TABLE_OF = {
    "account": "accounts", "account_name": "accounts",
    "order": "orders", "order_terms": "orders", "order_status": "orders",
    "fill": "fills", "funding": "funding", "funding_boundary": "funding_boundaries",
    "deposit": "deposits", "stop": "stop_orders", "stop_cancel": "stop_orders",
    "stop_end": "stop_orders",
}  # fmt: skip


def write_statements(writes: Sequence[RowWrite]) -> list[tuple[str, list[Sequence[Any]]]]:
    """The executemany statements of a commit's projection writes, as few as order allows.

    Why: 100 opens write order, fill, order, fill, ... and one statement per run of a kind
    made that 200 statements; on PostgreSQL each is a round trip, and a commit of 100 opens
    took 30 ms. By table, then by run of one kind within it, they are two. Within a table
    the order is kept: an order row may be inserted, then marked filled, in one commit."""
    by_table: dict[str, list[RowWrite]] = {}
    for write in writes:
        by_table.setdefault(TABLE_OF[write.kind], []).append(write)
    statements: list[tuple[str, list[Sequence[Any]]]] = []
    for table_writes in by_table.values():
        last_kind = None
        for write in table_writes:
            sql, params = WRITES[write.kind]
            if write.kind != last_kind:
                statements.append((sql, []))
                last_kind = write.kind
            statements[-1][1].append(params(write.record))
    return statements
