"""An account's fills and orders a page at a time: SQL shared by SQLite and PostgreSQL.

A mixin of ``SqlStore`` (which supplies the reader connections). Newest first by default,
as the native API lists them; Binance's ``userTrades`` and ``allOrders`` page forward
instead, so ``oldest_first`` takes the oldest ``limit`` rows of the window and ``from_id``
starts at an id. Ids are decimal text, compared as numbers (length, then text: "10" comes
after "9"), the way every list of them here is ordered.

Each list is ordered by the time its window filters on, so a client pages back by asking
again with ``end`` = the oldest time it has seen - 1. An ended order's time is when it
ended (``updated_at``; a closed position's ``closed_at``): a trader pages back through
what ended when, and an order placed long ago but cancelled today is on today's page.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from velox.store.records import ClosedOrderRecord, FillRecord, OrderRecord
from velox.store.rows import closed_record, fill_record, order_record
from velox.store.schema import CLOSED_ORDER_COLUMNS, FILL_COLUMNS, ORDER_COLUMNS, check_limit

FEE_CHUNK = 500  # order ids per statement (well under either database's parameter limit)
PENDING = "PENDING"
Where = tuple[str, list[Any]]  # whose rows a page holds: a condition and its arguments
# The fills that give an income of a kind (Binance's /fapi/v1/income); money is decimal text
# on SQLite (a literal 0 is compared as '0') and numeric on PostgreSQL.
INCOMES = {
    "REALIZED_PNL": "realized_pnl <> 0",
    "COMMISSION": "fee <> 0",
    "ANY": "(realized_pnl <> 0 OR fee <> 0)",
}


def where_equal(**columns: Any) -> Where:
    """``column = value`` for each of ``columns`` (names from the code, never a request)."""
    return " AND ".join(f"{c} = ?" for c in columns), list(columns.values())


def in_account(user_id: str, account_id: str | None, first: bool) -> Where:
    """A user's rows in one account; ``first``: also those without an account (written
    before accounts, or by a v1 event: they belong to the user's first account). Closed
    orders and deposits are filtered alike."""
    alone = " OR account_id IS NULL" if first else ""
    return f"user_id = ? AND (account_id = ?{alone})", [user_id, account_id]


def in_window(
    condition: str, args: list[Any], asset: str | None, time_column: str,
    start: int | None, end: int | None,
) -> str:  # fmt: skip
    """``condition`` narrowed to ``asset`` and to ``time_column`` in [start, end] (each when
    given); their values appended to ``args``."""
    if asset is not None:
        condition += " AND asset = ?"
        args.append(asset)
    for op, bound in ((">=", start), ("<=", end)):
        if bound is not None:
            condition += f" AND {time_column} {op} ?"
            args.append(bound)
    return condition


def page_query(
    table: str, columns: Sequence[str], id_column: str, time_column: str, where: Where,
    asset: str | None, start: int | None, end: int | None, limit: int,
    from_id: int | None = None, oldest_first: bool = False,
    after: tuple[int, str] | None = None,
) -> tuple[str, list[Any]]:  # fmt: skip
    """The statement and its arguments for one page of ``table`` (see the module doc).
    ``after``: a keyset page, strictly after that (time, id) key of the page before, in the
    page's direction (the history walks every row so, however many share an instant)."""
    condition, given = where
    args = list(given)
    condition = in_window(condition, args, asset, time_column, start, end)
    if from_id is not None:
        condition += (
            f" AND (length({id_column}) > ? OR (length({id_column}) = ? AND {id_column} >= ?))"
        )
        text = str(from_id)
        args += [len(text), len(text), text]
    if after is not None:
        op = ">" if oldest_first else "<"
        time, row_id = after
        # the plain range term first: it lets either database seek the index to the key
        # (the OR alone makes SQLite walk the account's rows from the start at every page)
        condition += (
            f" AND {time_column} {op}= ?"
            f" AND ({time_column} {op} ? OR ({time_column} = ? AND (length({id_column}) {op} ?"
            f" OR (length({id_column}) = ? AND {id_column} {op} ?))))"
        )
        args += [time, time, time, len(row_id), len(row_id), row_id]
    way = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT {', '.join(columns)} FROM {table} WHERE {condition} "
        f"ORDER BY {time_column} {way}, length({id_column}) {way}, {id_column} {way} LIMIT ?"
    )
    return sql, [*args, check_limit(limit)]


