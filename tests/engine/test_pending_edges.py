"""Pending orders at their edges (SPEC 12), each rule at exactly its boundary and one unit past.

Written from the survivors of a mutation run over ``velox/engine/orders.py`` and
``checks.py``: a stop placed exactly at the quote, a limit modified to exactly the quote, a
reservation equal to the free balance or to the minimum margin, ``reduceOnly`` on the
position's own side, an expiry equal to now, what a modify keeps, the stops a filled order
brings and another account's order all passed every engine test with their rule changed.
The quote here: BTC ref 100000, bid 99950, ask 100050.
"""

from __future__ import annotations

from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, netting, ok, order
from velox.engine.commands import CancelOrder, ModifyOrder, PriceTick
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import OrderModified, OrderPlaced
from velox.money import units

ONE = 1  # one unit: 0.00000001
BID, ASK = units("99950"), units("100050")


def refused(engine: Engine, command: Any) -> Code:
    out = engine.handle(command)
    assert out.refusal is not None, out.events
    return out.refusal.code


def pending(kind: str, side: str, price: int, **kw: Any) -> Any:
    return order(order_type=kind, side=side, price=price, **kw)


def test_a_stop_exactly_at_the_quote_would_trigger_one_unit_beyond_rests() -> None:
    engine = engine_at()
    assert refused(engine, pending("STOP", "LONG", ASK)) is Code.WOULD_TRIGGER_IMMEDIATELY
    assert refused(engine, pending("STOP", "SHORT", BID)) is Code.WOULD_TRIGGER_IMMEDIATELY
    ok(engine, pending("STOP", "LONG", ASK + ONE))
    ok(engine, pending("STOP", "SHORT", BID - ONE))


def test_a_limit_modified_to_exactly_the_quote_is_refused_one_unit_short_is_kept() -> None:
    engine = engine_at()
    (long,) = ok(engine, pending("LIMIT", "LONG", units("99000")))
    (short,) = ok(engine, pending("LIMIT", "SHORT", units("101000")))
    for placed, marketable, resting in ((long, ASK, ASK - ONE), (short, BID, BID + ONE)):
        at = ModifyOrder("alice", placed.order_id, T0, price=marketable)
        assert refused(engine, at) is Code.WOULD_TRIGGER_IMMEDIATELY
        (modified,) = ok(engine, ModifyOrder("alice", placed.order_id, T0, price=resting))
        assert modified.price == resting


def test_a_pending_order_may_reserve_the_whole_free_balance_not_one_unit_more() -> None:
    engine = engine_at(initial_balance=units("500"))
    assert refused(engine, pending("LIMIT", "LONG", units("99000"), margin=units("500") + ONE)) is (
        Code.INSUFFICIENT_BALANCE
    )
    ok(engine, pending("LIMIT", "LONG", units("99000"), margin=units("500")))
    assert engine.accounts[next(iter(engine.accounts))].balance == 0


def test_a_pending_order_of_exactly_the_minimum_margin_is_placed() -> None:
    engine = engine_at()
    low = pending("LIMIT", "LONG", units("99000"), margin=units("1") - ONE)
    assert refused(engine, low) is Code.MARGIN_TOO_SMALL
    ok(engine, pending("LIMIT", "LONG", units("99000"), margin=units("1")))


def test_a_reduce_only_pending_order_must_be_on_the_other_side() -> None:
    engine = engine_at()
    acc = netting(engine)
    ok(engine, order(account_id=acc))  # LONG
    same = pending("LIMIT", "LONG", units("99000"), account_id=acc, reduce_only=True)
    assert refused(engine, same) is Code.REDUCE_ONLY_REJECTED
    (placed,) = ok(
        engine, pending("LIMIT", "SHORT", units("101000"), account_id=acc, reduce_only=True)
    )
    assert isinstance(placed, OrderPlaced) and placed.reduce_only


def test_a_modify_keeps_what_it_does_not_mention_and_refuses_an_expiry_of_now() -> None:
    engine = engine_at()
    terms = {"take_profit": units("120000"), "trailing_stop": units("500"),
             "expires_at": T0 + 60_000}  # fmt: skip
    (placed,) = ok(engine, pending("LIMIT", "LONG", units("99000"), **terms))
    (modified,) = ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units("98000")))
    assert isinstance(modified, OrderModified)
    assert (modified.take_profit, modified.trailing_stop, modified.expires_at) == (
        units("120000"), units("500"), T0 + 60_000)  # fmt: skip
    now = ModifyOrder("alice", placed.order_id, T0 + 5, expires_at=T0 + 5)
    assert refused(engine, now) is Code.VALIDATION_ERROR
    ok(engine, ModifyOrder("alice", placed.order_id, T0 + 5, expires_at=T0 + 6))
    zero = ModifyOrder("alice", placed.order_id, T0, price=0)
    assert refused(engine, zero) is Code.VALIDATION_ERROR
    ok(engine, ModifyOrder("alice", placed.order_id, T0, price=ONE))  # one unit is a price


def test_a_filled_pending_order_brings_its_stops_to_the_position() -> None:
    engine = engine_at()
    stops = {"stop_loss": units("90000"), "take_profit": units("120000"),
             "trailing_stop": units("800")}  # fmt: skip
    (placed,) = ok(engine, pending("LIMIT", "LONG", units("99000"), **stops))
    engine.on_tick(PriceTick(BTC, units("98900"), T0))  # ask 98949.45 <= 99000
    pos = engine.positions[placed.order_id]
    assert (pos.stop_loss, pos.take_profit, pos.trailing_stop) == (
        units("90000"), units("120000"), units("800"))  # fmt: skip


def test_an_order_of_another_account_is_not_found_there() -> None:
    engine = engine_at()
    acc = netting(engine)
    (placed,) = ok(engine, pending("LIMIT", "LONG", units("99000"), account_id=acc))
    first = next(a.account_id for a in engine.accounts.values() if a.user_id == "alice")
    assert first != acc
    assert refused(engine, CancelOrder("alice", placed.order_id, T0, first)) is Code.NOT_FOUND
    ok(engine, CancelOrder("alice", placed.order_id, T0, acc))
