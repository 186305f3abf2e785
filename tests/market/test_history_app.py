"""The whole app (``velox run``'s ``create_app``) on a fake Binance: websocket and REST over real
HTTP. The chart opens with history, READY never waits for it, restarts and outages leave no
duplicate and no gap, 429s are waited out, and offline costs one log line.

Everything is read back through ``GET /api/v1/candles``, as the chart does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.binance_rest import DURATION_MS, FakeBinanceRest, stored, with_trades
from tests.fakes.binance_server import FakeBinanceServer
from tests.feeds.helpers import wait_until
from tests.ports import free_port
from velox.clock import SYSTEM_CLOCK
from velox.config import Settings
from velox.market.candles import DURATIONS_MS
from velox.money import units
from velox.store.records import CandleRecord
from velox.web.app import create_app
from velox.web.options import WebOptions

DAY = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC
CUT = DAY + 5 * 3_600_000 + 7 * 60_000 + 42_000  # 05:07:42
PRICE, QTY = "95010.50", "0.25"
TRADE = (units(PRICE), units(QTY))


class WallAt:
    """Engine time as it runs, the wall clock set to ``at_ms`` now: the trade writer files
    trades only at plausible times against the wall clock (``velox.market.plausible``), and
    these trades are dated in January 2025, the latest 25 minutes after CUT."""

    def __init__(self, at_ms: int) -> None:
        self._offset = at_ms - SYSTEM_CLOCK.wall_ms()

    def now_ms(self) -> int:
        return SYSTEM_CLOCK.now_ms()

    def wall_ms(self) -> int:
        return SYSTEM_CLOCK.wall_ms() + self._offset


@pytest.fixture
async def exchange() -> AsyncIterator[FakeBinanceServer]:
    server = FakeBinanceServer()
    await server.start()
    yield server
    await server.stop()


class App:
    """Start (and restart) the app on the fakes; read candles like the chart."""

    def __init__(self, aiohttp_client: Any, tmp_path: Path, **settings: Any) -> None:
        self.aiohttp_client = aiohttp_client
        options = {"history_candles": 3, **settings}
        self.settings = Settings(
            data_dir=str(tmp_path), db=f"sqlite:///{tmp_path / 'v.db'}", feed="binance",
            history_rate=1000.0, rate_limit_public=0, **options,  # the chart is polled here
        )  # fmt: skip
        self.client: TestClient[Any, Any] | None = None

    async def start(self) -> TestClient[Any, Any]:
        clock = WallAt(CUT + 30 * 60_000)
        app = create_app(self.settings, options=WebOptions(bcrypt_rounds=4, clock=clock))
        self.client = await self.aiohttp_client(app)
        return self.client

    async def candles(self, duration: str, symbol: str = "BTCUSDT") -> list[CandleRecord]:
        assert self.client is not None
        query = {"asset": symbol, "duration": duration, "limit": "1000"}
        r = await self.client.get("/api/v1/candles", params=query)
        assert r.status == 200
        return [
            CandleRecord(symbol, duration, c["time"], *(units(c[k]) for k in
                         ("open", "high", "low", "close", "volume")))
            for c in (await r.json())["candles"]
        ]  # fmt: skip

    async def shows(
        self, duration: str, expected: list[CandleRecord], symbol: str = "BTCUSDT"
    ) -> None:
        """Wait until the chart shows ``expected`` (history arrives in the background, live
        trades at the writer's next flush); fail with the difference after 10 s."""
        deadline = asyncio.get_running_loop().time() + 10
        while (got := await self.candles(duration, symbol)) != expected:
            if asyncio.get_running_loop().time() > deadline:
                assert got == expected, duration
            await asyncio.sleep(0.02)


def fake_urls(exchange: FakeBinanceServer, rest: FakeBinanceRest) -> dict[str, str]:
    return {"binance_url": exchange.url, "binance_rest_url": rest.url}


async def trade(exchange: FakeBinanceServer, ts: int, trade_id: int = 1) -> None:
    await exchange.wait_connections(1)
    assert await exchange.push_trade("BTCUSDT", PRICE, QTY, trade_id, trade_ms=ts) == 1


def history_then_live(duration: str, cut: int, count: int = 3) -> list[CandleRecord]:
    """What the chart must show: ``count`` candles of history, then the boundary candle."""
    size = DURATION_MS[duration]
    start = cut - cut % size
    rows = [
        stored("BTCUSDT", duration, t, t + size) for t in range(start - count * size, start, size)
    ]
    if start == cut:  # 1s: the cut's own second holds the live trade only
        return [*rows, CandleRecord("BTCUSDT", "1s", cut, *(TRADE[0],) * 4, TRADE[1])]
    return [*rows, with_trades(stored("BTCUSDT", duration, start, cut), TRADE)]


async def test_the_chart_opens_with_history_of_every_duration(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    app = App(aiohttp_client, tmp_path, **fake_urls(exchange, rest))
    client = await app.start()
    await trade(exchange, CUT + 250)
    for duration in DURATIONS_MS:
        await app.shows(duration, history_then_live(duration, CUT))
    health = await (await client.get("/healthz")).json()
    assert health["parts"]["history"] == {"state": "up", "downMs": 0, "restarts": 0, "error": None}


async def test_ready_does_not_wait_for_the_history(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    rest.block()
    app = App(aiohttp_client, tmp_path, **fake_urls(exchange, rest))
    client = await app.start()
    await trade(exchange, CUT + 250)
    await wait_until(lambda: rest.waiting == 1)  # the first klines request hangs
    r = await client.get("/healthz")
    assert r.status == 200 and (await r.json())["engine"] == "READY"
    minute = CUT - CUT % 60_000
    await app.shows("1m", [CandleRecord("BTCUSDT", "1m", minute, *(TRADE[0],) * 4, TRADE[1])])
    assert rest.waiting == 1  # still no history
    rest.release()
    await app.shows("1m", history_then_live("1m", CUT))


async def test_a_restart_adds_the_missing_candles_and_duplicates_nothing(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    app = App(aiohttp_client, tmp_path, **fake_urls(exchange, rest))
    client = await app.start()
    await trade(exchange, CUT + 250)
    await app.shows("30s", history_then_live("30s", CUT))  # 30s comes last
    await client.close()
    later = CUT + 2 * 60_000  # 05:09:42: Velox was down for two minutes
    rest.now_ms = later + 10_000
    await app.start()
    await trade(exchange, later + 250, trade_id=2)
    first, boundary = CUT - CUT % 60_000 - 3 * 60_000, later - later % 60_000  # 05:04, 05:09
    await app.shows("1m", [
        # history; then 05:07 (the newest stored: partial when Velox stopped) and 05:08 fetched
        *(stored("BTCUSDT", "1m", t, t + 60_000) for t in range(first, boundary, 60_000)),
        with_trades(stored("BTCUSDT", "1m", boundary, later), TRADE),
    ])  # fmt: skip
    today = with_trades(stored("BTCUSDT", "1d", DAY, later), TRADE)
    assert today.volume == units("185.82") + TRADE[1]  # 0.01/s to 05:09:42 and one trade
    days = [
        stored("BTCUSDT", "1d", DAY - n * 86_400_000, DAY - (n - 1) * 86_400_000) for n in (3, 2, 1)
    ]
    await app.shows("1d", [*days, today])


async def outage(exchange: FakeBinanceServer, rest: FakeBinanceRest) -> int:
    """The feed drops and reconnects 25 minutes later, with a trade then: that trade's time."""
    await exchange.drop_all()
    later = CUT + 25 * 60_000  # 05:32:42
    rest.now_ms = later + 10_000
    await exchange.wait_connections(2)
    await trade(exchange, later + 250, trade_id=2)
    return later


async def test_the_gap_of_an_outage_is_filled_when_the_feed_reconnects(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    app = App(aiohttp_client, tmp_path, history_candles=30, **fake_urls(exchange, rest))
    await app.start()
    await trade(exchange, CUT + 250)
    await app.shows("30s", history_then_live("30s", CUT, count=30))
    later = await outage(exchange, rest)
    first, boundary = CUT - CUT % 60_000 - 30 * 60_000, later - later % 60_000
    await app.shows("1m", [
        # 05:07 too: the newest stored, cut off by the outage; then the gap up to 05:32
        *(stored("BTCUSDT", "1m", t, t + 60_000) for t in range(first, boundary, 60_000)),
        with_trades(stored("BTCUSDT", "1m", boundary, later), TRADE),
    ])  # fmt: skip


async def test_a_429_is_waited_out(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    rest.queue_reply(429, {"Retry-After": "1"})
    app = App(aiohttp_client, tmp_path, **fake_urls(exchange, rest))
    await app.start()
    await trade(exchange, CUT + 250)
    await app.shows("1m", history_then_live("1m", CUT))
    assert rest.requests[0] == rest.requests[1]  # the refused request, sent again


async def test_offline_history_costs_one_log_line_and_nothing_else(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    app = App(
        aiohttp_client, tmp_path, binance_url=exchange.url,
        binance_rest_url=f"http://127.0.0.1:{free_port()}",
    )  # fmt: skip
    client = await app.start()
    await exchange.wait_connections(1)
    for i, symbol in enumerate(("BTCUSDT", "ETHUSDT", "SOLUSDT")):
        await exchange.push_trade(symbol, PRICE, QTY, i + 1, trade_ms=CUT + 250)

    def warnings() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.WARNING]

    await wait_until(lambda: len(warnings()) == 1)
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        live = [CandleRecord(symbol, "1m", CUT - CUT % 60_000, *(TRADE[0],) * 4, TRADE[1])]
        await app.shows("1m", live, symbol)
    r = await client.get("/healthz")
    assert r.status == 200 and (await r.json())["parts"]["history"]["state"] == "up"
    (line,) = warnings()
    assert line.name == "velox.market.backfill"
    assert line.getMessage().startswith(
        f"history: Binance klines at {app.settings.binance_rest_url}: "
    )
    assert line.getMessage().endswith(
        "(4 attempts); charts show candles from live trades only until the feed reconnects "
        "or Velox restarts"
    )


async def test_a_chart_open_through_an_outage_is_told_to_read_the_gap(
    aiohttp_client: Any, tmp_path: Path, exchange: FakeBinanceServer, rest: FakeBinanceRest
) -> None:
    """The bars of an outage are written behind the newest candle, where no live candle goes:
    a chart subscribed to the series gets ``candles_filled`` once they are stored, and reads
    them. (An open chart never showed them until the page was reloaded: an outside review.)"""
    app = App(aiohttp_client, tmp_path, history_candles=30, **fake_urls(exchange, rest))
    client = await app.start()
    ws = await client.ws_connect("/ws")
    await ws.send_json({"op": "subscribe", "channel": "candles", "symbol": "BTCUSDT",
                        "duration": "1m"})  # fmt: skip
    await trade(exchange, CUT + 250)
    await app.shows("1m", history_then_live("1m", CUT, count=30))
    later = await outage(exchange, rest)
    gap = set(range(CUT - CUT % 60_000 + 60_000, later - later % 60_000, 60_000))  # 05:08..
    async with asyncio.timeout(10):  # the one after the gap was written (written, then said)
        while True:
            message = await ws.receive_json()
            if message["type"] != "candles_filled":
                continue
            assert message == {"type": "candles_filled", "symbol": "BTCUSDT", "duration": "1m"}
            if gap <= {c.time for c in await app.candles("1m")}:
                break
    await ws.close()
