"""What the read mixins of ``SqlStore`` (funding, deposits) need from it: a read on a reader
connection, and a full scan in pages (for ``velox audit``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from typing import Any

PAGE = 1000  # rows per read of the audit's full scans


class Reads(ABC):
    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    def _pages(self, sql: str, after: Any, size: int) -> AsyncIterator[Any]:
        """Rows of ``sql`` (``? ... LIMIT ?``: after a key, a page size), page by page, each
        page's first column its key."""
