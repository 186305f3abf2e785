"""One user's positions on one asset as columns, and their part of the account figures at a
quote (SPEC section 3), exact to the unit.

Why columns: the pusher recomputes these sums for every user holding an asset whose price
moved, several times a second; a list comprehension over plain lists of open prices and
quantities costs about a third of a loop over position objects. Each position's PnL is still
floored on its own, as the engine does. The equity part is ``sum(max(0, margin + pnl))``; the
clamp can only bite past a position's bankruptcy price, so the columns keep the quote beyond
which none does (``long_safe``, ``short_safe``) and the per-position ``max`` runs only then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from velox.engine.formulas import LONG
from velox.engine.state import Position
from velox.frozen import frozen
from velox.money import SCALE


@frozen
class Sums:
    """One asset's part of a user's figures, valid at the quote (bid, ask) it was taken at."""

    used: int
    upnl: int
    equity: int  # sum over the positions of max(0, margin + pnl)
    bid: int | None
    ask: int | None


@dataclass(slots=True)
class Columns:
    long_open: list[int] = field(default_factory=list)
    long_qty: list[int] = field(default_factory=list)
    long_margin: list[int] = field(default_factory=list)
    short_open: list[int] = field(default_factory=list)
    short_qty: list[int] = field(default_factory=list)
    short_margin: list[int] = field(default_factory=list)
    used: int = 0
    long_safe: int = -1  # at a bid >= this, every LONG has margin + pnl > 0
    short_safe: int | None = None  # at an ask <= this, every SHORT has (None: no SHORT)


def columns(positions: Iterable[Position]) -> Columns:
    cols = Columns()
    for pos in positions:
        cols.used += pos.margin
        # margin + floor(diff * qty / SCALE) > 0  <=>  diff * qty >= (1 - margin) * SCALE
        cushion = (pos.margin - 1) * SCALE // pos.qty
        if pos.side == LONG:
            cols.long_open.append(pos.open_price)
            cols.long_qty.append(pos.qty)
            cols.long_margin.append(pos.margin)
            cols.long_safe = max(cols.long_safe, pos.open_price - cushion)
        else:
            cols.short_open.append(pos.open_price)
            cols.short_qty.append(pos.qty)
            cols.short_margin.append(pos.margin)
            safe = pos.open_price + cushion
            cols.short_safe = safe if cols.short_safe is None else min(cols.short_safe, safe)
    return cols


def sums(cols: Columns, bid: int | None, ask: int | None) -> Sums:
    if bid is None or ask is None:  # no quote yet: PnL 0, as the engine's views say
        return Sums(cols.used, 0, cols.used, bid, ask)
    longs = [(bid - o) * q // SCALE for o, q in zip(cols.long_open, cols.long_qty, strict=True)]
    shorts = [(o - ask) * q // SCALE for o, q in zip(cols.short_open, cols.short_qty, strict=True)]
    upnl = sum(longs) + sum(shorts)
    if bid >= cols.long_safe and (cols.short_safe is None or ask <= cols.short_safe):
        return Sums(cols.used, upnl, cols.used + upnl, bid, ask)
    equity = sum(max(0, m + p) for m, p in zip(cols.long_margin, longs, strict=True))
    equity += sum(max(0, m + p) for m, p in zip(cols.short_margin, shorts, strict=True))
    return Sums(cols.used, upnl, equity, bid, ask)
