"""The equity curve as the history's statistics answer it: at most ``MAX_POINTS`` points.

``history_stats`` computes every statistic from the whole curve (one point per trade and
flow); an account with 100,000 trades would otherwise get 100,000 points (5 MB of JSON) to
draw a few hundred pixels. A longer curve is cut into equal runs of consecutive points and
each run keeps its lowest and highest point, in time order, with the first and last points
of the curve and the peak and trough of its maximum drawdown: every extreme the chart shows
is a real point of the curve, and the drawdown the statistics report is visible on it. A
curve of at most ``MAX_POINTS`` points is answered whole.
"""

from __future__ import annotations

from collections.abc import Sequence

from velox.web.history_stats import EquityPoint

MAX_POINTS = 2000


def drawdown_ends(curve: Sequence[EquityPoint]) -> tuple[int, int]:
    """The indexes of the peak and the trough of the largest fall (as ``max_drawdown``:
    a flow moves the peak with the equity); (0, 0) without a fall."""
    if not curve:
        return 0, 0
    peak, peak_at = curve[0].equity, 0
    worst, ends = 0, (0, 0)
    for i, point in enumerate(curve):
        peak += point.flow
        if point.equity >= peak:
            peak, peak_at = point.equity, i
        if peak - point.equity > worst:
            worst, ends = peak - point.equity, (peak_at, i)
    return ends


def bounded(curve: Sequence[EquityPoint], max_points: int | None = None) -> list[EquityPoint]:
    """``curve`` itself when it has at most ``max_points`` (default ``MAX_POINTS``) points,
    else at most that many of its points (module doc), oldest first."""
    max_points = MAX_POINTS if max_points is None else max_points
    n = len(curve)
    if n <= max_points:
        return list(curve)
    runs = max(1, (max_points - 4) // 2)
    keep = {0, n - 1, *drawdown_ends(curve)}
    for r in range(runs):
        lo, hi = 1 + (n - 2) * r // runs, 1 + (n - 2) * (r + 1) // runs
        if lo >= hi:
            continue
        part = range(lo, hi)
        keep.add(min(part, key=lambda i: curve[i].equity))
        keep.add(max(part, key=lambda i: curve[i].equity))
    return [curve[i] for i in sorted(keep)]
