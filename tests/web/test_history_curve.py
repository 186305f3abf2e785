"""The equity curve the statistics answer is at most ``MAX_POINTS`` points (rev7: one point
per trade, 5.3 MB of JSON at 110,000 trades): a short curve whole, a long one thinned to
real points of it keeping its extremes and its maximum drawdown."""

from __future__ import annotations

import random

from velox.web.history_curve import bounded, drawdown_ends
from velox.web.history_stats import EquityPoint, max_drawdown


def _curve(n: int, seed: int = 7) -> list[EquityPoint]:
    rng = random.Random(seed)
    equity, points = 1000, []
    for i in range(n):
        equity += rng.randint(-50, 52)
        points.append(EquityPoint(i, equity, 0))
    return points


def test_a_short_curve_is_whole() -> None:
    curve = _curve(50)
    assert bounded(curve, 50) == curve
    assert bounded([]) == []


def test_a_long_curve_keeps_its_extremes_and_drawdown() -> None:
    curve = _curve(20_000)
    thin = bounded(curve, 200)
    assert len(thin) <= 200
    assert [p.time for p in thin] == sorted({p.time for p in thin})
    assert set(thin) <= set(curve)
    assert (thin[0], thin[-1]) == (curve[0], curve[-1])
    assert max(p.equity for p in thin) == max(p.equity for p in curve)
    assert min(p.equity for p in thin) == min(p.equity for p in curve)
    assert max_drawdown(thin) == max_drawdown(curve)
    peak, trough = drawdown_ends(curve)
    assert curve[peak].equity - curve[trough].equity == max_drawdown(curve)[0]


def test_the_drawdown_with_flows_is_the_statistics_one() -> None:
    curve = [
        EquityPoint(0, 100), EquityPoint(1, 150), EquityPoint(2, 250, 100),
        EquityPoint(3, 180), EquityPoint(4, 400), EquityPoint(5, 390),
    ]  # fmt: skip
    peak, trough = drawdown_ends(curve)
    assert (peak, trough) == (2, 3)
    assert curve[peak].equity - curve[trough].equity == max_drawdown(curve)[0]
