"""BinanceFeed against the fake Binance server on loopback: ticks, reconnects, pings."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable

import pytest

from tests.fakes.binance_server import FakeBinanceServer
from tests.feeds.helpers import Collector, running, wait_until
from velox.feeds.backoff import Backoff
from velox.feeds.base import FeedTick
from velox.feeds.binance import BinanceFeed


@pytest.fixture
async def server() -> AsyncIterator[FakeBinanceServer]:
    fake = FakeBinanceServer()
    await fake.start()
    yield fake
    await fake.stop()


def make_feed(url: str, **options: float) -> BinanceFeed:
    backoff = Backoff(base_s=0.01, max_s=0.05, rng=random.Random(1))
    return BinanceFeed(url, ["BTCUSDT", "ETHUSDT"], backoff=backoff, **options)  # type: ignore[arg-type]


async def test_subscribes_through_url_and_receives_ticks(server: FakeBinanceServer) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_connections(1)
        await wait_until(lambda: feed.connected)  # the client may still be reading the 101
        assert server.connections[0].streams == {
            "btcusdt@trade", "btcusdt@bookTicker", "ethusdt@trade", "ethusdt@bookTicker",
        }  # fmt: skip
        await server.push_trade("BTCUSDT", "95000.12", "0.5", trade_id=10, trade_ms=1_700)
        await server.push_book("ETHUSDT", "3300.10", "3300.11")
        await server.push_trade("SOLUSDT", "180", "1", trade_id=1)  # not subscribed: not sent
        ticks = await sink.wait(2)
    assert ticks[0].symbol == "BTCUSDT"
    assert (ticks[0].trade_price, ticks[0].trade_qty, ticks[0].trade_id, ticks[0].exchange_ms) == (
        9_500_012_000_000, 50_000_000, 10, 1_700,
    )  # fmt: skip
    book = ("ETHUSDT", 330_010_000_000, 330_011_000_000)
    assert (ticks[1].symbol, ticks[1].bid, ticks[1].ask) == book
    assert set(feed.last_tick_ms) == {"BTCUSDT", "ETHUSDT"}
    assert feed.last_tick_ms["BTCUSDT"] == ticks[0].received_ms
    assert not feed.connected and not feed.simulated


@pytest.mark.parametrize("abrupt", [True, False])
async def test_reconnects_after_forced_disconnect(server: FakeBinanceServer, abrupt: bool) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_connections(1)
        await server.push_trade("BTCUSDT", "1", "1", trade_id=1)
        await sink.wait(1)
        await server.drop_all(abrupt=abrupt)
        await server.wait_connections(2)
        assert len(server.connections[0].streams) == 4  # the new connection resubscribed
        await server.push_trade("BTCUSDT", "2", "1", trade_id=2)
        await sink.wait(2)
    assert [t.trade_id for t in sink.ticks] == [1, 2]
    assert [t.connection for t in sink.ticks] == [1, 2]  # the gap is visible downstream
    assert feed.connections == 2


async def test_server_shutdown_triggers_reconnect(server: FakeBinanceServer) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_connections(1)
        assert await server.server_shutdown() == 1
        await server.wait_connections(2)
        await server.push_trade("ETHUSDT", "3300", "1", trade_id=5)
        await sink.wait(1)
    assert sink.ticks[0].trade_id == 5


async def test_pong_echoes_ping_payload(server: FakeBinanceServer) -> None:
    feed = make_feed(server.url)
    async with running(feed, Collector()):
        await server.wait_connections(1)
        await server.ping(b"ping-1736812800")
        await wait_until(lambda: bool(server.pongs))
    assert server.pongs == [b"ping-1736812800"]


async def test_periodic_server_pings_are_answered() -> None:
    fake = FakeBinanceServer(ping_interval_s=0.02, ping_payload=b"keep")
    await fake.start()
    try:
        async with running(make_feed(fake.url), Collector()):
            await wait_until(lambda: len(fake.pongs) >= 3)
    finally:
        await fake.stop()
    assert set(fake.pongs) == {b"keep"}


async def test_stalled_socket_is_abandoned(server: FakeBinanceServer) -> None:
    feed, sink = make_feed(server.url, stall_timeout_s=0.1), Collector()
    server.stall()
    async with running(feed, sink):
        await server.wait_connections(2, timeout=3)
        server.stall(False)
        await server.push_trade("BTCUSDT", "1", "1", trade_id=9)
        await sink.wait(1)


async def test_connection_rotated_before_max_age(server: FakeBinanceServer) -> None:
    feed = make_feed(server.url, max_age_s=0.05)
    async with running(feed, Collector()):
        await server.wait_connections(3, timeout=3)


async def test_malformed_message_is_skipped(server: FakeBinanceServer) -> None:
    feed, sink = make_feed(server.url), Collector()
    async with running(feed, sink):
        await server.wait_connections(1)
        await server.send_raw("not json")
        await server.send_raw('{"stream":"btcusdt@trade","data":{"s":"BTCUSDT","p":1.5}}')
        await server.push_trade("BTCUSDT", "95000", "0.1", trade_id=3)
        await sink.wait(1)
    assert feed.parse_errors == 2
    assert len(sink.ticks) == 1 and sink.ticks[0].trade_id == 3
    assert feed.connections == 1


async def test_nothing_listening_keeps_retrying_quietly() -> None:
    feed, sink = make_feed("ws://127.0.0.1:9", connect_timeout_s=0.5), Collector()
    async with running(feed, sink) as task:
        await wait_until(lambda: feed.backoff.attempts >= 3)
        assert not task.done()
    assert (feed.connected, feed.connections, sink.ticks) == (False, 0, [])


async def test_slow_sink_is_awaited_per_tick_in_order(server: FakeBinanceServer) -> None:
    seen: list[FeedTick] = []

    async def slow(tick: FeedTick) -> bool:
        await asyncio.sleep(0.001)
        seen.append(tick)
        return True

    feed = make_feed(server.url)
    task = asyncio.create_task(feed.run(slow))
    try:
        await server.wait_connections(1)
        for i in range(20):
            await server.push_trade("BTCUSDT", "1", "1", trade_id=i)
        await wait_until(lambda: len(seen) == 20)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert [t.trade_id for t in seen] == list(range(20))


class Refusing(Collector):
    """A sink that takes only the symbols in ``taken`` to the engine, like a FeedSink
    dropping every tick of a symbol as late."""

    def __init__(self, taken: set[str]) -> None:
        super().__init__()
        self.taken = taken

    async def __call__(self, tick: FeedTick) -> bool:
        await super().__call__(tick)
        return tick.symbol in self.taken


async def push_until(server: FakeBinanceServer, done: Callable[[], bool]) -> None:
    """Keep trades of both symbols flowing until ``done``, ids rising."""
    trade_id = 0
    async with asyncio.timeout(5):
        while not done():
            trade_id += 1
            await server.push_trade("BTCUSDT", "1", "1", trade_id=trade_id)
            await server.push_trade("ETHUSDT", "1", "1", trade_id=trade_id)
            await asyncio.sleep(0.01)


async def test_freshness_counts_only_ticks_that_reached_the_engine(
    server: FakeBinanceServer,
) -> None:
    """Regression: ``last_tick_ms`` (``/healthz``'s lastTickAgeMs) and the stall detector
    counted every parsed tick, also those the sink dropped as late: a symbol frozen by a
    bogus trade id looked fresh for ever. Now a feed whose every tick is dropped is stalled
    and reconnects (where the sink starts the ordering afresh)."""
    feed, sink = make_feed(server.url, stall_timeout_s=0.2), Refusing(set())
    async with running(feed, sink):
        await server.wait_connections(1)
        await push_until(server, lambda: feed.connections >= 2)
    assert feed.last_tick_ms == {}
    assert len(sink.ticks) > 10


async def test_one_symbol_whose_ticks_are_all_dropped_is_a_stall(
    server: FakeBinanceServer,
) -> None:
    feed, sink = make_feed(server.url, stall_timeout_s=0.2), Refusing({"ETHUSDT"})
    async with running(feed, sink):
        await server.wait_connections(1)
        await push_until(server, lambda: feed.connections >= 2)
    assert set(feed.last_tick_ms) == {"ETHUSDT"}


async def test_exchange_errors_are_logged_rate_limited(
    server: FakeBinanceServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: each ``{"code":..,"msg":..}`` reply was one ERROR line: 3000 in a flood."""
    feed, sink = make_feed(server.url), Collector()
    with caplog.at_level(logging.ERROR, logger="velox.feeds.ws"):
        async with running(feed, sink):
            await server.wait_connections(1)
            for _ in range(50):
                await server.send_raw('{"code":2,"msg":"Invalid request"}')
            await server.push_trade("BTCUSDT", "1", "1", trade_id=1)
            await sink.wait(1)
    said = [r.getMessage() for r in caplog.records if "exchange error" in r.getMessage()]
    assert len(said) == 1 and "Invalid request" in said[0]
    assert feed.exchange_errors == 50


async def flap(server: FakeBinanceServer, feed: BinanceFeed, sink: Collector, times: int) -> None:
    """Each connection delivers one tick, then the server drops it."""
    for i in range(times):
        await server.wait_connections(i + 1)
        await wait_until(lambda: feed.connected)
        await server.push_trade("BTCUSDT", "1", "1", trade_id=1)
        await sink.wait(i + 1)
        await server.drop_all()
        await wait_until(lambda: not feed.connected)


async def test_a_flapping_server_is_retried_with_growing_waits(
    server: FakeBinanceServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: every tick reset the backoff, so a server that drops each connection half
    a second after it opens, ticks flowing, was reconnected to 101 times a minute (Binance
    allows 300 per 5 min and bans repeat offenders), with 3-4 log lines each time."""
    feed, sink = make_feed(server.url, stall_timeout_s=5.0), Collector()
    with caplog.at_level(logging.INFO, logger="velox.feeds.ws"):
        async with running(feed, sink):
            await flap(server, feed, sink, 6)
            # no reset: each wait longer than the last
            await wait_until(lambda: feed.backoff.attempts == 6, timeout=2)
    said = [r for r in caplog.records if r.name == "velox.feeds.ws"]
    assert len(said) <= 6, [r.getMessage() for r in said]


async def test_a_connection_that_stays_up_resets_the_backoff(server: FakeBinanceServer) -> None:
    feed, sink = make_feed(server.url, stall_timeout_s=0.3), Collector()
    async with running(feed, sink):
        await flap(server, feed, sink, 3)
        await server.wait_connections(4)
        assert feed.backoff.attempts == 3
        trade_id = 1
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < 0.45:  # up and delivering for longer than 0.3 s
            trade_id += 1
            await server.push_trade("BTCUSDT", "1", "1", trade_id=trade_id)
            await asyncio.sleep(0.02)
        await wait_until(lambda: feed.backoff.attempts == 0)
    assert feed.connections == 4
