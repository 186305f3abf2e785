"""Fixtures: a feed-less app on a real socket, over a fresh SQLite store in tmp_path.

Prices are pushed by the tests (``helpers.tick``). bcrypt runs at cost 4 here only: the
default stays 12 (``WebOptions``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from velox.clock import ManualClock
from velox.config import Settings
from velox.web.app import create_app
from velox.web.options import WebOptions

FAST = WebOptions(bcrypt_rounds=4)
MakeClient = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=str(tmp_path),
        db=f"sqlite:///{tmp_path / 'velox.db'}",
        rate_limit_auth=1000,
        rate_limit_orders=1000,
        rate_limit_public=1000,
        snapshot_interval=3600.0,
    )


@pytest.fixture
def make_client(aiohttp_client: Any, settings: Settings) -> MakeClient:
    """``await make_client(**setting_changes, options=...)``: a started app and its client."""

    async def make(options: WebOptions = FAST, **changes: Any) -> TestClient[Any, Any]:
        app = create_app(settings.with_(**changes), feed=None, options=options)
        client: TestClient[Any, Any] = await aiohttp_client(app)
        return client

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient[Any, Any]:
    return await make_client()


@pytest.fixture
def clock() -> ManualClock:
    """The app's clock, moved by the test (a module may start it elsewhere)."""
    return ManualClock()


@pytest.fixture
async def fee_client(make_client: MakeClient, clock: ManualClock) -> TestClient[Any, Any]:
    """Binance's fees (taker 0.0005, maker 0.0002), on ``clock``, with no clock ticks of its
    own: the test moves time."""
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    return await make_client(options, taker_fee="0.0005", maker_fee="0.0002")
