"""An account's fills and orders a page at a time: SQL shared by SQLite and PostgreSQL.

A mixin of ``SqlStore`` (which supplies the reader connections). Newest first by default,
as the native API lists them; Binance's ``userTrades`` and ``allOrders`` page forward
instead, so ``oldest_first`` takes the oldest ``limit`` rows of the window and ``from_id``
starts at an id. Ids are decimal text, compared as numbers (length, then text: "10" comes
after "9"), the way every list of them here is ordered.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from velox.store.records import FillRecord, OrderRecord
from velox.store.rows import fill_record, order_record
from velox.store.schema import FILL_COLUMNS, ORDER_COLUMNS, check_limit

FEE_CHUNK = 500  # order ids per statement (well under either database's parameter limit)


def page_query(
    table: str, columns: Sequence[str], id_column: str, time_column: str,
    account_id: str, asset: str | None, start: int | None, end: int | None, limit: int,
    from_id: int | None, oldest_first: bool,
) -> tuple[str, list[Any]]:  # fmt: skip
    """The statement and its arguments for one page of ``table`` (see the module doc)."""
    args: list[Any] = [account_id]
    where = "account_id = ?"
    if asset is not None:
        where += " AND asset = ?"
        args.append(asset)
    for op, bound in ((">=", start), ("<=", end)):
        if bound is not None:
            where += f" AND {time_column} {op} ?"
            args.append(bound)
    if from_id is not None:
        where += f" AND (length({id_column}) > ? OR (length({id_column}) = ? AND {id_column} >= ?))"
        text = str(from_id)
        args += [len(text), len(text), text]
    way = "ASC" if oldest_first else "DESC"
    sql = (
        f"SELECT {', '.join(columns)} FROM {table} WHERE {where} "
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
    ) -> list[FillRecord]:  # fmt: skip
        """By ``time`` (ties: by fill id), within [start, end] when given."""
        rows = await self._fetch(*page_query(
            "fills", FILL_COLUMNS, "fill_id", "time", account_id, asset, start, end, limit,
            from_id, oldest_first,
        ))  # fmt: skip
        return [fill_record(r) for r in rows]

    async def orders_for_asset(
        self, account_id: str, asset: str, start: int | None, end: int | None, limit: int,
        *, from_id: int | None = None, oldest_first: bool = False,
    ) -> list[OrderRecord]:  # fmt: skip
        """Every status, by ``created_at`` (ties: by order id), within [start, end]."""
        rows = await self._fetch(*page_query(
            "orders", ORDER_COLUMNS, "order_id", "created_at", account_id, asset, start, end,
            limit, from_id, oldest_first,
        ))  # fmt: skip
        return [order_record(r) for r in rows]

    async def order_fees(self, order_ids: Sequence[str]) -> dict[str, int]:
        """Fees summed per order over its fills (index ``fills_by_order``), a chunk of ids
        per statement."""
        fees: dict[str, int] = {}
        for at in range(0, len(order_ids), FEE_CHUNK):
            chunk = list(order_ids[at : at + FEE_CHUNK])
            marks = ", ".join("?" * len(chunk))
            rows = await self._fetch(
                f"SELECT order_id, SUM(fee) FROM fills WHERE order_id IN ({marks}) "
                "GROUP BY order_id",
                chunk,
            )
            fees.update((order_id, int(total)) for order_id, total in rows)
        return fees
