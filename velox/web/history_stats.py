"""Trading statistics and the equity curve of a trader's history, computed exactly.

Pure functions over two kinds of rows, so the history endpoints, the CSV and the tests all
see the same numbers:

- ``Trade``: a closed position (or closed part) and its ``result``, the cash it made or lost
  (``history.result_of``): these are the statistics' trades.
- ``Flow``: cash that no trade made, a deposit adjustment (a reset's top-up, or its excess
  taken out, negative). A flow steps the equity curve, so the curve ends at the account's
  cash; but it is no result (not in the win rate, profit factor or net result), no fall or
  recovery for the drawdown, and no return for the Sharpe ratio.

The curve is the start equity, then the equity after each trade and each flow in time order
(at one instant trades first: a reset closes its positions, then books its adjustment). Max
drawdown is the largest fall of the curve below its running peak, where a flow moves the
peak with the equity: in money, the largest fall of the cumulative result from its high.
A day's return is time-weighted: the pieces of the day between flows chained, each measured
on the equity it started from (the equity before the flow ends a piece, after it the next
begins), so a top-up after a loss is no gain. Without flows all of this is the plain
close-to-close arithmetic.

Money stays in integer units (10^-8 USD); ratios are integers scaled by 10^8 too, each
rounded against the trader (a win rate, an average win or a Sharpe ratio is never shown
better than it is; a drawdown never smaller). The formulas are in the README ("History and
statistics").
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext
from itertools import pairwise

from velox.frozen import frozen
from velox.money import SCALE, mul_div_ceil

DAY_MS = 86_400_000
TRADING_DAYS = 365  # crypto CFDs trade every day of the year
_PRECISION = 60  # digits for the Sharpe ratio's Decimal arithmetic (then floored to 10^-8)


@frozen
class Trade:
    """One row that moved the trader's cash: when, and by how much (units, signed)."""

    time: int
    result: int


@frozen
class Flow:
    """Cash into (+) or out of (-) the account that no trade made: a deposit adjustment."""

    time: int
    amount: int


@frozen
class EquityPoint:
    """The equity after a step of the curve; ``flow``: the deposit that made the step (0 for
    a trade), which the drawdown and the daily returns take out again."""

    time: int
    equity: int
    flow: int = 0


@frozen
class Stats:
    """What ``summarize`` finds. ``None``: undefined for these trades (no loss for a profit
    factor, fewer than two daily returns for a Sharpe ratio...)."""

    trades: int
    wins: int
    losses: int
    win_rate: int | None  # percent, units
    gross_profit: int
    gross_loss: int  # <= 0
    net_result: int  # the trades' results: no flow
    profit_factor: int | None  # units
    average_win: int | None
    average_loss: int | None  # <= 0
    max_drawdown: int
    max_drawdown_percent: int  # units
    sharpe: int | None  # units
    start_equity: int
    deposits: int  # the flows after the start: end_equity = start + net_result + deposits
    end_equity: int
    curve: tuple[EquityPoint, ...]


def equity_curve(
    start_time: int, start_equity: int, trades: Sequence[Trade], flows: Sequence[Flow] = ()
) -> list[EquityPoint]:
    """The starting point, then the equity after each trade and flow (each oldest first), in
    time order; at one instant the trades first (a reset's closes come before its flow)."""
    steps = [(t.time, 0, t.result) for t in trades] + [(f.time, 1, f.amount) for f in flows]
    steps.sort(key=lambda step: (step[0], step[1]))  # stable: each keeps its own order
    points = [EquityPoint(start_time, start_equity)]
    equity = start_equity
    for time, is_flow, amount in steps:
        equity += amount
        points.append(EquityPoint(time, equity, amount if is_flow else 0))
    return points


def max_drawdown(curve: Sequence[EquityPoint]) -> tuple[int, int]:
    """The largest fall from a running peak (units) and that fall as a percent of its peak
    (units, rounded up). The percent is the one of the largest fall in money. A flow moves
    the peak with the equity: it is neither a fall nor a recovery."""
    peak = curve[0].equity if curve else 0
    worst, worst_peak = 0, 0
    for point in curve:
        peak = max(peak + point.flow, point.equity)
        if peak - point.equity > worst:
            worst, worst_peak = peak - point.equity, peak
    percent = mul_div_ceil(worst, 100 * SCALE, worst_peak) if worst_peak > 0 else 0
    return worst, percent


