"""What a resting order is checked against at its price (SPEC 12), when it is placed and when
a PATCH moves it: whether the price is already reached, its margin reservation, and its
size. Pure functions, shared by ``orders.place`` and ``orders._modify``."""

from __future__ import annotations

from velox.engine.commands import STOP
from velox.engine.errors import Code, Refusal
from velox.engine.formulas import LONG, margin_for_qty, qty_for_margin
from velox.engine.state import Quote, State
from velox.money import Money, Price, Qty


def would_trigger(order_type: str, side: str, price: int, q: Quote) -> bool:
    """A STOP already through the quote, or a LIMIT placed marketable (on modify)."""
    if order_type == STOP:
        return q.ask >= price if side == LONG else q.bid <= price
    return q.ask <= price if side == LONG else q.bid >= price


def reservation(
    margin: int | None, qty: int | None, leverage: int, price: Price, reduce_only: bool
) -> Money:
    """``margin``, or ``ceil(price * qty / leverage)`` when the order gave a quantity. A
    reduce-only order reserves nothing: it can only close, and a close takes no margin (its
    fee comes out of the settlement), so a fully used balance can still place a take-profit."""
    if reduce_only:
        return Money(0)
    if margin is not None:
        return Money(margin)
    assert qty is not None
    return margin_for_qty(Qty(qty), leverage, price)


def size_refusal(
    engine: State,
    margin: int | None,
    qty: int | None,
    leverage: int,
    price: Price,
    reduce_only: bool,
) -> Refusal | None:
    """What placing and modifying a resting order both check at its price: a margin that
    buys nothing, and (for an order that may open) the minimum margin of SPEC 3."""
    if margin is not None and qty_for_margin(Money(margin), leverage, price) == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    if not reduce_only and reservation(margin, qty, leverage, price, False) < (
        engine.settings.min_margin
    ):  # what an order that may open would reserve
        return Refusal(Code.MARGIN_TOO_SMALL, "margin is below the minimum", "margin")
    return None
