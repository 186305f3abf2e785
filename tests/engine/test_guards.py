"""Second guards, at the engine, for rules whose first guard is an HTTP test.

- Margin rounds up (SPEC 1, 3): first guarded by tests/web/test_orders.py
  ``test_short_with_qty_rounds_margin_up`` through the API; here on both sides at the engine,
  with a margin that does not divide.
- Another user's order is not found (SPEC 7): first guarded by tests/web/test_orders.py
  ``test_other_users_orders_are_not_found``; here each of close, partial close, add margin
  and modify at the engine: NOT_FOUND and nothing changes, while the owner still can.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.helpers import T0, engine_with, open_ok, tick
from velox.engine.commands import AddMargin, ClosePosition, ModifyPosition, OpenAccount
from velox.engine.errors import Code
from velox.engine.events import PositionClosed
from velox.money import units

BTC = "BTCUSDT"


@pytest.mark.parametrize(
    ("side", "margin", "liq"),
    [
        # 0.01 BTC at the ask 100050, 7x: 1000.5 / 7 = 142.928571428571... -> 142.92857143
        ("LONG", "142.92857143", "87186.42857130"),
        # 0.01 BTC at the bid 99950, 7x: 999.5 / 7 = 142.785714285714... -> 142.78571429
        ("SHORT", "142.78571429", "112800.71428610"),
    ],
)
def test_margin_for_a_quantity_rounds_up(side: str, margin: str, liq: str) -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side=side, leverage=7, qty=units("0.01"))
    assert opened.qty == units("0.01")
    assert opened.margin == units(margin)
    assert opened.liquidation_price == units(liq)
    assert engine.account_of("alice", None).balance == units("1000") - units(margin)
    assert engine.account_of("alice", None).used_margin == units(margin)


OTHERS: list[tuple[str, Any]] = [  # (what, command of (user, order id))
    ("close", lambda user, oid: ClosePosition(user, oid, T0)),
    ("partial close", lambda user, oid: ClosePosition(user, oid, T0, percent=50)),
    ("add margin", lambda user, oid: AddMargin(user, oid, units("10"), T0)),
    ("modify", lambda user, oid: ModifyPosition(user, oid, T0, stop_loss=units("90000"))),
    ("remove stops", lambda user, oid: ModifyPosition(user, oid, T0, take_profit=None)),
]


@pytest.mark.parametrize(("what", "command"), OTHERS, ids=[w for w, _ in OTHERS])
def test_another_users_order_is_not_found_and_unchanged(what: str, command: Any) -> None:
    engine = engine_with()
    engine.handle(OpenAccount("bob", T0))
    tick(engine, BTC, "100000")
    opened = open_ok(
        engine,
        asset=BTC,
        side="LONG",
        leverage=10,
        margin=units("100"),
        take_profit=units("110000"),
    )
    before = engine.export()
    out = engine.handle(command("bob", opened.order_id))
    assert out.refusal is not None and out.refusal.code == Code.NOT_FOUND, what
    assert out.events == ()
    assert engine.export() == before
    assert engine.account_of("bob", None).balance == units("1000")
    # the same command from the owner is accepted: the refusal was about whose order it is
    own = engine.handle(command("alice", opened.order_id))
    assert own.refusal is None, (what, own.refusal)


def test_another_users_order_stays_not_found_after_it_closed() -> None:
    engine = engine_with()
    engine.handle(OpenAccount("bob", T0))
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    (closed,) = engine.handle(ClosePosition("alice", opened.order_id, T0)).events
    assert isinstance(closed, PositionClosed)
    for _, command in OTHERS:
        out = engine.handle(command("bob", opened.order_id))
        assert out.refusal is not None and out.refusal.code == Code.NOT_FOUND
    assert engine.account_of("bob", None).balance == units("1000")
