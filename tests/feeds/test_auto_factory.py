"""auto: Binance first, sim after the timeout, back to Binance when it delivers; make_feed."""

from __future__ import annotations

import asyncio
import logging
import random
from pathlib import Path

import pytest

from tests.fakes.binance_server import FakeBinanceServer
from tests.fakes.ws_server import now_ms
from tests.feeds.helpers import Collector, running, wait_until
from velox.clock import ManualClock
from velox.engine.commands import PriceTick
from velox.feeds.auto import AutoFeed
from velox.feeds.backoff import Backoff
from velox.feeds.backpack import BackpackFeed
from velox.feeds.base import TickSink
from velox.feeds.binance import BinanceFeed
from velox.feeds.factory import make_feed
from velox.feeds.replay import ReplayFeed
from velox.feeds.sim import SimFeed
from velox.feeds.sink import FeedSink
from velox.money import units


def fast_backoff() -> Backoff:
    return Backoff(base_s=0.01, max_s=0.02, rng=random.Random(3))


def auto(url: str, timeout_s: float) -> AutoFeed:
    binance = BinanceFeed(url, backoff=fast_backoff(), connect_timeout_s=0.5)
    return AutoFeed(binance, SimFeed(seed=1, ticks_per_second=100), timeout_s=timeout_s)


async def test_falls_back_to_sim_when_nothing_listens() -> None:
    feed, sink = auto("ws://127.0.0.1:9", timeout_s=0.05), Collector()
    assert not feed.simulated
    async with running(feed, sink):
        await sink.wait(3)
        assert feed.simulated and feed.connected
    assert {t.symbol for t in sink.ticks} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert set(feed.last_tick_ms) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}


async def test_uses_binance_when_it_delivers_in_time() -> None:
    server = FakeBinanceServer()
    await server.start()
    try:
        feed, sink = auto(server.url, timeout_s=2), Collector()
        async with running(feed, sink):
            await server.wait_connections(1)
            await server.push_trade("BTCUSDT", "95000", "1", trade_id=1)
            await sink.wait(1)
            assert not feed.simulated and feed.connected and feed.sim.connected is False
    finally:
        await server.stop()
    assert [t.trade_id for t in sink.ticks] == [1]


async def test_switches_back_to_binance_when_it_starts_delivering() -> None:
    server = FakeBinanceServer()
    await server.start()
    server.stall()  # connected, but no prices: still not "up"
    try:
        feed, sink = auto(server.url, timeout_s=0.05), Collector()
        async with running(feed, sink):
            await wait_until(lambda: feed.simulated and len(sink.ticks) >= 3)
            server.stall(False)
            await server.push_trade("BTCUSDT", "95123.45", "1", trade_id=77)
            await wait_until(lambda: not feed.simulated)
            count = len(sink.ticks)
            await server.push_trade("BTCUSDT", "95123.46", "1", trade_id=78)
            await wait_until(lambda: len(sink.ticks) > count)
            assert not feed.sim.connected
    finally:
        await server.stop()
    real = sink.ticks.index(next(t for t in sink.ticks if t.trade_id == 77))
    assert [t.trade_id for t in sink.ticks[real:]] == [77, 78]  # no sim tick after the switch


class Prices:
    """The engine's side of a FeedSink: the prices it is offered."""

    def __init__(self) -> None:
        self.ticks: list[PriceTick] = []

    def offer_tick(self, tick: PriceTick) -> None:
        self.ticks.append(tick)

    def of(self, symbol: str) -> list[int]:
        return [t.price for t in self.ticks if t.asset == symbol]


async def test_switching_from_sim_to_binance_prices_binance_at_once() -> None:
    """Regression: the simulator stamps local times, Binance its own. Leaving the simulator,
    Binance's first book update re-sent the simulated trade price as fresh, and its trades
    (stamped a minute before our clock here) were taken for late ones and never priced."""
    server = FakeBinanceServer()
    await server.start()
    server.stall()
    prices = Prices()
    try:
        feed = auto(server.url, timeout_s=0.05)
        async with running(feed, FeedSink(prices, clock=ManualClock())):
            await wait_until(lambda: feed.simulated and len(prices.of("BTCUSDT")) >= 2)
            server.stall(False)
            await server.push_book("BTCUSDT", "50000", "50002", update_id=7)
            await wait_until(lambda: not feed.simulated)
            exchange_ms = now_ms() - 60_000
            await server.push_trade("BTCUSDT", "50010", "1", trade_id=9, trade_ms=exchange_ms)
            await wait_until(lambda: feed.binance.ticks == 2)
    finally:
        await server.stop()
    assert prices.of("BTCUSDT")[-2:] == [units("50001"), units("50010")]


