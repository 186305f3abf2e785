"""Market tests share the store contract's ``store`` (tests/conftest.py: SQLite and
PostgreSQL, opened) and a fake Binance REST server; tests that want the in-memory MemStore
define their own ``store``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.binance_rest import FakeBinanceRest

REST_NOW = 1_736_831_272_000  # 2025-01-14 05:07:52 UTC: ten seconds after the tests' cut


@pytest.fixture
async def rest() -> AsyncIterator[FakeBinanceRest]:
    server = FakeBinanceRest(now_ms=REST_NOW)
    await server.start()
    yield server
    await server.stop()
