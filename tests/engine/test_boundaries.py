"""Exact boundaries and small rules that mutmut showed no test pinned (TESTING.md).

A trigger fires when the price reaches its level exactly (SPEC 4: ``<=`` / ``>=``), for each
side and kind; the numbers are chosen so a tick's bid or ask equals the level to the unit
(bid = ref x 0.9995, ask = ref x 1.0005 at the default spread).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tests.engine import oracle
from tests.engine.helpers import T0, engine_with, open_ok, tick
from velox.engine.commands import (
    AddMargin,
    ClosePosition,
    CreateAccount,
    ModifyPosition,
    OpenPosition,
    PriceTick,
)
from velox.engine.errors import Code
from velox.engine.events import PositionClosed, PositionOpened
from velox.money import units

BTC = "BTCUSDT"


@pytest.mark.parametrize(
    ("side", "stops", "ref", "reason", "price"),
    [
        ("LONG", {"stop_loss": "98950.5"}, "99000", "STOP_LOSS", "98950.5"),
        ("LONG", {"take_profit": "100949.5"}, "101000", "TAKE_PROFIT", "100949.5"),
        ("LONG", {"trailing_stop": "999.5"}, "99000", "TRAILING_STOP", "98950.5"),
        ("SHORT", {"stop_loss": "101050.5"}, "101000", "STOP_LOSS", "101050.5"),
        ("SHORT", {"take_profit": "99049.5"}, "99000", "TAKE_PROFIT", "99049.5"),
        ("SHORT", {"trailing_stop": "1000.5"}, "101000", "TRAILING_STOP", "101050.5"),
    ],
)
def test_a_trigger_fires_when_the_price_equals_its_level(
    side: str, stops: dict[str, str], ref: str, reason: str, price: str
) -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")  # bid 99950, ask 100050: the trailing marks
    kw: dict[str, Any] = {k: units(v) for k, v in stops.items()}
    opened = open_ok(engine, asset=BTC, side=side, leverage=2, margin=units("100"), **kw)
    (closed,) = tick(engine, BTC, ref, T0 + 1)
    assert isinstance(closed, PositionClosed) and closed.order_id == opened.order_id
    assert (closed.reason, closed.close_price) == (reason, units(price))


def test_a_short_liquidates_when_the_ask_equals_its_liquidation_price() -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="SHORT", leverage=10, margin=units("100"))
    liq = opened.liquidation_price
    ref = liq * 2000 // 2001  # ask = ceil(ref * 1.0005): find the ref whose ask is liq
    while oracle.quote(ref, Fraction(1, 1000))[1] < liq:
        ref += 1
    assert oracle.quote(ref, Fraction(1, 1000))[1] == liq
    below = [e for e in tick_units(engine, ref - 1, T0 + 1) if isinstance(e, PositionClosed)]
    assert below == []  # one unit of ref below: the ask is under the liquidation price
    (closed,) = tick_units(engine, ref, T0 + 2)
    assert isinstance(closed, PositionClosed)
    assert (closed.reason, closed.close_price) == ("LIQUIDATION", liq)


def tick_units(engine: Any, ref: int, ts: int) -> list[Any]:
    return list(engine.on_tick(PriceTick(BTC, ref, ts)))


def test_limits_of_partial_close_and_add_margin() -> None:
    """99 % is a partial close; the whole free balance can be added as margin."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    assert engine.handle(ClosePosition("alice", opened.order_id, T0, percent=99)).ok
    rest = engine.positions[opened.order_id]
    assert rest.margin == units("1")
    balance = engine.account_of("alice", None).balance  # type: ignore[union-attr]
    assert engine.handle(AddMargin("alice", opened.order_id, balance, T0)).ok
    assert engine.account_of("alice", None).balance == 0  # type: ignore[union-attr]
    assert engine.positions[opened.order_id].margin == units("1") + balance


def test_first_ids_and_the_manual_close_time() -> None:
    """Order and fill ids start at 1; a manual close is stamped with its command's time."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    assert opened.order_id == "1"
    assert opened.fill_id == "1"
    (closed,) = engine.handle(ClosePosition("alice", "1", T0 + 1234)).events
    assert isinstance(closed, PositionClosed) and closed.ts == T0 + 1234


def test_stops_are_validated_at_open_and_on_modify() -> None:
    """A trailing distance of 0 is refused at open; a LONG take-profit below the bid is
    refused on modify, leaving the position as it was."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    zero = OpenPosition("alice", BTC, "LONG", 10, T0, margin=units("100"), trailing_stop=0)
    out = engine.handle(zero)
    assert out.refusal is not None and out.refusal.code == Code.VALIDATION_ERROR
    assert out.refusal.field == "trailingStop"
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    out = engine.handle(ModifyPosition("alice", opened.order_id, T0, take_profit=units("99000")))
    assert out.refusal is not None and out.refusal.code == Code.INVALID_TAKE_PROFIT
    assert engine.positions[opened.order_id].take_profit is None


def test_close_and_modify_act_in_the_account_asked() -> None:
    """A second account's position: closed and modified with its account id; with the first
    account's id it is not found (SPEC 13)."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    first = engine.account_of("alice", None).account_id  # type: ignore[union-attr]
    (created, *_) = engine.handle(CreateAccount("alice", "Bot", "HEDGING", T0)).events
    second = created.account_id  # type: ignore[union-attr]
    opened = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("100"), account_id=second
    )
    assert isinstance(opened, PositionOpened) and opened.account_id == second
    assert engine.positions[opened.order_id].account_id == second
    oid = opened.order_id
    for wrong in (
        ClosePosition("alice", oid, T0, account_id=first),
        ModifyPosition("alice", oid, T0, stop_loss=units("90000"), account_id=first),
    ):
        refused = engine.handle(wrong)
        assert refused.refusal is not None and refused.refusal.code == Code.NOT_FOUND
    sl = ModifyPosition("alice", oid, T0, stop_loss=units("90000"), account_id=second)
    assert engine.handle(sl).ok
    assert engine.handle(ClosePosition("alice", oid, T0, account_id=second)).ok
    assert oid not in engine.positions
