"""Funding reads (SPEC 12): SQL shared by SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the reader connections). The rows are written by
the group commit (``rows.WRITES["funding"]``) from ``FundingCharged``, so a charge is
readable exactly when its event is journaled. Time filters are on the boundary (the
funding time a trader and Binance's API show), not on when the engine got to charge it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from velox.store.pages import in_window
from velox.store.reads import PAGE, Reads
from velox.store.records import FundingBoundaryRecord, FundingRecord
from velox.store.rows import boundary_record, funding_record
from velox.store.schema import BOUNDARY_COLUMNS, FUNDING_COLUMNS, check_limit

_COLUMNS = ", ".join(FUNDING_COLUMNS)
_BOUNDARY_COLUMNS = ", ".join(BOUNDARY_COLUMNS)


class FundingRows(Reads):
    """The ``Store`` methods for funding (see ``velox.store.base``)."""

    async def funding_for_account(
        self, account_id: str, asset: str | None, start: int | None, end: int | None,
        limit: int, *, oldest_first: bool = False,
    ) -> list[FundingRecord]:  # fmt: skip
        """Newest boundary first (one boundary's charges: the later charged first), or the
        oldest ``limit`` of the window, oldest first (Binance's paging from a start)."""
        args: list[Any] = [account_id]
        where = in_window("account_id = ?", args, asset, "boundary", start, end)
        way = "ASC" if oldest_first else "DESC"
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM funding WHERE {where} "
            f"ORDER BY boundary {way}, seq {way} LIMIT ?",
            [*args, check_limit(limit)],
        )
        return [funding_record(r) for r in rows]

    async def funding_boundaries(
        self,
        asset: str | None,
        start: int | None,
        end: int | None,
        limit: int,
        *,
        oldest_first: bool = False,
    ) -> list[FundingBoundaryRecord]:
        """The boundaries charged (``funding_boundaries``: the first charge's rate and mark
        price). Newest first, or oldest first from ``start`` (Binance's paging)."""
        args: list[Any] = []
        where = in_window("TRUE", args, asset, "boundary", start, end)
        order = "ASC" if oldest_first else "DESC"
        rows = await self._fetch(
            f"SELECT {_BOUNDARY_COLUMNS} FROM funding_boundaries WHERE {where} "
            f"ORDER BY boundary {order}, asset {order} LIMIT ?",
            [*args, check_limit(limit)],
        )
        return [boundary_record(r) for r in rows]

    async def all_funding_boundaries(self) -> AsyncIterator[FundingBoundaryRecord]:
        """Every boundary row by seq (the audit compares), a page at a time."""
        # the page key (``seq``) comes first, as _pages reads it, then the record's columns
        sql = (
            f"SELECT seq, {_BOUNDARY_COLUMNS} FROM funding_boundaries WHERE seq > ? "
            "ORDER BY seq LIMIT ?"
        )
        async for row in self._pages(sql, 0, PAGE):
            yield boundary_record(row[1:])

    async def all_funding(self) -> AsyncIterator[FundingRecord]:
        """Every funding row by seq (the audit compares), a page at a time."""
        sql = f"SELECT seq, {_COLUMNS} FROM funding WHERE seq > ? ORDER BY seq LIMIT ?"
        async for row in self._pages(sql, 0, PAGE):
            yield funding_record(row[1:])
