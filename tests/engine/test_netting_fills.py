"""NETTING fills with fees, exact to the unit (SPEC 12): what a scale-in, a reduce and a flip
charge, pay and record as fills, and where the balance check draws its line.

The expected numbers are this file's own arithmetic from SPEC 12 (``Fraction``, rounded as the
SPEC says), not the engine's functions. Written from the survivors of a mutation run over
``velox/engine/fills.py`` and ``closes.py``: a scale-in's fill qty, fee rate and balance check,
the stops a scale-in keeps or replaces, and the fills of a reduce and a flip could all change
without a test in ``tests/engine`` noticing.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import ceil, floor
from typing import Any

from tests.engine.test_orders_v2 import ETH, T0, engine_at, netting, ok, order
from velox import codec
from velox.engine.commands import PriceTick
from velox.engine.engine import Engine
from velox.engine.events import PositionIncreased
from velox.engine.views import fills_of, ledger
from velox.money import units

TAKER, MAKER = Fraction(5, 10_000), Fraction(2, 10_000)
U = 10**8  # units per USD (and per coin)


def u(x: Fraction | int | str) -> int:
    """Exact value ``x`` in units; it must be whole."""
    value = Fraction(x) * U
    assert value.denominator == 1, x
    return int(value)


def fee(price: Fraction, qty: Fraction, rate: Fraction) -> int:
    return ceil(price * qty * rate * U)


def engine_with_fees(balance: int = 1000 * U) -> tuple[Engine, str]:
    engine = engine_at(
        taker_fee=units("0.0005"), maker_fee=units("0.0002"), initial_balance=balance
    )
    engine.on_tick(PriceTick(ETH, units("2000"), T0))  # bid 1999, ask 2001
    return engine, netting(engine)


def eth(acc: str, **kw: Any) -> Any:
    if "qty" in kw:
        kw["margin"] = None
    return order(account_id=acc, asset=ETH, leverage=10, **kw)


def at(engine: Engine, ref: str) -> None:
    engine.on_tick(PriceTick(ETH, units(ref), T0))


def fill_terms(event: Any) -> list[tuple[Any, ...]]:
    return [(f.order_id, f.position_id, f.side, f.price, f.qty, f.fee, f.realized_pnl, f.maker)
            for f in fills_of(event)]  # fmt: skip


Q0 = Fraction("1.49925037")  # floor(300 * 10 / 2001, 8 places): the first fill's qty
OPEN_FEE = fee(Fraction(2001), Q0, TAKER)


def test_a_scale_in_charges_its_own_fee_and_records_its_own_fill() -> None:
    engine, acc = engine_with_fees()
    (opened,) = ok(engine, eth(acc, margin=units("300")))
    assert (opened.qty, opened.fee) == (u(Q0), OPEN_FEE)
    at(engine, "2100")  # ask 2101.05
    (joined,) = ok(engine, eth(acc, qty=units("0.5")))
    assert isinstance(joined, PositionIncreased)
    ask, q = Fraction("2101.05"), Fraction("0.5")
    margin = ceil(ask * q / 10 * U)  # from a qty, margin rounds up
    add_fee = fee(ask, q, TAKER)
    assert (margin, add_fee) == (u("105.0525"), 52_526_250)
    assert fill_terms(joined) == [
        (joined.order_id, opened.order_id, "BUY", u(ask), u(q), add_fee, 0, False)
    ]
    entry = ceil((Q0 * 2001 + q * ask) / (Q0 + q) * U)  # a LONG's entry rounds up
    pos = engine.positions[opened.order_id]
    assert (pos.qty, pos.margin, pos.open_price) == (u(Q0 + q), u(300) + margin, entry)
    assert pos.fee == OPEN_FEE + add_fee
    account = engine.accounts[acc]
    assert account.balance == u(1000) - u(300) - OPEN_FEE - margin - add_fee
    assert account.fees == OPEN_FEE + add_fee


def test_a_limit_that_fills_into_the_position_pays_the_maker_rate() -> None:
    engine, acc = engine_with_fees()
    (opened,) = ok(engine, eth(acc, margin=units("300")))
    (placed,) = ok(engine, eth(acc, qty=units("0.5"), order_type="LIMIT", price=units("1990")))
    (joined, *_) = engine.on_tick(PriceTick(ETH, units("1985"), T0))  # ask 1985.9925 <= 1990
    assert isinstance(joined, PositionIncreased)
    price, q = Fraction(1990), Fraction("0.5")
    assert fill_terms(joined) == [
        (placed.order_id, opened.order_id, "BUY", u(price), u(q), fee(price, q, MAKER), 0, True)
    ]


def test_a_scale_in_needs_margin_and_fee_from_the_free_balance_to_the_unit() -> None:
    ask, q = Fraction(2001), Fraction("0.3")
    need = ceil(ask * q / 10 * U) + fee(ask, q, TAKER)
    for spare, fills in ((0, True), (-1, False)):
        # after the first fill exactly need + spare is left free
        engine, acc = engine_with_fees(u(300) + OPEN_FEE + need + spare)
        ok(engine, eth(acc, margin=units("300")))
        assert engine.accounts[acc].balance == need + spare
        out = engine.handle(eth(acc, qty=u(q)))
        assert out.ok is fills, out.refusal
        assert engine.accounts[acc].balance == (0 if fills else need + spare)


def test_a_scale_in_replaces_the_stops_it_gives_and_keeps_the_others() -> None:
    """SPEC 12: "stops given with the fill replace the position's". A scale-in that gave a
    new take-profit alone also removed the stop-loss and the trailing stop (a SPEC review:
    a trader adding to a position with a new target silently lost its protection): each
    stop given replaces that stop; the others stay, the trailing mark with its stop."""
    engine, acc = engine_with_fees()
    (opened,) = ok(engine, eth(acc, margin=units("300"), stop_loss=units("1800"),
                               trailing_stop=units("50")))  # fmt: skip
    pos = engine.positions[opened.order_id]
    mark = pos.trailing_mark
    at(engine, "2050")  # the trailing mark follows the bid up
    moved = engine.positions[opened.order_id].trailing_mark
    assert moved is not None and mark is not None and moved > mark
    ok(engine, eth(acc, margin=units("10")))  # no stops given: the position's stay
    pos = engine.positions[opened.order_id]
    assert (pos.stop_loss, pos.take_profit, pos.trailing_stop, pos.trailing_mark) == (
        units("1800"), None, units("50"), moved)  # fmt: skip
    ok(engine, eth(acc, margin=units("10"), take_profit=units("2500")))  # the target only
    pos = engine.positions[opened.order_id]
    assert (pos.stop_loss, pos.take_profit, pos.trailing_stop, pos.trailing_mark) == (
        units("1800"), units("2500"), units("50"), moved)  # fmt: skip
    ok(engine, eth(acc, margin=units("10"), stop_loss=units("1900"), trailing_stop=units("80")))
    pos = engine.positions[opened.order_id]
    bid = engine.quotes[ETH].bid
    assert (pos.stop_loss, pos.take_profit, pos.trailing_stop, pos.trailing_mark) == (
        units("1900"), units("2500"), units("80"), bid)  # fmt: skip


def test_a_reduce_pays_the_taker_fee_out_of_its_settlement() -> None:
    engine, acc = engine_with_fees()
    (opened,) = ok(engine, eth(acc, margin=units("300")))
    at(engine, "2100")  # bid 2098.95
    (part,) = ok(engine, eth(acc, side="SHORT", qty=units("0.49975012")))
    bid, q = Fraction("2098.95"), Fraction("0.49975012")
    part_margin = floor(300 * q / Q0 * U)
    pnl = floor((bid - 2001) * q * U)
    close_fee = fee(bid, q, TAKER)
    assert (part_margin, pnl) == (u("99.99999933"), u("48.95052425"))  # orders-v2.json
    assert (part.part_margin, part.pnl, part.close_fee) == (part_margin, pnl, close_fee)
    assert part.settlement == part_margin + pnl - close_fee
    assert part.by_order_id is not None and part.by_order_id != opened.order_id
    assert fill_terms(part) == [
        (part.by_order_id, opened.order_id, "SELL", u(bid), u(q), close_fee, pnl, False)
    ]
    assert engine.accounts[acc].balance == u(1000) - u(300) - OPEN_FEE + part.settlement
    assert engine.accounts[acc].fees == OPEN_FEE + close_fee


def test_a_flip_closes_with_a_fee_and_opens_the_rest_with_another() -> None:
    engine, acc = engine_with_fees()
    (opened,) = ok(engine, eth(acc, margin=units("300")))
    at(engine, "2100")
    (closed, flipped) = ok(engine, eth(acc, side="SHORT", qty=units("1.59925037")))
    bid = Fraction("2098.95")
    pnl = floor((bid - 2001) * Q0 * U)
    close_fee = fee(bid, Q0, TAKER)
    rest = Fraction("0.1")
    margin = ceil(bid * rest / 10 * U)
    open_fee = fee(bid, rest, TAKER)
    assert (pnl, margin) == (u("146.85157374"), u("20.9895"))  # orders-v2.json
    assert (closed.pnl, closed.close_fee, closed.settlement) == (
        pnl, close_fee, u(300) + pnl - close_fee)  # fmt: skip
    assert closed.flip_order_id == flipped.order_id
    # the flipping order executed both: its id on the close's fill too (the position's id
    # stays the LONG's)
    assert fill_terms(closed) == [
        (flipped.order_id, opened.order_id, "SELL", u(bid), u(Q0), close_fee, pnl, False)
    ]
    assert (flipped.side, flipped.qty, flipped.margin, flipped.fee) == (
        "SHORT", u(rest), margin, open_fee)  # fmt: skip
    assert fill_terms(flipped) == [
        (flipped.order_id, flipped.order_id, "SELL", u(bid), u(rest), open_fee, 0, False)
    ]
    balance = u(1000) - u(300) - OPEN_FEE + closed.settlement - margin - open_fee
    assert engine.accounts[acc].balance == balance


def test_a_limit_filling_at_once_against_a_position_names_its_type_and_price() -> None:
    """A LIMIT priced through the market fills at once, with no OrderPlaced before it: the
    event that adds to or reduces the position is what its orders row is projected from,
    so it carries the order's type and price (not MARKET and none)."""
    engine, acc = engine_with_fees()
    ok(engine, eth(acc, side="SHORT", qty=units("1")))
    through = {"order_type": "LIMIT", "price": units("2500"), "qty": units("0.25")}
    (reduced,) = ok(engine, eth(acc, side="LONG", **through))
    assert (reduced.reason, reduced.by_order_type, reduced.by_order_price) == (
        "REDUCE", "LIMIT", units("2500")
    )  # fmt: skip
    (closed,) = ok(engine, eth(acc, side="LONG", **{**through, "qty": units("0.75")}))
    assert (closed.reason, closed.by_order_type, closed.by_order_price) == (
        "REDUCE", "LIMIT", units("2500")
    )  # fmt: skip
    ok(engine, eth(acc, side="LONG", qty=units("1")))
    (added,) = ok(engine, eth(acc, side="LONG", **through))
    assert isinstance(added, PositionIncreased)
    assert (added.order_type, added.order_price) == ("LIMIT", units("2500"))
    (market,) = ok(engine, eth(acc, side="LONG", qty=units("0.25")))
    assert (market.order_type, market.order_price) == ("MARKET", None)


