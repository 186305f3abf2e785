"""The app with a feed or a trade writer that dies: it is restarted and /healthz names it.

Regression: the feed task only logged its death and the writer task had no done-callback;
nothing restarted either and /healthz kept answering 200. Now both run under a Supervisor,
/healthz lists them under ``parts`` and answers 503 once one has been down for longer than
``--max-price-age``. The app runs on a ManualClock: down time moves only when the test says.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.feeds.helpers import wait_until
from velox.clock import ManualClock
from velox.config import Settings
from velox.feeds.base import TickSink
from velox.market.writer import TradeWriter
from velox.web.app import create_app
from velox.web.options import WebOptions


class Feed:
    """A feed that fails ``failures`` times, then idles until cancelled."""

    name = "test"
    simulated = True

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.runs = 0
        self.last_tick_ms: dict[str, int] = {}

    async def run(self, sink: TickSink) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError("feed bug")
        await asyncio.Event().wait()


async def start(aiohttp_client: Any, tmp_path: Path, feed: Feed) -> tuple[Any, ManualClock]:
    clock = ManualClock()
    settings = Settings(data_dir=str(tmp_path), db=f"sqlite:///{tmp_path / 'v.db'}")
    options = WebOptions(bcrypt_rounds=4, clock=clock)
    client: TestClient[Any, Any] = await aiohttp_client(
        create_app(settings, feed=feed, options=options)
    )
    return client, clock


async def health(client: Any) -> tuple[int, Any]:
    response = await client.get("/healthz")
    return response.status, await response.json()


UP = {"state": "up", "downMs": 0, "restarts": 0, "error": None}


async def test_healthy_parts(aiohttp_client: Any, tmp_path: Path) -> None:
    client, _ = await start(aiohttp_client, tmp_path, Feed())
    assert await health(client) == (
        200,
        {
            "engine": "READY",
            "feed": {"name": "test", "simulated": True, "lastTickAgeMs": {}},
            "parts": {"feed": UP, "writer": UP, "database": UP, "journal": UP},
        },
    )


async def test_a_dead_feed_is_restarted_and_reported(aiohttp_client: Any, tmp_path: Path) -> None:
    feed = Feed(failures=1)
    client, clock = await start(aiohttp_client, tmp_path, feed)
    await wait_until(lambda: feed.runs == 2)  # restarted after its backoff
    status, body = await health(client)
    assert status == 200  # down for 0 ms of engine time: within --max-price-age
    assert body["parts"]["feed"] == {
        "state": "recovering",
        "downMs": 0,
        "restarts": 1,
        "error": "RuntimeError",
    }
    clock.advance(4_999)  # one ms short of proving itself (5 s without failing)
    assert (await health(client))[1]["parts"]["feed"]["downMs"] == 4_999
    clock.advance(1)
    status, body = await health(client)
    assert status == 200 and body["parts"]["feed"]["state"] == "up"


async def test_a_feed_down_longer_than_max_price_age_is_503(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    feed = Feed(failures=10**9)  # fails at every restart
    client, clock = await start(aiohttp_client, tmp_path, feed)
    await wait_until(lambda: feed.runs >= 1)
    clock.advance(10_000)
    status, body = await health(client)
    assert status == 200 and body["parts"]["feed"]["downMs"] == 10_000
    clock.advance(1)
    status, body = await health(client)
    assert status == 503
    assert body["engine"] == "READY" and body["parts"]["writer"] == UP
    assert body["parts"]["feed"]["state"] in ("down", "recovering")
    assert body["parts"]["feed"]["downMs"] == 10_001
    assert body["parts"]["feed"]["error"] == "RuntimeError"
    assert "feed bug" not in str(body)  # the message stays in the log: /healthz is public


async def test_a_dead_writer_is_restarted_and_503_when_down_too_long(
    aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = 0

    async def broken_collect(self: TradeWriter) -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("writer bug")

    monkeypatch.setattr(TradeWriter, "_collect", broken_collect)
    client, clock = await start(aiohttp_client, tmp_path, Feed())
    await wait_until(lambda: runs >= 2)  # failed, restarted, failed again
    clock.advance(10_001)
    status, body = await health(client)
    assert status == 503
    assert body["parts"]["feed"] == UP
    writer = body["parts"]["writer"]
    assert writer["downMs"] == 10_001 and writer["restarts"] >= 1
    assert writer["error"] == "RuntimeError"
