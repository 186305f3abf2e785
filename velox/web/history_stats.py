"""Trading statistics and the equity curve of a trader's history, computed exactly.

Pure functions over ``Trade`` rows (a closed position today; fills and funding later add
more rows of the same shape: a time and the cash they moved), so the history endpoints, the
CSV and the tests all see the same numbers. Money stays in integer units (10^-8 USD); ratios
are integers scaled by 10^8 too, each rounded against the trader (a win rate, an average win
or a Sharpe ratio is never shown better than it is; a drawdown never smaller). The formulas
are in the README ("History and statistics").
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal, localcontext

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
class EquityPoint:
    time: int
    equity: int


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
    net_result: int
    profit_factor: int | None  # units
    average_win: int | None
    average_loss: int | None  # <= 0
    max_drawdown: int
    max_drawdown_percent: int  # units
    sharpe: int | None  # units
    start_equity: int
    end_equity: int
    curve: tuple[EquityPoint, ...]


def equity_curve(start_time: int, start_equity: int, trades: Sequence[Trade]) -> list[EquityPoint]:
    """The starting point, then the equity after each trade (``trades`` oldest first)."""
    points = [EquityPoint(start_time, start_equity)]
    equity = start_equity
    for trade in trades:
        equity += trade.result
        points.append(EquityPoint(trade.time, equity))
    return points


def max_drawdown(curve: Sequence[EquityPoint]) -> tuple[int, int]:
    """The largest fall from a running peak (units) and that fall as a percent of its peak
    (units, rounded up). The percent is the one of the largest fall in money."""
    peak = curve[0].equity if curve else 0
    worst, worst_peak = 0, 0
    for point in curve:
        peak = max(peak, point.equity)
        if peak - point.equity > worst:
            worst, worst_peak = peak - point.equity, peak
    percent = mul_div_ceil(worst, 100 * SCALE, worst_peak) if worst_peak > 0 else 0
    return worst, percent


def daily_equity(curve: Sequence[EquityPoint]) -> list[int]:
    """The equity at the end of each UTC day from the curve's first day to its last, days
    without a trade included (their equity is the previous day's)."""
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


def sharpe_ratio(start_equity: int, day_closes: Sequence[int]) -> int | None:
    """Annualised Sharpe ratio of daily returns (risk-free rate 0): mean / sample standard
    deviation x sqrt(365), floored to 10^-8. Day d's return is E_d / E_(d-1) - 1, E before
    the first day being ``start_equity``; a day after an equity of 0 has no return. None
    with fewer than two returns or when every return is the same."""
    returns: list[Decimal] = []
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        previous = start_equity
        for close in day_closes:
            if previous > 0:
                returns.append(Decimal(close) / Decimal(previous) - 1)
            previous = close
        n = len(returns)
        if n < 2:
            return None
        mean = sum(returns, Decimal(0)) / n
        variance = sum(((r - mean) ** 2 for r in returns), Decimal(0)) / (n - 1)
        if variance == 0:
            return None
        ratio = mean / variance.sqrt() * Decimal(TRADING_DAYS).sqrt()
        return int((ratio * SCALE).to_integral_value(rounding=ROUND_FLOOR))


def summarize(start_time: int, start_equity: int, trades: Sequence[Trade]) -> Stats:
    """Every statistic of ``trades`` (oldest first) on an account that held ``start_equity``
    at ``start_time``. A trade with a result of exactly 0 counts as a trade, not a win or a
    loss."""
    wins = [t.result for t in trades if t.result > 0]
    losses = [t.result for t in trades if t.result < 0]
    gross_profit, gross_loss = sum(wins), sum(losses)
    curve = equity_curve(start_time, start_equity, trades)
    drawdown, drawdown_percent = max_drawdown(curve)
    # The first day's return is measured from start_equity, so the start point itself is not
    # a day of its own (a range starting the day before its first trade would add a 0 return).
    day_closes = daily_equity(curve[1:])
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
        sharpe=sharpe_ratio(start_equity, day_closes),
        start_equity=start_equity,
        end_equity=curve[-1].equity,
        curve=tuple(curve),
    )
