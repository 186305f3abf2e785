"""The history's rows a page at a time (SPEC 12, ``velox.web.history``): SQL shared by
SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the reader connections). Keyset pages: each page
starts strictly after the (time, id) key of the last row of the one before, in the order
of the indexes ``closed_orders_by_account`` / ``fills_newest_first`` (time, then the id as a
number: length, then text), so a reader walks every row of a window however many share an
instant, reading only a page per statement. The filter (asset, time window) is in the SQL,
so the window's rows are found however old they are.
"""

from __future__ import annotations

from typing import Any

from velox.store.pages import in_account, in_window, where_equal
from velox.store.reads import Reads
from velox.store.records import ClosedOrderRecord, FillRecord
from velox.store.rows import closed_record, fill_record
from velox.store.schema import CLOSED_ORDER_COLUMNS, FILL_COLUMNS, check_limit

Key = tuple[int, str]  # (time, id) of the last row of the previous page


def keyset_query(
    table: str, columns: tuple[str, ...] | list[str], id_column: str, time_column: str,
    condition: str, args: list[Any], asset: str | None, start: int | None, end: int | None,
    after: Key | None, limit: int, oldest_first: bool,
) -> tuple[str, list[Any]]:  # fmt: skip
    """One page of ``table`` after the key ``after`` (in the page's direction)."""
    args = list(args)
    condition = in_window(condition, args, asset, time_column, start, end)
    op = ">" if oldest_first else "<"
    if after is not None:
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


class HistoryRows(Reads):
    """The ``Store`` methods that page through the history (see ``velox.store.base``)."""

    async def closed_orders_page(
        self, user_id: str, account_id: str | None, first: bool, limit: int, *,
        asset: str | None = None, start: int | None = None, end: int | None = None,
        after: Key | None = None, oldest_first: bool = False,
    ) -> list[ClosedOrderRecord]:  # fmt: skip
        condition, args = in_account(user_id, account_id, first)
        rows = await self._fetch(*keyset_query(
            "closed_orders", CLOSED_ORDER_COLUMNS, "order_id", "closed_at", f"({condition})",
            args, asset, start, end, after, limit, oldest_first,
        ))  # fmt: skip
        return [closed_record(r) for r in rows]

    async def fills_page(
        self, account_id: str, limit: int, *, asset: str | None = None,
        start: int | None = None, end: int | None = None, after: Key | None = None,
        oldest_first: bool = False,
    ) -> list[FillRecord]:  # fmt: skip
        condition, args = where_equal(account_id=account_id)
        rows = await self._fetch(*keyset_query(
            "fills", FILL_COLUMNS, "fill_id", "time", condition, args, asset, start, end,
            after, limit, oldest_first,
        ))  # fmt: skip
        return [fill_record(r) for r in rows]
