"""A seeded geometric random walk with realistic prices and volatility, in integers only.

Offline demos and tests need prices that move like the real ones without a network. The
walk is exact integer arithmetic (no float touches a price): each step multiplies the mid by
``1 + sigma_step * z`` where ``z`` is an Irwin-Hall approximation of a standard normal built
from 12 seeded uniform integers, and ``sigma_step = annual_vol * sqrt(dt / year)`` is computed
once with ``Decimal`` (correctly rounded, so identical on every platform). The same seed gives
the same prices, quantities and trade ids, whatever the timing.

Trade ids start at ``id_base`` (default: wall-clock ms x 1000 at construction), so a restarted
simulator never reuses ids the trade store already holds and would silently dedupe away.
Ticks are stamped with engine time (``Clock.now_ms``): the simulator is its own exchange.

A restarted simulator goes on from where the prices were: ``last_prices`` (the app reads the
store's newest candles) gives each symbol's last known price when ``run`` first starts, and
the walk continues from it, its random stream seeded by ``(seed, id_base)`` so a new session
walks a path of its own instead of the previous session's again. Without a known price (a
new database, or ``last_prices`` unset) the walk starts at the asset's start price from
``seed`` alone, as always.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from decimal import Decimal

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.base import FeedTick, TickSink
from velox.feeds.symbols import DEFAULT_SYMBOLS
from velox.frozen import frozen
from velox.money import units

YEAR_S = 365 * 24 * 3600
_Z_BITS = 20  # each uniform draw is in [0, 2^20); 12 of them give std 2^20
_PPT = 10**12  # returns are carried in parts per trillion
MID_EXTRA = 10**4  # the mid carries 4 more digits than a unit so rounding never drifts it
LastPrices = Callable[[Sequence[str]], Awaitable[Mapping[str, int]]]


@frozen
class SimAsset:
    """Start price, annual volatility (basis points), price tick and quantity lot, in units."""

    start: int
    annual_vol_bp: int
    tick: int
    lot: int


SIM_ASSETS: dict[str, SimAsset] = {
    "BTCUSDT": SimAsset(units("95000"), 5_000, units("0.01"), units("0.00001")),
    "ETHUSDT": SimAsset(units("3300"), 6_500, units("0.01"), units("0.0001")),
    "SOLUSDT": SimAsset(units("180"), 8_000, units("0.01"), units("0.001")),
}
OTHER_ASSET = SimAsset(units("100"), 8_000, units("0.01"), units("0.01"))


@frozen
class SimStep:
    symbol: str
    bid: int
    ask: int
    price: int
    qty: int
    trade_id: int


def asset_of(symbol: str) -> SimAsset:
    return SIM_ASSETS.get(symbol, OTHER_ASSET)


def sigma_ppt(asset: SimAsset, dt_s: Decimal) -> int:
    """The standard deviation of one step's return over ``dt_s`` seconds, in ppt."""
    return int(Decimal(asset.annual_vol_bp) / 10_000 * ((dt_s / YEAR_S).sqrt() * _PPT))