def test_events_journaled_before_the_terms_were_carried_read_as_market() -> None:
    """A schema version 3 journal has no such fields: its events decode as before."""
    engine, acc = engine_with_fees()
    ok(engine, eth(acc, side="SHORT", qty=units("1")))
    (reduced,) = ok(engine, eth(acc, side="LONG", order_type="LIMIT", price=units("2500"),
                                qty=units("0.25")))  # fmt: skip
    payload = codec.loads(codec.encode_event(reduced))
    del payload["by_order_type"], payload["by_order_price"]
    old = codec.decode_event("PositionPartiallyClosed", codec.dumps(payload))
    assert (old.by_order_type, old.by_order_price) == ("MARKET", None)
    assert old == replace(reduced, by_order_type="MARKET", by_order_price=None)


def _pending_ids(engine: Engine, acc: str) -> list[str]:
    return list(engine.accounts[acc].pending_orders)


def test_reduce_only_orders_expire_with_the_position_they_reduce() -> None:
    """A bot's take-profit (reduce-only limit) and stop (reduce-only stop) outlived the
    position when it closed, and later closed the next position on the asset (an outside
    review with ccxt). As on Binance they expire with it; others rest on."""
    engine, acc = engine_with_fees()  # ETH bid 1999, ask 2001
    ok(engine, eth(acc, side="LONG", qty=units("1")))
    exit_ = {"side": "SHORT", "qty": units("1"), "reduce_only": True}
    (tp,) = ok(engine, eth(acc, order_type="LIMIT", price=units("2100"), **exit_))
    (sl,) = ok(engine, eth(acc, order_type="STOP", price=units("1900"), **exit_))
    (other,) = ok(engine, eth(acc, side="LONG", order_type="LIMIT", price=units("1500"),
                              qty=units("0.5")))  # fmt: skip
    balance = engine.accounts[acc].balance
    events = ok(engine, eth(acc, side="SHORT", qty=units("1"), reduce_only=True))
    closed, *ends = events
    assert closed.reason == "REDUCE"
    assert [(e.order_id, e.status, e.reason, e.released) for e in ends] == [
        (tp.order_id, "EXPIRED", "POSITION_CLOSED", tp.reserved),
        (sl.order_id, "EXPIRED", "POSITION_CLOSED", sl.reserved),
    ]
    assert _pending_ids(engine, acc) == [other.order_id]  # not reduce-only: rests on
    assert engine.accounts[acc].balance == balance + closed.settlement + tp.reserved + sl.reserved
    ok(engine, eth(acc, side="LONG", qty=units("1")))  # the next position
    at(engine, "2200")  # where the old take-profit would have closed it
    (position,) = engine.positions.values()
    assert (position.side, position.qty) == ("LONG", units("1"))


