"""A naive oracle for SPEC 12, written from the SPEC's words with exact fractions, never
from the engine's functions: quotes, which pending orders a tick reaches (a scan), fill
prices, sizing, fees and funding amounts."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

S = 10**8


def quote(ref: int, spread: int) -> tuple[int, int]:
    """bid = ref * (1 - spread/2) down, ask = ref * (1 + spread/2) up (in units)."""
    half = Fraction(spread, 2 * S)
    return floor(ref * (1 - half)), ceil(ref * (1 + half))


def reaches(order_type: str, side: str, price: int, bid: int, ask: int) -> bool:
    """LIMIT LONG rests until ask <= price, SHORT until bid >= price; STOP LONG triggers
    when ask >= price, SHORT when bid <= price."""
    if order_type == "LIMIT":
        return ask <= price if side == "LONG" else bid >= price
    return ask >= price if side == "LONG" else bid <= price


def fill_price(order_type: str, side: str, price: int, bid: int, ask: int) -> int:
    """A LIMIT fills at exactly its price; a STOP at the tick's ask (LONG) / bid (SHORT)."""
    if order_type == "LIMIT":
        return price
    return ask if side == "LONG" else bid


def scan(pending: list[dict[str, object]], asset: str, bid: int, ask: int) -> list[str]:
    """Every resting order on ``asset`` this quote reaches, in orderId order (a full scan)."""
    hit = [
        str(o["order_id"])
        for o in pending
        if o["asset"] == asset
        and reaches(str(o["order_type"]), str(o["side"]), int(o["price"]), bid, ask)  # type: ignore[call-overload]
    ]
    return sorted(hit, key=int)


def sized(margin: int | None, qty: int | None, leverage: int, price: int) -> tuple[int, int]:
    """(qty, margin) at the fill: from margin qty = floor(m * lev / price); from qty
    margin = ceil(price * qty / lev)."""
    if margin is not None:
        return qty_from_margin(margin, leverage, price), margin
    assert qty is not None
    return qty, ceil(Fraction(price * qty, S * leverage))


def qty_from_margin(margin: int, leverage: int, price: int) -> int:
    # margin and price are both in units of 10^-8 USD; qty in units of 10^-8 of the asset
    return floor(Fraction(margin * leverage * S, price))


def fee(price: int, qty: int, rate: int) -> int:
    """ceil(price * qty * rate) in USD units."""
    return ceil(Fraction(price * qty * rate, S * S))


def funding(side: str, ref: int, qty: int, rate: int, margin: int) -> int:
    """+ received / - paid: a positive rate makes a LONG pay; paid rounds up (at most the
    margin), received down."""
    amount = Fraction(ref * qty * rate, S * S)
    pays = (side == "LONG") == (rate > 0)
    if pays:
        return -min(margin, ceil(abs(amount)))
    return floor(abs(amount))


def close_paid(margin: int, pnl: int, close_fee: int) -> tuple[int, int]:
    """(fee paid, realized PnL) of a close: the trader receives max(0, margin + pnl -
    closeFee), so the fee is paid only as far as margin + pnl covers it and the loss is at
    most the margin; what the fill reports makes margin + realized - fee the settlement."""
    settlement = max(0, margin + pnl - close_fee)
    paid = min(close_fee, max(0, margin + pnl))
    return paid, settlement + paid - margin
