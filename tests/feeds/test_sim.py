"""The simulator: same seed -> same ticks; integer prices; plausible levels and volatility."""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Sequence
from decimal import Decimal

import pytest

from tests.feeds.helpers import Collector, running
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.sim import SimFeed, SimWalk
from velox.money import units


def ticks(seed: int, count: int) -> list[tuple[int, int, int, int, int]]:
    feed = SimFeed(seed=seed, id_base=0, clock=ManualClock(42))
    out = []
    for _ in range(count):
        for symbol in feed.symbols:
            t = feed.next_tick(symbol)
            assert t.trade_price is not None and t.trade_qty is not None
            assert t.trade_id is not None and t.bid is not None and t.ask is not None
            out.append((t.trade_price, t.trade_qty, t.trade_id, t.bid, t.ask))
    return out


def test_same_seed_same_ticks_different_seed_different() -> None:
    assert ticks(7, 200) == ticks(7, 200)
    assert ticks(7, 200) != ticks(8, 200)


def test_first_ticks_are_pinned() -> None:
    """Pins the integer walk: a change to it must be deliberate."""
    assert ticks(3, 1)[0] == (9_499_904_000_000, 3_481_000, 1, 9_499_904_000_000, 9_499_905_000_000)


def test_all_values_are_int_and_quotes_are_consistent() -> None:
    for price, qty, _, bid, ask in ticks(5, 500):
        assert all(type(v) is int for v in (price, qty, bid, ask))
        assert ask - bid == units("0.01")
        assert price in (bid, ask)
        assert qty > 0 and bid % units("0.01") == 0


def test_trade_ids_increase_per_symbol_from_base() -> None:
    feed = SimFeed(["BTCUSDT", "ETHUSDT"], seed=1, id_base=1000, clock=ManualClock(0))
    ids = [feed.next_tick(s).trade_id for s in ("BTCUSDT", "ETHUSDT", "BTCUSDT", "BTCUSDT")]
    assert ids == [1001, 1001, 1002, 1003]


def test_default_id_base_and_trade_times_come_from_the_wall_clock() -> None:
    """Ids must not repeat a past run's, and a trade is dated as an exchange dates it: by
    the wall clock (a time review: after a step back of the wall clock the simulator's
    trades, dated in engine time, were "+299 s from the local clock" to the trade writer,
    which filed no candle: the chart stopped). Its receipt is engine time, as every feed's."""
    clock = ManualClock(1_736_812_800_000)
    clock.step_wall(-5_000)  # an NTP step back: engine time unchanged
    feed = SimFeed(seed=1, clock=clock)
    tick = feed.next_tick("ETHUSDT")
    assert tick.trade_id == 1_736_812_795_000_001
    assert (tick.received_ms, tick.exchange_ms, tick.source) == (
        1_736_812_800_000, 1_736_812_795_000, "sim"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("symbol", "start", "vol"),
    [("BTCUSDT", 95_000, 0.5), ("ETHUSDT", 3_300, 0.65), ("SOLUSDT", 180, 0.8)],
)
def test_levels_and_hourly_volatility_are_realistic(symbol: str, start: int, vol: float) -> None:
    """One simulated hour at 5 ticks/s: log-return std within 15 % of vol * sqrt(1 h / 1 y)."""
    walk = SimWalk([symbol], seed=11, dt_s=Decimal("0.2"))
    mids = [walk.step(symbol).bid for _ in range(5 * 3600)]
    assert abs(mids[0] - start * 10**8) < start * 10**8 // 1000
    # The statistics below are test-only floats; the walk itself never uses float.
    rets = [math.log(b / a) for a, b in itertools.pairwise(mids)]
    step_std = math.sqrt(sum(r * r for r in rets) / len(rets))
    expected = vol * math.sqrt(0.2 / (365 * 24 * 3600))
    assert abs(step_std / expected - 1) < 0.15


async def test_run_emits_ticks_for_every_symbol() -> None:
    feed, sink = SimFeed(seed=1, ticks_per_second=200), Collector()
    async with running(feed, sink):
        await sink.wait(9)
        assert feed.connected
    assert {t.symbol for t in sink.ticks} == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert feed.simulated and set(feed.last_tick_ms) == {"BTCUSDT", "ETHUSDT", "SOLUSDT"}
    assert not feed.connected


def first_prices(feed: SimFeed, count: int) -> list[int]:
    prices = []
    for _ in range(count):
        tick = feed.next_tick("BTCUSDT")
        assert tick.trade_price is not None
        prices.append(tick.trade_price)
    return prices


async def resumed(id_base: int, known: dict[str, int]) -> SimFeed:
    """A simulator started (and stopped) in a Velox whose store knew ``known``."""

    async def last_prices(symbols: Sequence[str]) -> dict[str, int]:
        assert tuple(symbols) == ("BTCUSDT", "ETHUSDT", "SOLUSDT")
        return known

    feed = SimFeed(seed=3, id_base=id_base, ticks_per_second=1000, last_prices=last_prices)
    stopped = asyncio.Event()

    async def sink(tick: FeedTick) -> bool:
        stopped.set()
        await asyncio.Event().wait()  # hold the first tick: only the resume counts

    task = asyncio.create_task(feed.run(sink))
    await stopped.wait()
    task.cancel()
    await asyncio.wait({task})
    return feed


async def test_a_restarted_simulator_goes_on_from_the_last_known_price() -> None:
    """Regression: every session restarted at 95000 and walked the same path (same seed),
    so the chart jumped back at each restart and positions were valued at the reset price."""
    first = await resumed(1_000, {"BTCUSDT": units("61234.5")})
    second = await resumed(2_000, {"BTCUSDT": units("61234.5")})
    a, b = first_prices(first, 5), first_prices(second, 5)
    assert a == [
        6_123_425_000_000, 6_123_446_000_000, 6_123_421_000_000, 6_123_415_000_000,
        6_123_408_000_000,
    ]  # fmt: skip
    assert all(abs(p - units("61234.5")) < units("100") for p in a + b)
    assert a != b  # a session of its own, not the previous one's path again
    # a symbol the store knows nothing of starts at its usual price
    eth = await resumed(1_000, {})
    assert eth.walk.steps == 1
    assert abs(first_prices(eth, 1)[0] - units("95000")) < units("100")
