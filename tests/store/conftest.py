"""An opened store of each kind (via the shared ``db_url`` fixture), closed after the test;
and ``sqlite_store``, a SQLite file store for the tests of SQLite's own threads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.sqlite import SqliteStore


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    opened = open_store_for(db_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "velox.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
