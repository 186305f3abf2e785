"""An independent model of SPEC.md sections 1-4, for the engine's property tests.

It imports nothing from ``velox``: every number is computed here from the SPEC's words with
``Fraction`` and ``floor``/``ceil``, the way the worked examples in tests/vectors were made,
so a wrong formula, rounding, trigger precedence or settlement in the engine cannot hide
behind the same wrong code on both sides. It finds triggered positions by scanning every
position (the SPEC's naive oracle), not through an index.

Units: integers at scale 10^8 for prices, quantities and USD, as in the engine. ``spread``
and ``mmr`` are exact fractions (0.001 is ``Fraction(1, 1000)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import ceil, floor

S = 10**8
LONG, SHORT = "LONG", "SHORT"

# Close reasons, and the order in which SPEC section 4 picks one when several hold on a tick.
STOP_LOSS, TRAILING_STOP = "STOP_LOSS", "TRAILING_STOP"
LIQUIDATION, TAKE_PROFIT = "LIQUIDATION", "TAKE_PROFIT"


def quote(ref: int, spread: Fraction) -> tuple[int, int]:
    """bid = ref * (1 - spread/2) rounded down, ask = ref * (1 + spread/2) rounded up."""
    return floor(ref * (1 - spread / 2)), ceil(ref * (1 + spread / 2))


def entry_price(side: str, bid: int, ask: int) -> int:
    return ask if side == LONG else bid


def exit_price(side: str, bid: int, ask: int) -> int:
    return bid if side == LONG else ask


def qty_for(margin: int, leverage: int, price: int) -> int:
    """qty = margin * leverage / price, rounded down to 10^-8."""
    return floor(Fraction(margin * leverage * S, price))


def margin_for(qty: int, leverage: int, price: int) -> int:
    """margin = price * qty / leverage, rounded up to 10^-8."""
    return ceil(Fraction(price * qty, S * leverage))


def liquidation(side: str, price: int, margin: int, qty: int, mmr: Fraction) -> int:
    """LONG open - margin*(1-mmr)/qty rounded up (0 if below zero); SHORT open + ..., down."""
    cushion = Fraction(margin * S, qty) * (1 - mmr)  # USD per unit of the asset, in units
    if side == LONG:
        return max(0, ceil(price - cushion))
    return floor(price + cushion)


def pnl(side: str, entry: int, exit_: int, qty: int) -> int:
    """LONG (exit - entry) * qty, SHORT (entry - exit) * qty, rounded down (losses too)."""
    diff = exit_ - entry if side == LONG else entry - exit_
    return floor(Fraction(diff * qty, S))


@dataclass
class Pos:
    user: str
    asset: str
    side: str
    leverage: int
    margin: int
    qty: int
    open_price: int
    liq: int
    stop_loss: int | None
    take_profit: int | None
    trailing: int | None
    mark: int | None


@dataclass(frozen=True)
class Closed:
    """What a user sees of a closed position (or closed part)."""

    reason: str
    close_price: int
    pnl: int
    settlement: int


def reason(pos: Pos, bid: int, ask: int) -> str | None:
    """SPEC section 4: STOP_LOSS / TRAILING_STOP before LIQUIDATION before TAKE_PROFIT."""
    if pos.side == LONG:
        held = {
            STOP_LOSS: pos.stop_loss is not None and bid <= pos.stop_loss,
            TRAILING_STOP: pos.trailing is not None
            and pos.mark is not None
            and bid <= pos.mark - pos.trailing,
            LIQUIDATION: bid <= pos.liq,
            TAKE_PROFIT: pos.take_profit is not None and bid >= pos.take_profit,
        }
    else:
        held = {
            STOP_LOSS: pos.stop_loss is not None and ask >= pos.stop_loss,
            TRAILING_STOP: pos.trailing is not None
            and pos.mark is not None
            and ask >= pos.mark + pos.trailing,
            LIQUIDATION: ask >= pos.liq,
            TAKE_PROFIT: pos.take_profit is not None and ask <= pos.take_profit,
        }
    for name in (STOP_LOSS, TRAILING_STOP, LIQUIDATION, TAKE_PROFIT):
        if held[name]:
            return name
    return None


@dataclass
class Oracle:
    """Balances, house, quotes and open positions, moved only by the SPEC's arithmetic."""

    spread: Fraction = Fraction(1, 1000)
    mmr: Fraction = Fraction(1, 10)
    max_age_ms: int = 10_000
    balances: dict[str, int] = field(default_factory=dict)
    house: int = 0
    deposits: int = 0
    quotes: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # bid, ask, ts
    positions: dict[str, Pos] = field(default_factory=dict)

    def deposit(self, user: str, amount: int) -> None:
        self.balances[user] = self.balances.get(user, 0) + amount
        self.deposits += amount

    def fresh(self, asset: str, now: int) -> tuple[int, int] | None:
        """A quote exactly max-age old is still fresh; one millisecond more is stale."""
        q = self.quotes.get(asset)
        if q is None or now - q[2] > self.max_age_ms:
            return None
        return q[0], q[1]

    def settle(self, pos: Pos, qty: int, margin: int, bid: int, ask: int, why: str) -> Closed:
        price = exit_price(pos.side, bid, ask)
        profit = pnl(pos.side, pos.open_price, price, qty)
        paid = max(0, margin + profit)
        self.balances[pos.user] += paid
        self.house += margin - paid
        return Closed(why, price, profit, paid)

    def tick(self, asset: str, ref: int, ts: int) -> tuple[dict[str, Closed], dict[str, int]]:
        """Close what this quote triggers, then move trailing marks: (closes, new marks)."""
        bid, ask = quote(ref, self.spread)
        self.quotes[asset] = (bid, ask, ts)
        closes: dict[str, Closed] = {}
        for oid, pos in list(self.positions.items()):
            why = pos.asset == asset and reason(pos, bid, ask)
            if why:
                closes[oid] = self.settle(pos, pos.qty, pos.margin, bid, ask, why)
                del self.positions[oid]
        moved: dict[str, int] = {}
        for oid, pos in self.positions.items():
            if pos.asset != asset or pos.trailing is None or pos.mark is None:
                continue
            mark = max(pos.mark, bid) if pos.side == LONG else min(pos.mark, ask)
            if mark != pos.mark:
                pos.mark = moved[oid] = mark
        return closes, moved

    def open_terms(
        self, side: str, leverage: int, bid: int, ask: int, margin: int | None, qty: int | None
    ) -> tuple[int, int, int]:
        """(open price, margin, qty) of an open given by margin or by qty."""
        price = entry_price(side, bid, ask)
        if margin is not None:
            return price, margin, qty_for(margin, leverage, price)
        assert qty is not None
        return price, margin_for(qty, leverage, price), qty

    def open(self, oid: str, pos: Pos) -> None:
        self.balances[pos.user] -= pos.margin
        self.positions[oid] = pos

    def close(self, oid: str, now: int) -> Closed:
        pos = self.positions.pop(oid)
        q = self.fresh(pos.asset, now)
        assert q is not None
        return self.settle(pos, pos.qty, pos.margin, q[0], q[1], "MANUAL")

    def split(self, oid: str, percent: int) -> tuple[int, int] | None:
        """The closed part's (qty, margin): floor of each; None when a side would be empty."""
        pos = self.positions[oid]
        part_qty = floor(Fraction(pos.qty * percent, 100))
        part_margin = floor(Fraction(pos.margin * percent, 100))
        if part_qty == 0 or part_qty == pos.qty:
            return None
        return part_qty, part_margin

    def close_part(self, oid: str, percent: int, now: int) -> Closed:
        pos = self.positions[oid]
        split = self.split(oid, percent)
        q = self.fresh(pos.asset, now)
        assert split is not None and q is not None
        part_qty, part_margin = split
        closed = self.settle(pos, part_qty, part_margin, q[0], q[1], "PARTIAL")
        pos.qty -= part_qty
        pos.margin -= part_margin
        pos.liq = liquidation(pos.side, pos.open_price, pos.margin, pos.qty, self.mmr)
        return closed

    def add_margin(self, oid: str, amount: int) -> None:
        pos = self.positions[oid]
        self.balances[pos.user] -= amount
        pos.margin += amount
        pos.liq = liquidation(pos.side, pos.open_price, pos.margin, pos.qty, self.mmr)

    def stops_broken(
        self,
        side: str,
        bid: int,
        ask: int,
        stop_loss: int | None,
        take_profit: int | None,
        trailing: int | None,
        mark: int | None,
    ) -> set[str]:
        """The refusal codes these stops earn: LONG stopLoss < bid < takeProfit, SHORT
        takeProfit < ask < stopLoss, a positive trailing distance not already through."""
        broken: set[str] = set()
        if side == LONG:
            if stop_loss is not None and not 0 < stop_loss < bid:
                broken.add("INVALID_STOP_LOSS")
            if take_profit is not None and not take_profit > bid:
                broken.add("INVALID_TAKE_PROFIT")
        else:
            if stop_loss is not None and not stop_loss > ask:
                broken.add("INVALID_STOP_LOSS")
            if take_profit is not None and not 0 < take_profit < ask:
                broken.add("INVALID_TAKE_PROFIT")
        through = mark is not None and (
            trailing is not None
            and (bid <= mark - trailing if side == LONG else ask >= mark + trailing)
        )
        if trailing is not None and (trailing <= 0 or through):
            broken.add("VALIDATION_ERROR")
        return broken

    def figures(self, user: str) -> tuple[int, int, int, int, str | None]:
        """(balance, usedMargin, unrealizedPnl, equity, marginLevel) at the last quotes."""
        balance = self.balances.get(user, 0)
        used = upnl = 0
        equity = balance
        for pos in self.positions.values():
            if pos.user != user:
                continue
            bid, ask, _ = self.quotes[pos.asset]
            profit = pnl(pos.side, pos.open_price, exit_price(pos.side, bid, ask), pos.qty)
            used += pos.margin
            upnl += profit
            equity += max(0, pos.margin + profit)
        level = None
        if used:
            hundredths = floor(Fraction(equity * 100 * 100, used))
            level = f"{hundredths // 100}.{hundredths % 100:02d}"
        return balance, used, upnl, equity, level
