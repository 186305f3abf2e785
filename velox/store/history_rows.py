"""The history's rows a page at a time (SPEC 12, ``velox.web.history``): SQL shared by
SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the reader connections). Keyset pages: each page
starts strictly after the (time, id) key of the last row of the one before, in the order
of the indexes ``closed_orders_by_account`` / ``fills_newest_first`` (time, then the id as a
number: length, then text), so a reader walks every row of a window however many share an
instant, reading only a page per statement. The filter (asset, time window) is in the SQL,
so the window's rows are found however old they are. The statement is ``pages.page_query``'s,
with its keyset ``after``.
"""

from __future__ import annotations

from velox.store.pages import in_account, page_query, where_equal
from velox.store.reads import Reads
from velox.store.records import ClosedOrderRecord, FillRecord
from velox.store.rows import closed_record, fill_record
from velox.store.schema import CLOSED_ORDER_COLUMNS, FILL_COLUMNS

Key = tuple[int, str]  # (time, id) of the last row of the previous page


class HistoryRows(Reads):
    """The ``Store`` methods that page through the history (see ``velox.store.base``)."""

    async def closed_orders_page(
        self, user_id: str, account_id: str | None, first: bool, limit: int, *,
        asset: str | None = None, start: int | None = None, end: int | None = None,
        after: Key | None = None, oldest_first: bool = False,
    ) -> list[ClosedOrderRecord]:  # fmt: skip
        condition, args = in_account(user_id, account_id, first)
        rows = await self._fetch(*page_query(
            "closed_orders", CLOSED_ORDER_COLUMNS, "order_id", "closed_at",
            (f"({condition})", args), asset, start, end, limit,
            oldest_first=oldest_first, after=after,
        ))  # fmt: skip
        return [closed_record(r) for r in rows]

    async def fills_page(
        self, account_id: str, limit: int, *, asset: str | None = None,
        start: int | None = None, end: int | None = None, after: Key | None = None,
        oldest_first: bool = False,
    ) -> list[FillRecord]:  # fmt: skip
        rows = await self._fetch(*page_query(
            "fills", FILL_COLUMNS, "fill_id", "time", where_equal(account_id=account_id),
            asset, start, end, limit, oldest_first=oldest_first, after=after,
        ))  # fmt: skip
        return [fill_record(r) for r in rows]
