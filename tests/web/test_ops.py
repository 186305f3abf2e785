"""Market and ops routes: assets, candles, healthz, admin ledger, engine readiness, feeds."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import assert_error, next_of, signup, tick
from velox.clock import SYSTEM_CLOCK
from velox.config import Settings
from velox.feeds.base import FeedTick, TickSink
from velox.money import units
from velox.store.base import Store
from velox.store.records import CandleRecord, SnapshotRecord
from velox.web.app import create_app
from velox.web.keys import STORE
from velox.web.options import WebOptions


async def test_assets(client: TestClient[Any, Any]) -> None:
    before = await (await client.get("/api/v1/assets")).json()
    assert before["assets"][0] == {"symbol": "BTCUSDT", "bid": None, "ask": None, "timestamp": None}
    await tick(client, "ETHUSDT", "3000")
    after = await (await client.get("/api/v1/assets")).json()
    eth = next(a for a in after["assets"] if a["symbol"] == "ETHUSDT")
    assert eth["bid"] == "2998.50000000" and eth["ask"] == "3001.50000000"
    assert isinstance(eth["timestamp"], int)
    assert [a["symbol"] for a in after["assets"]] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


async def test_candles(client: TestClient[Any, Any]) -> None:
    store: Store = client.app[STORE]
    rows = [
        CandleRecord(
            "BTCUSDT",
            "1m",
            t * 60_000,
            units("1"),
            units("3"),
            units("0.5"),
            units("2"),
            units("10.25"),
        )
        for t in range(1, 6)
    ]
    await store.upsert_candles(rows)
    body = await (await client.get("/api/v1/candles?asset=BTCUSDT&duration=1m")).json()
    assert [c["time"] for c in body["candles"]] == [60_000 * t for t in range(1, 6)]
    assert body["candles"][0] == {
        "time": 60_000,
        "open": "1.00000000",
        "high": "3.00000000",
        "low": "0.50000000",
        "close": "2.00000000",
        "volume": "10.25000000",
    }
    newest = await (await client.get("/api/v1/candles?asset=BTCUSDT&duration=1m&limit=2")).json()
    assert [c["time"] for c in newest["candles"]] == [240_000, 300_000]
    window = await client.get(
        "/api/v1/candles?asset=BTCUSDT&duration=1m&startTime=120000&endTime=180000"
    )
    assert [c["time"] for c in (await window.json())["candles"]] == [120_000, 180_000]
    other = await (await client.get("/api/v1/candles?asset=BTCUSDT&duration=5m")).json()
    assert other == {"candles": []}
    empty = await client.get("/api/v1/candles?asset=BTCUSDT&startTime=180000&endTime=120000")
    assert await empty.json() == {"candles": []}  # an empty window, not an error
    for query, code, field in [
        ("duration=1m", "VALIDATION_ERROR", "asset"),
        ("asset=DOGEUSDT", "UNKNOWN_ASSET", "asset"),
        ("asset=BTCUSDT&duration=2m", "VALIDATION_ERROR", "duration"),
        ("asset=BTCUSDT&limit=0", "VALIDATION_ERROR", "limit"),
        ("asset=BTCUSDT&limit=1001", "VALIDATION_ERROR", "limit"),
        ("asset=BTCUSDT&limit=ten", "VALIDATION_ERROR", "limit"),
        ("asset=BTCUSDT&startTime=-1", "VALIDATION_ERROR", "startTime"),
        ("asset=BTCUSDT&endTime=1e9", "VALIDATION_ERROR", "endTime"),
    ]:
        response = await client.get(f"/api/v1/candles?{query}")
        assert response.status == 400, query
        assert_error(await response.json(), code, field)


async def test_healthz(client: TestClient[Any, Any]) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {
        "engine": "READY",
        "feed": {"name": "none", "simulated": False, "lastTickAgeMs": {}},
        "parts": {  # no feed, no trade writer: the database (probed) and the journal only
            "database": {"state": "up", "downMs": 0, "restarts": 0, "error": None},
            "journal": {"state": "up", "downMs": 0, "restarts": 0, "error": None},
        },
    }
    await tick(client, "SOLUSDT", "150")
    body = await (await client.get("/healthz")).json()
    assert list(body["feed"]["lastTickAgeMs"]) == ["SOLUSDT"]
    assert 0 <= body["feed"]["lastTickAgeMs"]["SOLUSDT"] < 5000


async def test_admin_ledger(make_client: MakeClient) -> None:
    closed = await make_client()
    assert (await closed.get("/api/v1/admin/ledger")).status == 404
    await closed.close()
    client = await make_client(admin_token="s3cret-admin-token")
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")
    oid = (await user.open(asset="BTCUSDT", side="LONG", leverage=10, margin="100"))["orderId"]
    await tick(client, "BTCUSDT", "99000")
    await user.json("POST", f"/api/v1/order/close/{oid}", 200)
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "s3cret-admin-token"},
        {"Authorization": f"Bearer {user.token}"},
    ):
        response = await client.get("/api/v1/admin/ledger", headers=headers)
        assert response.status == 401
        assert_error(await response.json(), "UNAUTHORIZED")
    response = await client.get(
        "/api/v1/admin/ledger", headers={"Authorization": "Bearer s3cret-admin-token"}
    )
    ledger = await response.json()
    loss = (9895050 - 10005000) * 999_500 // 100  # closes at bid 98950.5
    assert ledger == {
        "deposits": "1000.00000000",
        "balances": (await user.balance())["balance"],
        "lockedMargin": "0.00000000",
        "pendingMargin": "0.00000000",
        "house": f"{-loss // 10**8}.{-loss % 10**8:08d}",
        "conserved": True,
    }


class GatedStore:
    """A store whose snapshot load waits for ``gate``: holds the engine in REPLAYING."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.gate = asyncio.Event()

    async def latest_snapshot(self) -> SnapshotRecord | None:
        await self.gate.wait()
        return await self.inner.latest_snapshot()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_not_ready_is_503(
    aiohttp_client: Any, settings: Settings, sqlite_store: Store
) -> None:
    gated = GatedStore(sqlite_store)
    options = WebOptions(bcrypt_rounds=4, background_start=True)
    app = create_app(settings, feed=None, store=gated, options=options)
    client = await aiohttp_client(app)
    health = await client.get("/healthz")
    assert health.status == 503
    assert (await health.json())["engine"] == "REPLAYING"
    for method, path, body in [
        ("POST", "/api/v1/user/signup", {"email": "a@example.com", "password": "12345678"}),
        ("GET", "/api/v1/assets", None),
    ]:
        response = await client.request(method, path, json=body)
        assert response.status == 503, path
        assert_error(await response.json(), "ENGINE_NOT_READY")
    gated.gate.set()
    for _ in range(100):
        if (await client.get("/healthz")).status == 200:
            break
        await asyncio.sleep(0.01)
    assert (await client.get("/healthz")).status == 200