def test_the_order_that_closes_the_position_fills_and_the_others_expire() -> None:
    engine, acc = engine_with_fees()
    ok(engine, eth(acc, side="LONG", qty=units("1")))
    exit_ = {"side": "SHORT", "qty": units("1"), "reduce_only": True}
    (tp,) = ok(engine, eth(acc, order_type="LIMIT", price=units("2100"), **exit_))
    (sl,) = ok(engine, eth(acc, order_type="STOP", price=units("1900"), **exit_))
    events = engine.on_tick(PriceTick(ETH, units("2200"), T0))  # the take-profit is reached
    kinds = [(type(e).__name__, getattr(e, "order_id", None), getattr(e, "status", None))
             for e in events if type(e).__name__ != "MarksMoved"]  # fmt: skip
    assert kinds[-1] == ("OrderCancelled", sl.order_id, "EXPIRED")
    assert ("OrderCancelled", tp.order_id, "EXPIRED") not in kinds  # it filled
    assert _pending_ids(engine, acc) == [] and not engine.positions
    assert ledger(engine)["conserved"]


def test_a_flip_expires_the_reduce_only_orders_of_the_position_it_closed() -> None:
    engine, acc = engine_with_fees()
    ok(engine, eth(acc, side="LONG", qty=units("1")))
    (tp,) = ok(engine, eth(acc, side="SHORT", order_type="LIMIT", price=units("2100"),
                           qty=units("1"), reduce_only=True))  # fmt: skip
    events = ok(engine, eth(acc, side="SHORT", qty=units("2")))  # flips to a SHORT of 1
    assert (events[-1].order_id, events[-1].status) == (tp.order_id, "EXPIRED")
    (position,) = engine.positions.values()
    assert (position.side, position.qty) == ("SHORT", units("1"))
    at(engine, "2100")  # it would have added to the new SHORT
    assert engine.positions[position.order_id].qty == units("1")
