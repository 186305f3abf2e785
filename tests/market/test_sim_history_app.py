"""``--feed sim`` opens on a full chart, the same for the same seed; ``--history-candles 0``
turns history off. The app runs on a ManualClock, so the simulator's first trade (the cut)
falls at the same instant in every run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from velox.clock import ManualClock
from velox.config import Settings
from velox.market.candles import DURATIONS_MS
from velox.money import units
from velox.web.app import create_app
from velox.web.options import WebOptions

T = 1_736_812_800_000 + 5 * 3_600_000 + 7 * 60_000 + 42_000  # 2025-01-14 05:07:42 UTC

Chart = dict[str, list[dict[str, Any]]]


async def start(aiohttp_client: Any, path: Path, **settings: Any) -> TestClient[Any, Any]:
    options = WebOptions(bcrypt_rounds=4, clock=ManualClock(T))
    base = Settings(
        data_dir=str(path), db=f"sqlite:///{path / 'v.db'}", feed="sim", rate_limit_public=0
    )
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(base.with_(**settings), options=options)
    )
    return client


async def candles(client: TestClient[Any, Any], duration: str, **query: str) -> list[Any]:
    params = {"asset": "BTCUSDT", "duration": duration, "limit": "1000", **query}
    r = await client.get("/api/v1/candles", params=params)
    assert r.status == 200
    return list((await r.json())["candles"])


async def history(aiohttp_client: Any, path: Path, seed: int) -> Chart:
    """Every duration's history before its boundary bucket, once the simulator wrote it."""
    client = await start(aiohttp_client, path, seed=seed, history_candles=5)
    deadline = asyncio.get_running_loop().time() + 15
    while len(await candles(client, "1d")) < 6:  # 1d is written last
        assert asyncio.get_running_loop().time() < deadline, "no simulated history"
        await asyncio.sleep(0.02)
    chart = {}
    for duration, size in DURATIONS_MS.items():
        before = str(T - T % size - 1)
        chart[duration] = await candles(client, duration, endTime=before)
    health = await (await client.get("/healthz")).json()
    assert health["feed"]["simulated"] is True and health["parts"]["history"]["state"] == "up"
    await client.close()
    return chart


async def test_the_simulator_opens_on_a_full_chart_the_same_for_the_same_seed(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    first = await history(aiohttp_client, tmp_path / "a", seed=7)
    for duration, size in DURATIONS_MS.items():
        start = T - T % size
        assert [c["time"] for c in first[duration]] == list(range(start - 5 * size, start, size))
    last_close = units(first["1s"][-1]["close"])
    assert abs(last_close - units("95000")) < units("95")  # it leads into the live prices
    assert await history(aiohttp_client, tmp_path / "b", seed=7) == first
    assert (await history(aiohttp_client, tmp_path / "c", seed=8))["1h"] != first["1h"]


async def test_no_history_when_turned_off(aiohttp_client: Any, tmp_path: Path) -> None:
    client = await start(aiohttp_client, tmp_path, history_candles=0)
    health = await (await client.get("/healthz")).json()
    assert set(health["parts"]) == {"feed", "writer", "database", "journal"}
    deadline = asyncio.get_running_loop().time() + 10
    while not await candles(client, "1d"):
        assert asyncio.get_running_loop().time() < deadline, "no live candle"
        await asyncio.sleep(0.02)
    assert [c["time"] for c in await candles(client, "1d")] == [T - T % 86_400_000]
