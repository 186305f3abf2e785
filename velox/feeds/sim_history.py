"""The simulator's past: a seeded walk backwards in time from a price, for the chart history.

An offline demo should open on a full chart, and the history must lead into the live
simulated prices without a jump. So the walk starts at the live session's first price and
steps BACK in time with the simulator's own step (``walk_step``: a return is as likely up as
down, so the walk is the same process read backwards), with each step's volatility scaled
to its length (``sigma_ppt``), in integers only.

The path is denser where the chart shows short candles: ``segments`` (newest first) say
from when on which step length applies, e.g. 200 ms steps over the last 1000 s (the 1s
candles), 6 s steps before that (the 30s candles), and so on: about five points per candle
of every duration, a few tens of thousands of points for 1000 candles of each. A point's
quantity is what the live simulator would trade over its step on average, times a random
factor, so volumes look alike on both sides of the cut.

Deterministic: the random stream is seeded by ``(seed, symbol)``, so the same seed, symbol,
end time and price always give the same path (on any platform and Python build: a ``str``
seed is hashed with SHA-512, and nothing else is random).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from decimal import Decimal

from velox.feeds.sim import MID_EXTRA, asset_of, sigma_ppt, walk_step

Point = tuple[int, int, int]  # time ms, price, quantity (units)


def history_path(
    symbol: str,
    seed: int,
    end_ms: int,
    end_price: int,
    segments: Sequence[tuple[int, int]],
    ticks_per_second: float = 5.0,
) -> list[Point]:
    """Points strictly before ``end_ms``, oldest first. ``segments`` are ``(start_ms,
    step_ms)``, newest first: the walk steps back by ``step_ms`` while it stays at or after
    ``start_ms``, then goes on with the next segment."""
    asset = asset_of(symbol)
    rng = random.Random(f"velox-sim-history:{seed}:{symbol}")
    milli_ticks = int(Decimal(str(ticks_per_second)) * 1000)
    mid = end_price * MID_EXTRA
    time = end_ms
    points: list[Point] = []
    for start_ms, step_ms in segments:
        sigma = sigma_ppt(asset, Decimal(step_ms) / 1000)
        per_step = asset.lot * step_ms * milli_ticks  # lots * k^2 per step, x 10^6
        while time - step_ms >= start_ms:
            time -= step_ms
            mid = walk_step(rng, mid, sigma, asset)
            price = mid // MID_EXTRA // asset.tick * asset.tick
            k = rng.randrange(1, 64)
            qty = max(asset.lot, per_step * k * k // 1_000_000)
            points.append((time, price, qty))
    points.reverse()
    return points
