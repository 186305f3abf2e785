"""An opened store of each kind (via the shared ``db_url`` fixture), closed after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from velox.store.base import Store
from velox.store.factory import open_store_for


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    opened = open_store_for(db_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