async def test_a_dead_simulator_ends_the_auto_feed() -> None:
    """Regression: a failing simulator task died unseen while auto kept waiting on Binance
    and prices went stale. Now ``run`` raises, for the feed's supervisor to restart it."""

    class BrokenSim(SimFeed):
        async def run(self, sink: TickSink) -> None:
            raise RuntimeError("sim bug")

    feed = AutoFeed(
        BinanceFeed("ws://127.0.0.1:9", backoff=fast_backoff(), connect_timeout_s=0.5),
        BrokenSim(seed=1),
        timeout_s=0.05,
    )
    with pytest.raises(RuntimeError, match="sim bug"):
        await asyncio.wait_for(feed.run(Collector()), 5)
    assert not feed.simulated and not feed.binance.connected


async def test_background_retries_are_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: offline, every reconnect attempt logged a WARNING with the whole stream
    URL, for as long as Velox ran. Once auto runs on the simulator: one line a minute."""
    clock = ManualClock()
    binance = BinanceFeed(
        "ws://127.0.0.1:9", backoff=fast_backoff(), connect_timeout_s=0.5, clock=clock
    )
    feed = AutoFeed(binance, SimFeed(seed=1, ticks_per_second=100), timeout_s=0.05)
    caplog.set_level(logging.INFO, logger="velox.feeds")

    def retries_on_sim() -> list[str]:
        """Binance's retry lines logged after auto switched to the simulator."""
        names = [r.name for r in caplog.records]
        switch = names.index("velox.feeds.auto") if "velox.feeds.auto" in names else len(names)
        return [r.getMessage() for r in caplog.records[switch:] if r.name == "velox.feeds.ws"]

    async with running(feed, Collector()):
        await wait_until(lambda: feed.simulated)
        attempts = binance.attempts
        await wait_until(lambda: binance.attempts >= attempts + 20)
        assert len(retries_on_sim()) == 1
        clock.advance(60_000)
        attempts = binance.attempts
        await wait_until(lambda: binance.attempts >= attempts + 2)
        assert len(retries_on_sim()) == 2
    first, later = retries_on_sim()
    assert first.startswith("binance: disconnected (connect to ws://127.0.0.1:9 failed: ")
    assert "more since last report" in later
    assert not [r for r in caplog.records if "/stream?streams=" in r.getMessage()]


def test_make_feed_specs(tmp_path: Path) -> None:
    assert isinstance(make_feed("binance", binance_url="ws://x:1"), BinanceFeed)
    backpack = make_feed("backpack", backpack_url="ws://y:2", symbols=["BTCUSDT"])
    assert isinstance(backpack, BackpackFeed) and backpack.url() == "ws://y:2"
    sim = make_feed("sim", seed=9)
    assert isinstance(sim, SimFeed) and sim.simulated
    (tmp_path / "ETHUSDT-trades-2025-01.csv").write_text("")
    replay = make_feed(f"replay:{tmp_path}/ETHUSDT-trades-2025-01.csv", replay_speed=0)
    assert isinstance(replay, ReplayFeed) and (replay.symbol, replay.speed) == ("ETHUSDT", 0)
    feed = make_feed("auto", binance_url="ws://z:3", auto_timeout_s=0.5)
    assert isinstance(feed, AutoFeed) and feed.timeout_s == 0.5
    assert feed.binance.url() == (
        "ws://z:3/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/"
        "ethusdt@bookTicker/solusdt@trade/solusdt@bookTicker"
    )
    for bad in ("kraken", "replay:", "", f"replay:{tmp_path}/BTCUSDT-trades-2025-01.csv"):
        with pytest.raises(ValueError):
            make_feed(bad)


async def test_only_ticks_that_reached_the_engine_are_fresh() -> None:
    """Regression: auto stamped ``last_tick_ms`` (``/healthz``'s lastTickAgeMs) before its
    sink dropped the tick as late, so a frozen symbol looked fresh."""
    server = FakeBinanceServer()
    await server.start()
    prices = Prices()
    try:
        feed = auto(server.url, timeout_s=2)
        async with running(feed, FeedSink(prices, clock=ManualClock())):
            await server.wait_connections(1)
            await server.push_trade("BTCUSDT", "95000", "1", trade_id=9)
            await wait_until(lambda: "BTCUSDT" in feed.last_tick_ms)
            feed.last_tick_ms.clear()
            await server.push_trade("BTCUSDT", "94000", "1", trade_id=8)  # late: dropped
            await server.push_trade("ETHUSDT", "3000", "1", trade_id=1)
            await wait_until(lambda: "ETHUSDT" in feed.last_tick_ms)
    finally:
        await server.stop()
    assert set(feed.last_tick_ms) == {"ETHUSDT"}
    assert prices.of("BTCUSDT") == [units("95000")]
