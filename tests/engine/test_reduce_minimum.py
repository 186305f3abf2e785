"""Reducing a NETTING position is not opening one (SPEC 3: ``--min-margin`` applies at open;
SPEC 12: an opposite fill reduces), and a reduce-only order needs no margin (it can only
give margin back, as on Binance, where a reduce-only order takes no initial margin).

Numbers are this file's own arithmetic: ETH at ref 2000 quotes ask 2001, bid 1999 (spread
0.001); a LONG 10x of margin 300 holds floor(300 * 10 / 2001) = 1.49925037 ETH.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import ceil, floor

from tests.engine.test_orders_v2 import ETH, T0, engine_at, netting, ok, order
from velox.engine.commands import ModifyOrder, PriceTick
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import OrderPlaced, PositionPartiallyClosed
from velox.engine.views import ledger
from velox.money import units

U = 10**8
Q0 = Fraction("1.49925037")


def _long(balance: str = "1000") -> tuple[Engine, str, str]:
    engine = engine_at(initial_balance=units(balance))
    acc = netting(engine)
    engine.on_tick(PriceTick(ETH, units("2000"), T0))
    (opened,) = ok(engine, order(account_id=acc, asset=ETH, margin=units("300")))
    assert opened.qty == floor(300 * 10 / Fraction(2001) * U)  # 1.49925037
    return engine, acc, opened.order_id


def test_a_market_reduce_smaller_than_the_minimum_margin_trims_the_position() -> None:
    engine, acc, pid = _long()
    # 0.004 ETH at the bid 1999, 10x: ceil(1999 * 0.004 / 10) = 0.7996 USD, under the
    # 1 USD minimum; it opens nothing, so the minimum does not apply
    (part,) = ok(
        engine, order(account_id=acc, asset=ETH, side="SHORT", qty=units("0.004"), margin=None)
    )
    assert isinstance(part, PositionPartiallyClosed)
    assert part.part_qty == units("0.004")
    assert part.part_margin == floor(300 * Fraction("0.004") / Q0 * U)  # 0.80040006
    assert engine.positions[pid].qty == units("1.49525037")


def test_a_reduce_only_market_order_under_the_minimum_is_taken_too() -> None:
    engine, acc, _ = _long()
    (part,) = ok(
        engine,
        order(
            account_id=acc, asset=ETH, side="SHORT", qty=units("0.004"), margin=None,
            reduce_only=True,
        ),
    )  # fmt: skip
    assert part.part_qty == units("0.004")


def test_an_opposite_order_that_would_flip_still_meets_the_minimum() -> None:
    engine = engine_at()
    acc = netting(engine)
    engine.on_tick(PriceTick(ETH, units("2000"), T0))
    # a LONG of margin 1 at 10x: floor(1 * 10 / 2001) = 0.00499750 ETH
    (opened,) = ok(engine, order(account_id=acc, asset=ETH, margin=units("1")))
    assert opened.qty == units("0.0049975")
    # 0.006 ETH SHORT at 100x: more than the position, so its rest opens a SHORT; the whole
    # order's margin ceil(1999 * 0.006 / 100) = 0.11994 is under the minimum
    flip = order(
        account_id=acc, asset=ETH, side="SHORT", qty=units("0.006"), margin=None, leverage=100
    )
    out = engine.handle(flip)
    assert out.refusal is not None and out.refusal.code == Code.MARGIN_TOO_SMALL
    assert engine.positions[opened.order_id].qty == units("0.0049975")
    # the same order capped by reduceOnly opens nothing: taken, closing the whole position
    (closed,) = ok(engine, replace(flip, reduce_only=True))
    assert closed.order_id == opened.order_id and opened.order_id not in engine.positions


def test_the_rest_a_flip_opens_meets_the_minimum_too() -> None:
    """The whole order meets the minimum, but what is left after closing the held 1.49925037
    ETH opens a position of its own: 0.00000001 ETH SHORT at 10x has a margin of
    ceil(1999 * 0.00000001 / 10) = 0.00000200 USD, under the 1 USD minimum (it was opened,
    leaving a dust position)."""
    engine, acc, pid = _long()
    before = engine.export()
    dust = order(account_id=acc, asset=ETH, side="SHORT", qty=units("1.49925038"), margin=None)
    out = engine.handle(dust)
    assert out.refusal is not None and out.refusal.code == Code.MARGIN_TOO_SMALL
    assert engine.export() == before
    # a rest of 0.01 ETH: ceil(1999 * 0.01 / 10) = 1.999 USD, over the minimum: it flips
    events = ok(engine, replace(dust, qty=units("1.50925037")))
    (short,) = [p for p in engine.positions.values() if p.account_id == acc]
    assert short.side == "SHORT" and short.qty == units("0.01") and pid not in engine.positions
    assert short.margin == units("1.999") and len(events) == 2


def test_a_reduce_only_limit_reserves_nothing_and_fits_a_fully_used_balance() -> None:
    # the LONG takes all but 0.3 USD: a reduce-only take-profit must still be placeable
    engine, acc, pid = _long(balance="300.3")
    free = engine.accounts[acc].balance
    assert free == units("0.3")
    tp = order(
        account_id=acc, asset=ETH, side="SHORT", order_type="LIMIT", price=units("2100"),
        qty=units("1"), margin=None, reduce_only=True,
    )  # fmt: skip
    (placed,) = ok(engine, tp)
    assert isinstance(placed, OrderPlaced) and placed.reserved == 0
    assert engine.accounts[acc].balance == free
    # the bid reaches 2100 at ref 2102 (bid = 2102 - 1.051 = 2100.949): a maker fill at
    # 2100 of 1 ETH, closing a part; pnl floor((2100 - 2001) * 1) = 99
    engine.on_tick(PriceTick(ETH, units("2102"), T0 + 1))
    assert engine.positions[pid].qty == units("0.49925037")
    part_margin = floor(300 * Fraction(1) / Q0 * U)
    assert engine.accounts[acc].balance == free + part_margin + 99 * U
    assert ledger(engine)["conserved"]


def test_a_plain_opposite_limit_still_reserves_its_margin() -> None:
    engine, acc, _ = _long()
    plain = order(
        account_id=acc, asset=ETH, side="SHORT", order_type="LIMIT", price=units("2100"),
        qty=units("1"), margin=None,
    )  # fmt: skip
    (placed,) = ok(engine, plain)
    assert placed.reserved == ceil(Fraction(2100) * 1 / 10 * U)  # 210 USD: it may flip


# -- a PATCH of a resting order is checked at its new price as placing it is ---------------


def test_a_patch_cannot_take_a_resting_order_under_the_minimum_margin() -> None:
    engine = engine_at()  # BTC ref 100000: ask 100050
    # 0.000102 BTC at 10x: ceil(99000 * 0.000102 / 10) = 1.0098 USD reserved (placeable);
    # at 50000 it would be ceil(50000 * 0.000102 / 10) = 0.51 USD, refused when placed
    small = dict(margin=None, qty=units("0.000102"))
    refused = engine.handle(order(order_type="LIMIT", price=units("50000"), **small))
    assert refused.refusal is not None and refused.refusal.code == Code.MARGIN_TOO_SMALL
    (placed,) = ok(engine, order(order_type="LIMIT", price=units("99000"), **small))
    assert placed.reserved == units("1.0098")
    out = engine.handle(ModifyOrder("alice", placed.order_id, T0, price=units("50000")))
    assert out.refusal is not None and out.refusal.code == Code.MARGIN_TOO_SMALL
    assert engine.pending[placed.order_id].price == units("99000")
    assert engine.pending[placed.order_id].reserved == units("1.0098")


def test_a_patch_cannot_move_a_resting_order_where_its_margin_buys_nothing() -> None:
    engine = engine_at()
    # margin 1 at 1x buys floor(1 / 200000000 * 10^8) = 0 units of BTC at 200,000,000
    stop = order(order_type="STOP", price=units("110000"), margin=units("1"), leverage=1)
    (placed,) = ok(engine, stop)
    out = engine.handle(ModifyOrder("alice", placed.order_id, T0, price=units("200000000")))
    assert out.refusal is not None and out.refusal.code == Code.MARGIN_TOO_SMALL
    assert engine.pending[placed.order_id].price == units("110000")


def test_a_resting_order_whose_rest_is_dust_is_rejected_at_its_fill() -> None:
    """The same for a resting order (it was checked when placed, against the whole order,
    not against the position it meets at its fill): a SHORT LIMIT at 2100 of the held
    1.49925037 ETH + 0.00000001 would leave a SHORT of 0.00000001 ETH with a margin of
    ceil(2100 * 0.00000001 / 10) = 0.0000021 USD. It ends REJECTED (MARGIN_TOO_SMALL), the
    position stays, the reservation comes back."""
    engine, acc, pid = _long()
    free = engine.accounts[acc].balance
    dust = order(
        account_id=acc, asset=ETH, side="SHORT", order_type="LIMIT", price=units("2100"),
        qty=units("1.49925038"), margin=None,
    )  # fmt: skip
    (placed,) = ok(engine, dust)
    engine.on_tick(PriceTick(ETH, units("2102"), T0 + 1))  # the bid 2100.949 reaches 2100
    assert placed.order_id not in engine.pending
    assert engine.positions[pid].qty == units("1.49925037")  # untouched
    assert [p.side for p in engine.positions.values() if p.account_id == acc] == ["LONG"]
    assert engine.accounts[acc].balance == free  # the reservation came back
    assert ledger(engine)["conserved"]
