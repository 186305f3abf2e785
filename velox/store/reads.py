"""What the read mixins of ``SqlStore`` (funding, deposits, stops) need from it: a read on a
reader connection, a read of many ids, and a full scan in pages (for ``velox audit``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any

PAGE = 1000  # rows per read of the audit's full scans
IDS_PER_QUERY = 500  # placeholders per IN (...): far below SQLite's and PostgreSQL's limits


class Reads(ABC):
    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    async def _fetch_in(self, select: str, column: str, ids: Sequence[str]) -> list[Any]:
        """The rows of ``select`` (``SELECT ... FROM ...``) whose ``column`` is one of ``ids``
        (repeats read once), in pages of ``IDS_PER_QUERY`` placeholders: one query per page,
        not one per id."""
        unique = list(dict.fromkeys(ids))
        out: list[Any] = []
        for start in range(0, len(unique), IDS_PER_QUERY):
            page = unique[start : start + IDS_PER_QUERY]
            out += await self._fetch(
                f"{select} WHERE {column} IN ({', '.join('?' * len(page))})", page
            )
        return out

    @abstractmethod
    def _pages(self, sql: str, after: Any, size: int) -> AsyncIterator[Any]:
        """Rows of ``sql`` (``? ... LIMIT ?``: after a key, a page size), page by page, each
        page's first column its key."""