def walk_step(rng: random.Random, mid: int, sigma: int, asset: SimAsset) -> int:
    """One step of the walk: the next mid (in units x 10^4) from ``mid``; ``z`` ~N(0, 1)
    scaled by 2^20 comes from 12 uniform integers (Irwin-Hall). A return is as likely up as
    down, so the same step also walks back in time (``velox.feeds.sim_history``)."""
    z = sum(rng.getrandbits(_Z_BITS) for _ in range(12)) - 6 * (1 << _Z_BITS)
    ret_ppt = (sigma * z) >> _Z_BITS
    return max(mid + (mid * ret_ppt) // _PPT, asset.tick * 100 * MID_EXTRA)


class SimWalk:
    """The deterministic generator; ``SimFeed`` only adds timing. ``dt_s`` is per-asset step."""

    def __init__(self, symbols: Sequence[str], seed: int, dt_s: Decimal, id_base: int = 0) -> None:
        self._rng = random.Random(seed)
        self._seed, self._id_base = seed, id_base
        self.steps = 0
        self.assets = {s: asset_of(s) for s in symbols}
        self._mid = {s: a.start * MID_EXTRA for s, a in self.assets.items()}
        self._next_id = dict.fromkeys(symbols, id_base)
        self._sigma_ppt = {s: sigma_ppt(a, dt_s) for s, a in self.assets.items()}

    def resume(self, prices: Mapping[str, int]) -> None:
        """Go on from these last known prices (units), with a random stream of this session's
        own (seeded by ``seed`` and ``id_base``); symbols without a price keep theirs."""
        self._rng = random.Random(f"velox-sim-resume:{self._seed}:{self._id_base}")
        for symbol, price in prices.items():
            if symbol in self._mid and price > 0:
                self._mid[symbol] = price * MID_EXTRA

    def step(self, symbol: str) -> SimStep:
        self.steps += 1
        asset = self.assets[symbol]
        mid = walk_step(self._rng, self._mid[symbol], self._sigma_ppt[symbol], asset)
        self._mid[symbol] = mid
        bid = mid // MID_EXTRA // asset.tick * asset.tick
        ask = bid + asset.tick
        buyer_aggressor = self._rng.getrandbits(1) == 1
        qty = asset.lot * self._rng.randrange(1, 64) ** 2
        trade_id = self._next_id[symbol] + 1
        self._next_id[symbol] = trade_id
        return SimStep(symbol, bid, ask, ask if buyer_aggressor else bid, qty, trade_id)


class SimFeed:
    """Simulated trades + quotes for each symbol, ``ticks_per_second`` per asset."""

    name = "sim"

    def __init__(
        self,
        symbols: Iterable[str] = DEFAULT_SYMBOLS,
        *,
        seed: int = 1,
        ticks_per_second: float = 5.0,
        id_base: int | None = None,
        clock: Clock = SYSTEM_CLOCK,
        last_prices: LastPrices | None = None,
    ) -> None:
        if ticks_per_second <= 0:
            raise ValueError("ticks_per_second must be positive")
        self.symbols = tuple(symbols)
        self.ticks_per_second = ticks_per_second
        self._clock = clock
        dt = Decimal(1) / Decimal(str(ticks_per_second))
        base = clock.wall_ms() * 1000 if id_base is None else id_base
        self.walk = SimWalk(self.symbols, seed, dt, base)
        self._last_prices = last_prices
        self.last_tick_ms: dict[str, int] = {}
        self.connected = False

    @property
    def simulated(self) -> bool:
        return True

    def next_tick(self, symbol: str) -> FeedTick:
        step = self.walk.step(symbol)
        return FeedTick(
            symbol=symbol,
            received_ms=self._clock.now_ms(),
            trade_price=step.price,
            trade_qty=step.qty,
            trade_id=step.trade_id,
            # dated as an exchange dates its trades, by the wall clock: the trade writer
            # judges and files them by it (in engine time, ahead of the wall clock after a
            # step back, the chart stopped)
            exchange_ms=self._clock.wall_ms(),
            bid=step.bid,
            ask=step.ask,
            source=self.name,
        )

    async def run(self, sink: TickSink) -> None:
        """Round-robin over the symbols, spacing ticks evenly; never bursts to catch up."""
        loop = asyncio.get_running_loop()
        if self._last_prices is not None and self.walk.steps == 0:  # else it knows better
            self.walk.resume(await self._last_prices(self.symbols))
        interval = 1.0 / (self.ticks_per_second * len(self.symbols))
        next_at = loop.time()
        self.connected = True
        try:
            while True:
                for symbol in self.symbols:
                    tick = self.next_tick(symbol)
                    if await sink(tick):  # fresh only once it reached the engine
                        self.last_tick_ms[symbol] = tick.received_ms
                    next_at = max(next_at + interval, loop.time() - interval)
                    await asyncio.sleep(max(0.0, next_at - loop.time()))
        finally:
            self.connected = False
