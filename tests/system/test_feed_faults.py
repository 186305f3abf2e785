"""The app on a misbehaving Binance (the fake server on loopback): drops, stalls, garbage,
out-of-order and duplicate trades. The client recovers, the stale guard refuses orders
while prices are old and clears when they return, and nothing malformed reaches the engine.

The app runs on a ManualClock: prices age only when the test advances it, so a slow machine
cannot turn a fresh price stale between a trade and an order (the waits below are deadlines
for the feed to reconnect, never timing assertions).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.binance_server import FakeBinanceServer
from velox.clock import ManualClock
from velox.config import Settings
from velox.feeds.backoff import Backoff
from velox.feeds.binance import BinanceFeed
from velox.web.app import create_app
from velox.web.keys import SERVICE
from velox.web.options import WebOptions

ORDER = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}
MAX_PRICE_AGE_MS = 10_000


@pytest.fixture
async def exchange() -> AsyncIterator[FakeBinanceServer]:
    server = FakeBinanceServer()
    await server.start()
    yield server
    await server.stop()


# How long to wait for the feed before calling it never: only so a broken build fails
# instead of hanging, far beyond what any step needs (speed is not what this test checks).
GIVE_UP_S = 120.0


async def wait_for(predicate: Any) -> None:
    deadline = asyncio.get_running_loop().time() + GIVE_UP_S
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


async def test_feed_faults_engage_and_clear_the_stale_guard(
    aiohttp_client: Any, exchange: FakeBinanceServer, tmp_path: Path
) -> None:
    clock = ManualClock(time.time_ns() // 1_000_000)
    feed = BinanceFeed(
        exchange.url,
        ["BTCUSDT", "ETHUSDT", "SOLUSDT"],
        backoff=Backoff(base_s=0.01, max_s=0.05, rng=random.Random(1)),
        stall_timeout_s=1.5,
        clock=clock,
    )
    settings = Settings(
        data_dir=str(tmp_path),
        db=f"sqlite:///{tmp_path / 'v.db'}",
        max_price_age=MAX_PRICE_AGE_MS / 1000,
    )
    options = WebOptions(bcrypt_rounds=4, clock=clock)
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(settings, feed=feed, options=options)
    )
    service = client.app[SERVICE]
    r = await client.post(
        "/api/v1/user/signup", json={"email": "f@example.com", "password": "feed-faults-pw"}
    )
    assert r.status == 201
    trade_id = 100

    async def trade(price: str) -> None:
        nonlocal trade_id
        trade_id += 1
        await exchange.push_trade("BTCUSDT", price, "0.01", trade_id=trade_id)

    async def ref() -> int | None:
        q = await service.read(lambda e: e.quotes.get("BTCUSDT"))
        return None if q is None else q.ref

    await exchange.wait_connections(1, timeout=GIVE_UP_S)
    await trade("95000.50")
    await wait_for(lambda: _eq(ref, 9_500_050_000_000))
    assert (await client.post("/api/v1/order/open", json=ORDER)).status == 201

    # garbage and malformed payloads never become prices
    errors_before = feed.parse_errors
    for raw in (
        "not json",
        '{"stream":"btcusdt@trade","data":{"e":"trade","p":"NaN"}}',
        '{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":1e9,"q":"1","T":1}}',
        "[1,2,3]",
    ):
        await exchange.send_raw(raw)
    await trade("95001.00")
    await wait_for(lambda: _eq(ref, 9_500_100_000_000))
    assert feed.parse_errors >= errors_before + 2

    # out of order (an older trade id) and a duplicate id: the price does not move back
    received = feed.ticks
    await exchange.push_trade("BTCUSDT", "94000.00", "0.01", trade_id=trade_id - 1)
    await exchange.push_trade("BTCUSDT", "93000.00", "0.01", trade_id=trade_id)
    await wait_for(lambda: _truthy(lambda: feed.ticks == received + 2))
    await service.read(lambda e: None)  # answered after the batch holding those ticks
    assert await ref() == 9_500_100_000_000
    await trade("95002.00")
    await wait_for(lambda: _eq(ref, 9_500_200_000_000))

    # a stall: the socket stays open, no data; prices go stale and orders are refused
    exchange.stall(True)
    clock.advance(MAX_PRICE_AGE_MS)
    assert (await client.post("/api/v1/order/open", json=ORDER)).status == 201  # not yet
    clock.advance(1)
    r = await client.post("/api/v1/order/open", json=ORDER)
    assert r.status == 503 and (await r.json())["error"]["code"] == "PRICE_STALE"
    health = await (await client.get("/healthz")).json()
    assert health["feed"]["lastTickAgeMs"]["BTCUSDT"] == MAX_PRICE_AGE_MS + 1
    # the client gives up on the silent socket and reconnects
    connections = exchange.connect_count
    await wait_for(lambda: _truthy(lambda: exchange.connect_count > connections))
    exchange.stall(False)
    await exchange.wait_connections(1, timeout=GIVE_UP_S)
    await wait_for(lambda: _truthy(lambda: feed.connected))
    await trade("95100.00")
    await wait_for(lambda: _eq(ref, 9_510_000_000_000))
    assert (await client.post("/api/v1/order/open", json=ORDER)).status == 201

    # a dropped connection: reconnect, resubscribe, prices flow again
    connections = exchange.connect_count
    await exchange.drop_all()
    clock.advance(MAX_PRICE_AGE_MS + 1)
    r = await client.post("/api/v1/order/open", json=ORDER)
    assert (await r.json())["error"]["code"] == "PRICE_STALE"
    await exchange.wait_connections(connections + 1, timeout=GIVE_UP_S)
    await wait_for(lambda: _truthy(lambda: feed.connected))
    await trade("95200.00")
    await wait_for(lambda: _eq(ref, 9_520_000_000_000))
    assert (await client.post("/api/v1/order/open", json=ORDER)).status == 201


async def _eq(get: Any, value: int) -> bool:
    return bool(await get() == value)


async def _truthy(fn: Any) -> bool:
    return bool(fn())
