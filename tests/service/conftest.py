"""The engine service's tests run on both stores: ``store`` is a fresh, open one of each."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from velox.store.base import Store
from velox.store.factory import open_store_for


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = open_store_for(db_url)
    await s.open()
    yield s
    await s.close()
