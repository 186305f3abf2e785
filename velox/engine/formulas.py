"""The money formulas of SPEC.md sections 2-4, each rounding against the trader.

All arguments and results are integer units of 10^-8 (``spread`` and ``mmr`` are fractions
in units too: 0.001 is 100_000). Checked against SPEC.md's worked examples,
``tests/vectors/positions.json``.
"""

from __future__ import annotations

from velox.money import SCALE, Money, Price, Qty, mul_div_ceil, mul_div_floor

LONG = "LONG"
SHORT = "SHORT"
SIDES = (LONG, SHORT)


def quote(ref: Price, spread: int) -> tuple[Price, Price]:
    """(bid, ask) = ref * (1 -/+ spread/2): the bid rounds down, the ask rounds up."""
    bid = mul_div_floor(ref, 2 * SCALE - spread, 2 * SCALE)
    ask = mul_div_ceil(ref, 2 * SCALE + spread, 2 * SCALE)
    return Price(bid), Price(ask)


def open_price(side: str, bid: Price, ask: Price) -> Price:
    """LONG buys at the ask, SHORT sells at the bid."""
    return ask if side == LONG else bid


def close_price(side: str, bid: Price, ask: Price) -> Price:
    """LONG closes by selling at the bid, SHORT by buying back at the ask."""
    return bid if side == LONG else ask


def qty_for_margin(margin: Money, leverage: int, price: Price) -> Qty:
    """qty = margin * leverage / price, rounded down (the trader gets no fraction for free)."""
    return Qty(mul_div_floor(margin * leverage, SCALE, price))


def margin_for_qty(qty: Qty, leverage: int, price: Price) -> Money:
    """margin = price * qty / leverage, rounded up (the house never under-collateralises)."""
    return Money(mul_div_ceil(price, qty, SCALE * leverage))


def liquidation_price(side: str, price: Price, margin: Money, qty: Qty, mmr: int) -> Price:
    """LONG: open - margin*(1-mmr)/qty rounded up; SHORT: open + ... rounded down.

    Both round toward the price that liquidates sooner. A LONG so over-collateralised that
    the formula falls below zero can never be liquidated; it is shown as 0.
    """
    cushion = mul_div_floor(margin, SCALE - mmr, qty)
    if side == LONG:
        return Price(max(0, price - cushion))
    return Price(price + cushion)


def pnl(side: str, entry: Price, exit_price: Price, qty: Qty) -> Money:
    """(exit - entry) * qty for LONG, (entry - exit) * qty for SHORT, floored (also losses)."""
    diff = exit_price - entry if side == LONG else entry - exit_price
    return Money(mul_div_floor(diff, qty, SCALE))


def settlement(margin: Money, profit: Money) -> Money:
    """What the trader receives: never below zero (negative balance protection)."""
    return Money(max(0, margin + profit))


def close_fee_paid(margin: Money, profit: Money, close_fee: Money) -> Money:
    """What a close's fee takes from ``margin + profit`` (SPEC 12: the trader receives
    ``max(0, margin + pnl - closeFee)``): all of it when that covers it, else what is there,
    nothing from a loss beyond the margin. The one place of the cap: the fill's fee and
    realized PnL, the order's ``fee`` and the account's ``fees`` all follow it."""
    return Money(min(close_fee, max(0, margin + profit)))


def slippage_ok(price: Price, expected: Price, bps: int) -> bool:
    """|price - expected| <= expected * bps / 10000, compared exactly (no rounding)."""
    return abs(price - expected) * 10_000 <= expected * bps


def fee(price: Price, qty: Qty, rate: int) -> Money:
    """ceil(price * qty * rate): a fill's fee in USD units, rounded up (SPEC 12)."""
    return Money(mul_div_ceil(price * qty, rate, SCALE * SCALE))


def averaged_entry(side: str, qty: Qty, entry: Price, add_qty: Qty, fill: Price) -> Price:
    """(Q*P + q*fill) / (Q + q), against the trader: a LONG's up, a SHORT's down."""
    total = qty * entry + add_qty * fill
    if side == LONG:
        return Price(mul_div_ceil(total, 1, qty + add_qty))
    return Price(mul_div_floor(total, 1, qty + add_qty))


def funding_amount(side: str, ref: Price, qty: Qty, rate: int) -> Money:
    """What the position receives (+) or pays (-) at a boundary: ref * qty * rate.

    A positive rate makes a LONG pay and a SHORT receive (negative: the reverse); paid
    amounts round up, received amounts round down (SPEC 12). The cap at the margin is the
    caller's.
    """
    raw = ref * qty * rate
    pays = (side == LONG) == (rate > 0)
    if pays:
        return Money(-mul_div_ceil(abs(raw), 1, SCALE * SCALE))
    return Money(mul_div_floor(abs(raw), 1, SCALE * SCALE))
