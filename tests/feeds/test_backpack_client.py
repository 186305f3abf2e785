"""BackpackFeed against the fake Backpack server: SUBSCRIBE, resubscribe, pings, µs times."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator

import pytest

from tests.fakes.backpack_server import FakeBackpackServer
from tests.feeds.helpers import Collector, running, wait_until
from velox.feeds.backoff import Backoff
from velox.feeds.backpack import BackpackFeed
from velox.feeds.symbols import SymbolMap

SUBSCRIBE = {
    "method": "SUBSCRIBE",
    "params": ["bookTicker.BTC_USDC", "trade.BTC_USDC", "bookTicker.SOL_USDC", "trade.SOL_USDC"],
}


@pytest.fixture
async def server() -> AsyncIterator[FakeBackpackServer]:
    fake = FakeBackpackServer()
    await fake.start()
    yield fake
    await fake.stop()


def make_feed(url: str, symbols: object = ("BTCUSDT", "SOLUSDT"), **options: float) -> BackpackFeed:
    backoff = Backoff(base_s=0.01, max_s=0.05, rng=random.Random(2))
    return BackpackFeed(url, symbols, backoff=backoff, **options)  # type: ignore[arg-type]


async def test_subscribes_after_connect_and_receives(server: FakeBackpackServer) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_for(lambda: server.subscribed("trade.SOL_USDC"))
        assert server.received == [SUBSCRIBE]
        await server.push_trade("BTC_USDC", "94851.3", "0.00031", 77, trade_us=1736812800123999)
        await server.push_book("SOL_USDC", "180.51", "180.52", update_id="1463419")
        ticks = await sink.wait(2)
    assert (ticks[0].symbol, ticks[0].trade_price, ticks[0].trade_qty) == (
        "BTCUSDT", 9_485_130_000_000, 31_000,
    )  # fmt: skip
    assert (ticks[0].trade_id, ticks[0].exchange_ms) == (77, 1736812800123)
    book = ("SOLUSDT", 18_051_000_000, 18_052_000_000)
    assert (ticks[1].symbol, ticks[1].bid, ticks[1].ask) == book
    assert set(feed.last_tick_ms) == {"BTCUSDT", "SOLUSDT"}


@pytest.mark.parametrize("abrupt", [True, False])
async def test_resubscribes_after_reconnect(server: FakeBackpackServer, abrupt: bool) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_for(lambda: server.subscribed("trade.BTC_USDC"))
        await server.drop_all(abrupt=abrupt)
        await server.wait_connections(2)
        await server.wait_for(lambda: server.subscribed("trade.BTC_USDC"))
        assert server.received == [SUBSCRIBE, SUBSCRIBE]
        await server.push_trade("BTC_USDC", "1", "1", 2)
        await sink.wait(1)
    assert feed.connections == 2


async def test_pong_echoes_payload(server: FakeBackpackServer) -> None:
    async with running(make_feed(server.url), Collector()):
        await server.wait_connections(1)
        await server.ping(b"bp-ping")
        await wait_until(lambda: bool(server.pongs))
    assert server.pongs == [b"bp-ping"]


async def test_subscribe_error_is_logged_and_feed_stays_up(
    server: FakeBackpackServer, caplog: pytest.LogCaptureFixture
) -> None:
    bad = SymbolMap({"BTCUSDT": "BTC_USDC", "XXXUSDT": ""})
    feed, sink = make_feed(server.url, bad), Collector()
    with caplog.at_level(logging.ERROR, logger="velox.feeds.ws"):
        async with running(feed, sink):
            await wait_until(lambda: "Invalid stream" in caplog.text)
            assert feed.connected and feed.connections == 1


async def test_stall_then_recover(server: FakeBackpackServer) -> None:
    feed, sink = make_feed(server.url, stall_timeout_s=0.1), Collector()
    server.stall()
    async with running(feed, sink):
        await server.wait_connections(2, timeout=3)
        server.stall(False)
        await server.wait_for(lambda: server.subscribed("trade.BTC_USDC"))
        await server.push_trade("BTC_USDC", "1", "1", 3)
        await sink.wait(1)
