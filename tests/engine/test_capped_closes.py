"""A close whose settlement is capped at 0 (SPEC 12: the trader receives ``max(0, margin +
pnl - closeFee)``), exact to the unit: the event keeps the formula's ``pnl`` and
``close_fee`` (tests/vectors/orders-v2.json), the fill reports what moved money.

A close's fill: fee paid = min(closeFee, max(0, margin + pnl)), realizedPnl = settlement +
feePaid - margin, so that margin + realizedPnl - feePaid == settlement. Three cases: uncapped
(fee = closeFee, realizedPnl = pnl), fee-capped (0 <= margin + pnl < closeFee: fee = margin
+ pnl, realizedPnl = pnl) and a loss beyond the margin (fee 0, realizedPnl = -margin); for a
manual close, a partial close and a liquidation. The account's ``fees``, the closed order's
``fee`` and the balance follow the fills: balance == deposits + sum(realizedPnl) -
sum(fee).

Before the fix the fills carried the event's ``close_fee`` and ``pnl`` whatever the
settlement: the capped cases failed (fee and realizedPnl, the account's fees, the order's
fee). The expected numbers are this file's arithmetic from SPEC 3 and 12 (``Fraction``,
rounded as the SPEC says), not the engine's functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor

import pytest

from tests.engine.test_orders_v2 import BTC, T0, ok, order
from velox.engine.commands import ClosePosition, OpenAccount, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import PositionClosed, PositionPartiallyClosed
from velox.engine.settings import EngineSettings
from velox.engine.views import account_figures, fills_of, ledger
from velox.journal import closed_record_of
from velox.money import units

U = 10**8
TAKER = Fraction(5, 10_000)
SPREAD = Fraction(1, 1000)  # the default
MMR = Fraction(1, 100)  # low, so a close above the liquidation price can be fee-capped


def down(x: Fraction) -> int:
    """``x`` in units, rounded down."""
    return floor(x * U)


@dataclass
class Expected:
    """One close by SPEC's formulas, in units."""

    margin: int
    pnl: int
    close_fee: int
    settlement: int
    fee_paid: int
    realized: int


def bid_of(ref: str) -> Fraction:
    return Fraction(down(Fraction(ref) * (1 - SPREAD / 2)), U)


def ask_of(ref: str) -> Fraction:
    return Fraction(ceil(Fraction(ref) * (1 + SPREAD / 2) * U), U)


def opened_terms(margin: str, leverage: int) -> tuple[Fraction, Fraction, int]:
    """(open price, qty, open fee) of a LONG opened at ref 100000."""
    price = ask_of("100000")
    qty = Fraction(down(Fraction(margin) * leverage / price), U)
    return price, qty, ceil(price * qty * TAKER * U)


def close_terms(margin: int, entry: Fraction, qty: Fraction, ref: str) -> Expected:
    exit_price = bid_of(ref)  # a LONG closes at the bid
    pnl = down((exit_price - entry) * qty)
    close_fee = ceil(exit_price * qty * TAKER * U)
    settlement = max(0, margin + pnl - close_fee)
    fee_paid = min(close_fee, max(0, margin + pnl))
    return Expected(margin, pnl, close_fee, settlement, fee_paid, settlement + fee_paid - margin)


def new_engine() -> tuple[Engine, str]:
    engine = Engine(
        EngineSettings(taker_fee=units("0.0005"), mmr=units("0.01"), funding_interval_ms=0)
    )
    assert engine.handle(OpenAccount("alice", T0)).ok
    engine.on_tick(PriceTick(BTC, units("100000"), T0))
    return engine, engine.user_accounts["alice"][0]


def check(
    engine: Engine, account_id: str, event: PositionClosed | PositionPartiallyClosed,
    exp: Expected, open_fee: int, capped: str,
) -> None:  # fmt: skip
    # the event keeps the formula's values (SPEC's worked examples)
    formula = (exp.pnl, exp.close_fee, exp.settlement)
    assert (event.pnl, event.close_fee, event.settlement) == formula
    if capped == "no":
        assert (exp.fee_paid, exp.realized) == (exp.close_fee, exp.pnl)
    elif capped == "fee":
        assert exp.settlement == 0 and 0 <= exp.margin + exp.pnl < exp.close_fee
        assert (exp.fee_paid, exp.realized) == (exp.margin + exp.pnl, exp.pnl)
    else:
        assert exp.margin + exp.pnl < 0
        assert (exp.fee_paid, exp.realized) == (0, -exp.margin)
    (fill,) = fills_of(event)
    assert (fill.fee, fill.realized_pnl) == (exp.fee_paid, exp.realized)
    assert exp.margin + fill.realized_pnl - fill.fee == event.settlement
    record = closed_record_of(event)
    assert record is not None and record.pnl == exp.pnl  # the order's pnl: the formula's
    own_open_fee = open_fee if isinstance(event, PositionClosed) else 0
    assert record.fee == own_open_fee + exp.fee_paid  # "sums what it paid"
    figures = account_figures(engine, "alice", account_id)
    assert figures.fees == open_fee + exp.fee_paid
    assert ledger(engine)["conserved"]


