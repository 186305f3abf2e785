"""The money formulas of SPEC.md sections 2-4, each rounding against the trader.

All arguments and results are integer units of 10^-8 (``spread`` and ``mmr`` are fractions
in units too: 0.001 is 100_000). Checked against SPEC.md's worked examples,
``tests/vectors/positions.json``.
"""

from __future__ import annotations

from velox.money import SCALE, mul_div_ceil, mul_div_floor

LONG = "LONG"
SHORT = "SHORT"
SIDES = (LONG, SHORT)


def quote(ref: int, spread: int) -> tuple[int, int]:
    """(bid, ask) = ref * (1 -/+ spread/2): the bid rounds down, the ask rounds up."""
    bid = mul_div_floor(ref, 2 * SCALE - spread, 2 * SCALE)
    ask = mul_div_ceil(ref, 2 * SCALE + spread, 2 * SCALE)
    return bid, ask


def open_price(side: str, bid: int, ask: int) -> int:
    """LONG buys at the ask, SHORT sells at the bid."""
    return ask if side == LONG else bid


def close_price(side: str, bid: int, ask: int) -> int:
    """LONG closes by selling at the bid, SHORT by buying back at the ask."""
    return bid if side == LONG else ask


def qty_for_margin(margin: int, leverage: int, price: int) -> int:
    """qty = margin * leverage / price, rounded down (the trader gets no fraction for free)."""
    return mul_div_floor(margin * leverage, SCALE, price)


def margin_for_qty(qty: int, leverage: int, price: int) -> int:
    """margin = price * qty / leverage, rounded up (the house never under-collateralises)."""
    return mul_div_ceil(price, qty, SCALE * leverage)


def liquidation_price(side: str, price: int, margin: int, qty: int, mmr: int) -> int:
    """LONG: open - margin*(1-mmr)/qty rounded up; SHORT: open + ... rounded down.

    Both round toward the price that liquidates sooner. A LONG so over-collateralised that
    the formula falls below zero can never be liquidated; it is shown as 0.
    """
    cushion = mul_div_floor(margin, SCALE - mmr, qty)
    if side == LONG:
        return max(0, price - cushion)
    return price + cushion


def pnl(side: str, entry: int, exit_price: int, qty: int) -> int:
    """(exit - entry) * qty for LONG, (entry - exit) * qty for SHORT, floored (also losses)."""
    diff = exit_price - entry if side == LONG else entry - exit_price
    return mul_div_floor(diff, qty, SCALE)


def settlement(margin: int, profit: int) -> int:
    """What the trader receives: never below zero (negative balance protection)."""
    return max(0, margin + profit)


def slippage_ok(price: int, expected: int, bps: int) -> bool:
    """|price - expected| <= expected * bps / 10000, compared exactly (no rounding)."""
    return abs(price - expected) * 10_000 <= expected * bps
