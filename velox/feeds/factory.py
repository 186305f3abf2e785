"""``--feed`` spec -> Feed: ``auto | binance | backpack | sim | replay:PATH``.

The one place the app turns configuration into a feed. Every feed it returns also has
``last_tick_ms`` (symbol -> engine time of the last tick's receipt) and ``connected`` for
/healthz; ``clock`` stamps them and should be the app's one clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.auto import AutoFeed
from velox.feeds.backoff import Backoff
from velox.feeds.backpack import DEFAULT_BACKPACK_URL, BackpackFeed
from velox.feeds.base import MonitoredFeed
from velox.feeds.binance import DEFAULT_BINANCE_URL, BinanceFeed
from velox.feeds.replay import ReplayFeed
from velox.feeds.sim import LastPrices, SimFeed
from velox.feeds.symbols import DEFAULT_SYMBOLS

FEED_SPECS = ("auto", "binance", "backpack", "sim", "replay:PATH")
__all__ = ["FEED_SPECS", "MonitoredFeed", "make_feed"]


def make_feed(
    spec: str,
    *,
    binance_url: str = DEFAULT_BINANCE_URL,
    backpack_url: str = DEFAULT_BACKPACK_URL,
    symbols: Sequence[str] = DEFAULT_SYMBOLS,
    seed: int = 1,
    replay_speed: float = 1.0,
    replay_symbol: str | None = None,
    sim_ticks_per_second: float = 5.0,
    auto_timeout_s: float = 5.0,
    backoff: Backoff | None = None,
    clock: Clock = SYSTEM_CLOCK,
    sim_last_prices: LastPrices | None = None,
) -> MonitoredFeed:
    """Build the feed named by ``spec``; raises ValueError for an unknown spec.
    ``sim_last_prices``: where a simulator finds the last known prices to go on from."""
    if spec.startswith("replay:"):
        path = spec.removeprefix("replay:")
        if not path:
            raise ValueError("replay needs a path: replay:PATH")
        return ReplayFeed(path, symbol=replay_symbol, speed=replay_speed, clock=clock)
    if spec == "sim":
        return SimFeed(
            symbols,
            seed=seed,
            ticks_per_second=sim_ticks_per_second,
            clock=clock,
            last_prices=sim_last_prices,
        )
    if spec == "binance":
        return BinanceFeed(binance_url, symbols, backoff=backoff, clock=clock)
    if spec == "backpack":
        return BackpackFeed(backpack_url, symbols, backoff=backoff, clock=clock)
    if spec == "auto":
        return AutoFeed(
            BinanceFeed(binance_url, symbols, backoff=backoff, clock=clock),
            SimFeed(
                symbols,
                seed=seed,
                ticks_per_second=sim_ticks_per_second,
                clock=clock,
                last_prices=sim_last_prices,
            ),
            timeout_s=auto_timeout_s,
        )
    raise ValueError(f"unknown feed {spec!r}; expected one of {', '.join(FEED_SPECS)}")