def daily_equity(curve: Sequence[EquityPoint]) -> list[int]:
    """The equity at the end of each UTC day from the curve's first day to its last, days
    without a trade included (their equity is the previous day's). The close-to-close view
    of ``sharpe_ratio``; the statistics use ``daily_returns``, which also takes out flows."""
    if not curve:
        return []
    first, last = curve[0].time // DAY_MS, curve[-1].time // DAY_MS
    closes: list[int] = []
    i = 0
    equity = curve[0].equity
    for day in range(first, last + 1):
        end = (day + 1) * DAY_MS
        while i < len(curve) and curve[i].time < end:
            equity = curve[i].equity
            i += 1
        closes.append(equity)
    return closes


def daily_returns(start_equity: int, points: Sequence[EquityPoint]) -> list[Decimal]:
    """The time-weighted return of each UTC day from the first point's day to the last
    (``points`` oldest first, after the start; days without a point are flat): the day's
    pieces between flows chained, each ``end / start - 1`` on the equity it started with
    (``start_equity`` before the first day). A piece starting at an equity of 0 or less has
    no return; a day with none has none. Without a flow: ``E_d / E_(d-1) - 1``."""
    if not points:
        return []
    returns: list[Decimal] = []
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        i, equity = 0, start_equity
        for day in range(points[0].time // DAY_MS, points[-1].time // DAY_MS + 1):
            base, growth, measured = equity, Decimal(1), False
            while i < len(points) and points[i].time < (day + 1) * DAY_MS:
                point = points[i]
                if point.flow:  # the piece before the flow ends; the next starts after it
                    if base > 0:
                        growth *= Decimal(point.equity - point.flow) / Decimal(base)
                        measured = True
                    base = point.equity
                equity = point.equity
                i += 1
            if base > 0:
                growth *= Decimal(equity) / Decimal(base)
                measured = True
            if measured:
                returns.append(growth - 1)
    return returns


def sharpe_ratio(start_equity: int, day_closes: Sequence[int]) -> int | None:
    """``sharpe_of`` the close-to-close returns of an account without flows: day d's return
    is E_d / E_(d-1) - 1, E before the first day being ``start_equity``; a day after an
    equity of 0 has no return."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        closes = [start_equity, *day_closes]
        returns = [Decimal(e) / Decimal(p) - 1 for p, e in pairwise(closes) if p > 0]
    return sharpe_of(returns)


def sharpe_of(returns: Sequence[Decimal]) -> int | None:
    """Annualised Sharpe ratio of daily returns (risk-free rate 0): mean / sample standard
    deviation x sqrt(365), floored to 10^-8. None with fewer than two returns or when every
    return is the same."""
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        n = len(returns)
        if n < 2:
            return None
        mean = sum(returns, Decimal(0)) / n
        variance = sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (n - 1)
        if variance == 0:
            return None
        ratio = mean / variance.sqrt() * Decimal(TRADING_DAYS).sqrt()
        return int((ratio * SCALE).to_integral_value(rounding=ROUND_FLOOR))


def summarize(
    start_time: int, start_equity: int, trades: Sequence[Trade], flows: Sequence[Flow] = ()
) -> Stats:
    """Every statistic of ``trades`` (oldest first) on an account that held ``start_equity``
    at ``start_time`` and saw ``flows`` (oldest first) after it. A trade with a result of
    exactly 0 counts as a trade, not a win or a loss."""
    wins = [t.result for t in trades if t.result > 0]
    losses = [t.result for t in trades if t.result < 0]
    gross_profit, gross_loss = sum(wins), sum(losses)
    curve = equity_curve(start_time, start_equity, trades, flows)
    drawdown, drawdown_percent = max_drawdown(curve)
    # The first day's return is measured from start_equity, so the start point itself is not
    # a day of its own (a range starting the day before its first trade would add a 0 return).
    returns = daily_returns(start_equity, curve[1:])
    return Stats(
        trades=len(trades),
        wins=len(wins),
        losses=len(losses),
        win_rate=(len(wins) * 100 * SCALE) // len(trades) if trades else None,
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        net_result=gross_profit + gross_loss,
        profit_factor=(gross_profit * SCALE) // -gross_loss if losses else None,
        average_win=gross_profit // len(wins) if wins else None,
        average_loss=gross_loss // len(losses) if losses else None,
        max_drawdown=drawdown,
        max_drawdown_percent=drawdown_percent,
        sharpe=sharpe_of(returns),
        start_equity=start_equity,
        deposits=sum(f.amount for f in flows),
        end_equity=curve[-1].equity,
        curve=tuple(curve),
    )