def identity(engine: Engine, account_id: str, events: list[object]) -> None:
    """balance + locked == deposits + sum(fill realizedPnl) - sum(fill fees)."""
    fills = [f for e in events for f in fills_of(e)]  # type: ignore[arg-type]
    figures = account_figures(engine, "alice", account_id)
    cash = figures.balance + figures.used_margin
    assert cash == 1000 * U + sum(f.realized_pnl for f in fills) - sum(f.fee for f in fills)


# (leverage, margin, ref closed at, capped): 100x margin 10 is liquidated below ~99059.5;
# 99130 (bid 99080.435) is above that, where margin + pnl (~0.31) < closeFee (~0.50)
MANUAL = [(100, "10", "100500", "no"), (100, "10", "99130", "fee")]
# a tick below the liquidation price closes at its bid: just below it at 2x (the margin
# left covers the fee), at 100x (it does not), and a gap at 100x (the loss is beyond it)
LIQUIDATED = [(2, "100", "50550", "no"), (100, "10", "99100", "fee"), (100, "10", "97000", "loss")]


@pytest.mark.parametrize(("leverage", "margin", "ref", "capped"), MANUAL)
def test_a_manual_close_fill_reports_what_moved(
    leverage: int, margin: str, ref: str, capped: str
) -> None:
    engine, acc = new_engine()
    (opened,) = ok(engine, order(margin=units(margin), leverage=leverage))
    entry, qty, open_fee = opened_terms(margin, leverage)
    assert (opened.open_price, opened.qty, opened.fee) == (down(entry), down(qty), open_fee)
    assert engine.on_tick(PriceTick(BTC, units(ref), T0 + 1)) == []  # not liquidated
    (closed,) = ok(engine, ClosePosition("alice", opened.order_id, T0 + 1))
    assert isinstance(closed, PositionClosed) and closed.reason == "MANUAL"
    check(engine, acc, closed, close_terms(units(margin), entry, qty, ref), open_fee, capped)
    identity(engine, acc, [opened, closed])


@pytest.mark.parametrize(("leverage", "margin", "ref", "capped"), LIQUIDATED)
def test_a_liquidation_fill_reports_what_moved(
    leverage: int, margin: str, ref: str, capped: str
) -> None:
    engine, acc = new_engine()
    (opened,) = ok(engine, order(margin=units(margin), leverage=leverage))
    entry, qty, open_fee = opened_terms(margin, leverage)
    (closed,) = engine.on_tick(PriceTick(BTC, units(ref), T0 + 1))
    assert isinstance(closed, PositionClosed) and closed.reason == "LIQUIDATION"
    check(engine, acc, closed, close_terms(units(margin), entry, qty, ref), open_fee, capped)
    identity(engine, acc, [opened, closed])


def test_a_partial_close_fill_reports_what_moved_when_its_fee_is_capped() -> None:
    """Half of a 100x position at a bid where the part's margin + pnl is below its fee."""
    engine, acc = new_engine()
    (opened,) = ok(engine, order(margin=units("10"), leverage=100))
    entry, qty, open_fee = opened_terms("10", 100)
    engine.on_tick(PriceTick(BTC, units("99130"), T0 + 1))
    (part,) = ok(engine, ClosePosition("alice", opened.order_id, T0 + 1, percent=50))
    assert isinstance(part, PositionPartiallyClosed)
    part_qty = Fraction(down(qty / 2), U)
    part_margin = floor(10 * U * part_qty / qty)
    assert (part.part_qty, part.part_margin) == (down(part_qty), part_margin)
    check(engine, acc, part, close_terms(part_margin, entry, part_qty, "99130"), open_fee, "fee")
    identity(engine, acc, [opened, part])
