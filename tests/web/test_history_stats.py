"""The history statistics on hand-computed examples (formulas in the README, "History and
statistics"): every figure exact to the unit, each rounding against the trader."""

from __future__ import annotations

from velox.money import units
from velox.web.history_stats import (
    DAY_MS,
    EquityPoint,
    Trade,
    daily_equity,
    max_drawdown,
    sharpe_ratio,
    summarize,
)

DAY1 = 20454 * DAY_MS  # 2026-01-01T00:00Z
HOUR = 3_600_000


def test_hand_computed_example() -> None:
    """1000 USD; day 1: +150 then -50 (1100), day 2: -110 (990), day 3: +99 (1089).

    trades 4, wins 2, losses 2: win rate 50 %; gross profit 249, gross loss -160, profit
    factor 249 / 160 = 1.55625; average win 124.5, average loss -80; peak 1150, trough 990:
    max drawdown 160 = 13.913043478...% of 1150 (rounded up: 13.91304348); daily returns
    +0.1, -0.1, +0.1: mean 1/30, sample sd sqrt(1/75), mean / sd = 1 / (2 sqrt 3), x sqrt 365
    = sqrt(365 / 12) = 5.515130702591... (floored: 5.51513070)."""
    trades = [
        Trade(DAY1 + 10 * HOUR, units("150")),
        Trade(DAY1 + 15 * HOUR, units("-50")),
        Trade(DAY1 + DAY_MS + 9 * HOUR, units("-110")),
        Trade(DAY1 + 2 * DAY_MS + 23 * HOUR, units("99")),
    ]
    stats = summarize(DAY1 - DAY_MS, units("1000"), trades)
    assert (stats.trades, stats.wins, stats.losses) == (4, 2, 2)
    assert stats.win_rate == units("50")
    assert stats.gross_profit == units("249")
    assert stats.gross_loss == units("-160")
    assert stats.net_result == units("89")
    assert stats.profit_factor == units("1.55625")
    assert stats.average_win == units("124.5")
    assert stats.average_loss == units("-80")
    assert stats.max_drawdown == units("160")
    assert stats.max_drawdown_percent == units("13.91304348")
    assert stats.sharpe == units("5.51513070")
    assert stats.start_equity == units("1000")
    assert stats.end_equity == units("1089")
    assert [(p.time - DAY1, p.equity) for p in stats.curve] == [
        (-DAY_MS, units("1000")),
        (10 * HOUR, units("1150")),
        (15 * HOUR, units("1100")),
        (DAY_MS + 9 * HOUR, units("990")),
        (2 * DAY_MS + 23 * HOUR, units("1089")),
    ]


def test_rounding_is_against_the_trader() -> None:
    """Wins 10, 10, 11 and losses -1, -1, -2 (units of 10^-8 USD where it matters)."""
    trades = [Trade(DAY1 + i, r) for i, r in enumerate([10, 10, 11, -1, -1, -2, 0])]
    stats = summarize(DAY1, 1000, trades)
    assert (stats.trades, stats.wins, stats.losses) == (7, 3, 3)  # a result of 0 is neither
    assert stats.win_rate == 4_285_714_285  # 300/7 % = 42.857142857...: down
    assert stats.average_win == 10  # 31/3 units: down
    assert stats.average_loss == -2  # -4/3 units: down, a larger loss
    assert stats.profit_factor == units("7.75")  # 31 / 4
    # peak 1031, then 1027: 4 units = 0.38797284...%: up
    assert stats.max_drawdown == 4
    assert stats.max_drawdown_percent == 38_797_285


def test_no_trades() -> None:
    stats = summarize(DAY1, units("1000"), [])
    assert (stats.trades, stats.win_rate, stats.profit_factor, stats.sharpe) == (
        0,
        None,
        None,
        None,
    )
    assert (stats.average_win, stats.average_loss) == (None, None)
    assert (stats.max_drawdown, stats.max_drawdown_percent) == (0, 0)
    assert stats.end_equity == units("1000")
    assert stats.curve == (EquityPoint(DAY1, units("1000")),)


def test_only_wins_has_no_profit_factor() -> None:
    stats = summarize(DAY1, units("1000"), [Trade(DAY1 + 1, units("5"))])
    assert stats.profit_factor is None
    assert stats.average_loss is None
    assert stats.win_rate == units("100")
    assert stats.sharpe is None  # one daily return


def test_days_without_trades_are_flat_days() -> None:
    """1000 -> 1100 on day 1, nothing on day 2, 1210 on day 3: closes 1100, 1100, 1210."""
    curve = [
        EquityPoint(DAY1 + HOUR, units("1100")),
        EquityPoint(DAY1 + 2 * DAY_MS + HOUR, units("1210")),
    ]
    closes = daily_equity(curve)
    assert closes == [units("1100"), units("1100"), units("1210")]
    # returns 0.1, 0, 0.1: mean 1/15, sample sd sqrt(1/300): ratio sqrt(300)/15 = 2/sqrt(3),
    # x sqrt(365) = sqrt(1460/3) = 22.060522810365... (floored)
    assert sharpe_ratio(units("1000"), closes) == units("22.06052281")


def test_equal_returns_have_no_sharpe() -> None:
    assert sharpe_ratio(units("100"), [units("110"), units("121")]) is None


def test_a_day_after_zero_equity_has_no_return() -> None:
    """Liquidated to 0, then nothing can be a return of 0 USD: that day is left out."""
    assert sharpe_ratio(units("100"), [0, 0]) is None  # one return (-1) only


def test_drawdown_percent_is_of_the_largest_fall() -> None:
    curve = [EquityPoint(0, v) for v in (100, 50, 1000, 900)]
    assert max_drawdown(curve) == (100, units("10"))  # 100 from 1000 (10 %), not 50 from 100