class FakeFeed:
    """Trades for BTC, then a book-only tick that must not move a traded symbol's price."""

    name = "fake"
    simulated = True

    def __init__(self) -> None:
        self.last_tick_ms: dict[str, int] = {}
        self.sent = asyncio.Event()

    async def run(self, sink: TickSink) -> None:
        wall = SYSTEM_CLOCK.wall_ms()  # a live feed's time: the writer files no misdated trade
        ms = wall - wall % 1000  # both trades in one second, so in one candle
        ticks = [
            FeedTick(
                "BTCUSDT",
                _now(),
                trade_price=units("100000"),
                trade_qty=units("0.5"),
                trade_id=1,
                exchange_ms=ms,
            ),
            FeedTick(
                "BTCUSDT",
                _now(),
                trade_price=units("100010"),
                trade_qty=units("0.25"),
                trade_id=2,
                exchange_ms=ms + 1,
            ),
            # the book still holds the last trade: it stays the price (the mid is 100015)
            FeedTick("BTCUSDT", _now(), bid=units("100005"), ask=units("100025")),
            FeedTick("ETHUSDT", _now(), bid=units("2999"), ask=units("3001")),
        ]
        for item in ticks:
            self.last_tick_ms[item.symbol] = item.received_ms
            await sink(item)
        self.sent.set()
        await asyncio.Event().wait()


def _now() -> int:
    import time

    return time.time_ns() // 1_000_000


async def test_feed_prices_health_and_candles(aiohttp_client: Any, settings: Settings) -> None:
    feed = FakeFeed()
    client = await aiohttp_client(create_app(settings, feed=feed, options=FAST))
    async with client.ws_connect("/ws") as ws:
        await ws.send_json(
            {"op": "subscribe", "channel": "candles", "symbol": "BTCUSDT", "duration": "1m"}
        )
        await asyncio.wait_for(feed.sent.wait(), 5)
        await tick(client, "SOLUSDT", "1")  # settles the feed's ticks too
        assets = {
            a["symbol"]: a for a in (await (await client.get("/api/v1/assets")).json())["assets"]
        }
        assert assets["BTCUSDT"]["bid"] == "99959.99500000"  # last trade 100010, not the mid
        assert assets["ETHUSDT"]["bid"] == "2998.50000000"  # mid 3000 for a feed without trades
        health = await (await client.get("/healthz")).json()
        assert health["feed"]["name"] == "fake" and health["feed"]["simulated"] is True
        assert set(health["feed"]["lastTickAgeMs"]) == {"BTCUSDT", "ETHUSDT"}
        candle = await next_of(ws, "candle")  # the writer flushes within ~1 s
        assert candle["symbol"] == "BTCUSDT" and candle["duration"] == "1m"
        assert candle["data"]["volume"] == "0.75000000"
        assert candle["data"]["high"] == "100010.00000000"
    rows = await (await client.get("/api/v1/candles?asset=BTCUSDT&duration=1s")).json()
    assert rows["candles"][-1]["close"] == "100010.00000000"


async def test_default_feed_comes_from_settings(aiohttp_client: Any, settings: Settings) -> None:
    """``create_app(settings)`` runs the feed ``--feed`` names (here the offline sim)."""
    client = await aiohttp_client(create_app(settings.with_(feed="sim", seed=7), options=FAST))
    for _ in range(100):
        health = await (await client.get("/healthz")).json()
        if health["feed"]["lastTickAgeMs"]:
            break
        await asyncio.sleep(0.05)
    assert health["feed"]["name"] == "sim" and health["feed"]["simulated"] is True
    assert health["feed"]["lastTickAgeMs"]