class PageRows(ABC):
    """The ``Store`` methods that page through fills and orders (see ``velox.store.base``)."""

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    async def fills_for_account(
        self, account_id: str, asset: str | None, start: int | None, end: int | None,
        limit: int, *, from_id: int | None = None, oldest_first: bool = False,
        incomes: str | None = None,
    ) -> list[FillRecord]:  # fmt: skip
        """By ``time`` (ties: by fill id), within [start, end] when given; with ``incomes``
        (a key of ``INCOMES``), only the fills that have an income of that kind."""
        condition, args = where_equal(account_id=account_id)
        if incomes is not None:
            condition += f" AND {INCOMES[incomes]}"
        rows = await self._fetch(*page_query(
            "fills", FILL_COLUMNS, "fill_id", "time", (condition, args), asset,
            start, end, limit, from_id, oldest_first,
        ))  # fmt: skip
        return [fill_record(r) for r in rows]

    async def orders_for_asset(
        self, account_id: str, asset: str, start: int | None, end: int | None, limit: int,
        *, from_id: int | None = None, oldest_first: bool = False,
        order_type: str | None = None,
    ) -> list[OrderRecord]:  # fmt: skip
        """Every status, by ``created_at`` (ties: by order id), within [start, end]; index
        ``orders_by_asset`` serves it either way (no sort of the account's orders)."""
        typed = {} if order_type is None else {"order_type": order_type}
        rows = await self._fetch(*page_query(
            "orders", ORDER_COLUMNS, "order_id", "created_at",
            where_equal(account_id=account_id, **typed), asset, start, end, limit, from_id,
            oldest_first,
        ))  # fmt: skip
        return [order_record(r) for r in rows]

    async def orders_for_account(
        self, account_id: str, status: str, limit: int, *, asset: str | None = None,
        start: int | None = None, end: int | None = None,
    ) -> list[OrderRecord]:  # fmt: skip
        """One status, newest first, within [start, end]: PENDING by when it was placed
        (``created_at``; a modification does not move it), any other by when it reached the
        status (``updated_at``, index ``orders_by_status_ended``, whose order lets a page
        stop at ``limit``). A PENDING page is sorted (up to --max-open-positions rows, which
        may be more than a page): the API lists resting orders from the engine's ids instead
        (``orders_by_ids``), so every one is reached."""
        time_column = "created_at" if status == PENDING else "updated_at"
        rows = await self._fetch(*page_query(
            "orders", ORDER_COLUMNS, "order_id", time_column,
            where_equal(account_id=account_id, status=status), asset, start, end, limit,
        ))  # fmt: skip
        return [order_record(r) for r in rows]

    async def closed_orders_for_account(
        self, user_id: str, account_id: str | None, first: bool, limit: int, *,
        asset: str | None = None, start: int | None = None, end: int | None = None,
        reason: str | None = None,
    ) -> list[ClosedOrderRecord]:  # fmt: skip
        """The user's closed orders in one account (``first``: with those of no account),
        newest first by ``closed_at`` within [start, end]; only ``reason``'s when given."""
        condition, args = in_account(user_id, account_id, first)
        if reason is not None:
            condition, args = f"({condition}) AND close_reason = ?", [*args, reason]
        rows = await self._fetch(*page_query(
            "closed_orders", CLOSED_ORDER_COLUMNS, "order_id", "closed_at",
            (condition, args), asset, start, end, limit,
        ))  # fmt: skip
        return [closed_record(r) for r in rows]

    async def order_fees(self, order_ids: Sequence[str]) -> dict[str, int]:
        """Fees summed per order over its fills (index ``fills_by_order``)."""
        rows = await self._by_order_ids(
            "SELECT order_id, SUM(fee) FROM fills WHERE order_id IN ({}) GROUP BY order_id",
            order_ids,
        )
        return {order_id: int(total) for order_id, total in rows}

    async def fills_of_orders(self, order_ids: Sequence[str]) -> list[FillRecord]:
        """Every fill of these orders, however many newer fills the account has (index
        ``fills_by_order``), by fill id."""
        rows = await self._by_order_ids(
            f"SELECT {', '.join(FILL_COLUMNS)} FROM fills WHERE order_id IN ({{}})", order_ids
        )
        return sorted((fill_record(r) for r in rows), key=lambda f: (len(f.fill_id), f.fill_id))

    async def closed_orders_of(self, order_ids: Sequence[str]) -> list[ClosedOrderRecord]:
        """The closed orders with these ids (a position's whole close has its id)."""
        rows = await self._by_order_ids(
            f"SELECT {', '.join(CLOSED_ORDER_COLUMNS)} FROM closed_orders WHERE order_id IN ({{}})",
            order_ids,
        )
        return [closed_record(r) for r in rows]

    async def _by_order_ids(self, sql: str, order_ids: Sequence[str]) -> list[Any]:
        """``sql``'s rows for ``order_ids``, a chunk of ids per statement (its ``{}`` takes
        the chunk's placeholders)."""
        rows: list[Any] = []
        for at in range(0, len(order_ids), FEE_CHUNK):
            chunk = list(order_ids[at : at + FEE_CHUNK])
            rows += await self._fetch(sql.format(", ".join("?" * len(chunk))), chunk)
        return rows
