"""Second guards, at the engine, for rules whose first guard is an HTTP test.

- Margin rounds up (SPEC 1, 3): first guarded by tests/web/test_orders.py
  ``test_short_with_qty_rounds_margin_up`` through the API; here on both sides at the engine,
  with a margin that does not divide.
- Another user's order is not found (SPEC 7): first guarded by tests/web/test_orders.py
  ``test_other_users_orders_are_not_found``; here each of close, partial close, add margin
  and modify at the engine: NOT_FOUND and nothing changes, while the owner still can.
- The views the API renders answer for the account asked (SPEC 13), zero for another
  user's account, and no PnL before a quote (mutmut survivors in views.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.helpers import T0, engine_with, open_ok, tick
from velox.engine.commands import (
    AddMargin,
    CancelOrder,
    ClockTick,
    ClosePosition,
    CreateAccount,
    ModifyOrder,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
    PlaceOco,
)
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import FundingCharged, PositionClosed
from velox.engine.views import account_figures, by_client_id, open_positions, pending_orders
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


def two_accounts() -> tuple[Engine, str, str, str, str]:
    """alice's first account (1000, nothing open) and a second one holding a 10x LONG of
    100, a LIMIT buy reserving 50 and clientOrderId "same" in each account: (engine, first,
    second, the LONG's id, the first account's SHORT's id)."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    (created, *_) = engine.handle(CreateAccount("alice", "Bot", "HEDGING", T0)).events
    second = created.account_id  # type: ignore[union-attr]
    first = engine.account_of("alice", None).account_id  # type: ignore[union-attr]
    assert second != first
    opened = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("100"), account_id=second
    )
    placed = engine.handle(
        OpenPosition(
            "alice", BTC, "LONG", 10, T0, margin=units("50"), account_id=second,
            order_type="LIMIT", price=units("90000"), client_order_id="same",
        )
    )  # fmt: skip
    assert placed.ok, placed.refusal
    mine = open_ok(
        engine, asset=BTC, side="SHORT", leverage=5, margin=units("20"), client_order_id="same"
    )
    return engine, first, second, opened.order_id, mine.order_id


def test_figures_positions_and_orders_are_per_account() -> None:
    """SPEC 13: each account has its own figures, positions, pending orders and
    clientOrderIds; the views answer for the account asked, not the user's first."""
    engine, first, second, long_id, short_id = two_accounts()
    # second account: 1000 - 100 margin - 50 reserved; LONG marked at the bid: -0.9995
    f2 = account_figures(engine, "alice", second)
    assert (f2.balance, f2.used_margin, f2.unrealized_pnl) == (
        units("850"),
        units("100"),
        units("-0.9995"),
    )
    assert f2.equity == units("850") + units("50") + units("99.0005")
    f1 = account_figures(engine, "alice", first)
    assert (f1.balance, f1.used_margin) == (units("980"), units("20"))
    assert account_figures(engine, "alice") == f1
    assert [p.order_id for p in open_positions(engine, "alice", second)] == [long_id]
    assert [p.order_id for p in open_positions(engine, "alice")] == [short_id]
    assert [o.reserved for o in pending_orders(engine, "alice", second)] == [units("50")]
    assert pending_orders(engine, "alice", first) == []
    assert pending_orders(engine, "alice") == []
    (pending,) = pending_orders(engine, "alice", second)
    assert by_client_id(engine, "alice", "same", second) == pending.order_id
    assert by_client_id(engine, "alice", "same") == short_id
    assert by_client_id(engine, "alice", "other", second) is None


def test_no_account_named_is_the_users_first_for_commands_on_an_order() -> None:
    """SPEC 13: a command naming no account acts on the user's first; a position or pending
    order in another of the user's accounts is NOT_FOUND to it and stays as it was."""
    engine, _, second, long_id, _ = two_accounts()
    (pending,) = pending_orders(engine, "alice", second)
    before = engine.export()
    for command in [
        *(make("alice", long_id) for _, make in OTHERS),
        CancelOrder("alice", pending.order_id, T0),
        ModifyOrder("alice", pending.order_id, T0, price=units("91000")),
    ]:
        out = engine.handle(command)
        assert out.refusal is not None and out.refusal.code == Code.NOT_FOUND, command
    assert engine.export() == before
    named = engine.handle(ClosePosition("alice", long_id, T0, account_id=second))
    assert named.refusal is None and isinstance(named.events[0], PositionClosed)


def test_views_of_another_users_account_are_empty() -> None:
    """Another user's account id reads like an unknown one: zero figures, no orders."""
    engine, _, second, _, _ = two_accounts()
    engine.handle(OpenAccount("bob", T0))
    f = account_figures(engine, "bob", second)
    assert (f.balance, f.used_margin, f.unrealized_pnl, f.equity, f.free_margin) == (0,) * 5
    assert f.margin_level is None
    assert open_positions(engine, "bob", second) == []
    assert pending_orders(engine, "bob", second) == []
    assert by_client_id(engine, "bob", "same", second) is None
    unknown = account_figures(engine, "carol")
    assert (unknown.balance, unknown.equity, unknown.margin_level) == (0, 0, None)


def test_figures_before_any_quote_count_no_pnl() -> None:
    """After a restart quotes are gone until the next tick: unrealized PnL is 0 and equity
    is balance + margin, not a made-up mark."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    restarted = Engine.restore(engine.export(), engine.settings)
    f = account_figures(restarted, "alice")
    assert (f.balance, f.used_margin, f.unrealized_pnl, f.equity) == (
        units("900"),
        units("100"),
        0,
        units("1000"),
    )
    assert f.margin_level == "1000.00"


def test_the_smallest_positive_funding_rate_makes_the_long_pay() -> None:
    """SPEC 12: a positive rate, however small, makes a LONG pay (rounded up) and a SHORT
    receive (rounded down): 100000 x 0.009995 x 0.00000001 = 0.000009995 USD."""
    hour8 = 28_800_000
    engine = engine_with(funding_rate=1)
    engine.handle(OpenAccount("bob", T0))
    tick(engine, BTC, "100000")
    size = {"leverage": 10, "qty": units("0.009995")}
    long = open_ok(engine, asset=BTC, side="LONG", **size)
    short = open_ok(engine, user_id="bob", asset=BTC, side="SHORT", **size)
    # margins: 100050 x 0.009995 / 10 = 99.999975, 99950 x 0.009995 / 10 = 99.900025
    assert (long.margin, short.margin) == (units("99.999975"), units("99.900025"))
    boundary = (T0 // hour8 + 1) * hour8
    tick(engine, BTC, "100000", boundary - 5)
    engine.handle(ClockTick(boundary - 1))
    out = engine.handle(ClockTick(boundary))
    charged = {e.order_id: e.amount for e in out.events if isinstance(e, FundingCharged)}
    assert charged == {long.order_id: -units("0.00001"), short.order_id: units("0.00000999")}
    assert engine.positions[long.order_id].margin == units("99.999965")
    assert engine.positions[short.order_id].margin == units("99.90003499")
    alice, bob = account_figures(engine, "alice"), account_figures(engine, "bob")
    assert (alice.funding, alice.fees) == (-units("0.00001"), 0)
    assert (bob.funding, bob.fees) == (units("0.00000999"), 0)


def test_add_margin_takes_any_positive_amount_in_the_account_asked() -> None:
    """SPEC 3: add margin moves a positive amount (even one unit) from the free balance;
    zero is VALIDATION_ERROR on ``amount``; a second account's position takes it with that
    account's id (mutmut survivors in rules._add_margin)."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    zero = engine.handle(AddMargin("alice", opened.order_id, 0, T0))
    assert zero.refusal is not None and zero.events == ()
    assert (zero.refusal.code, zero.refusal.field) == (Code.VALIDATION_ERROR, "amount")
    assert zero.refusal.message
    assert engine.handle(AddMargin("alice", opened.order_id, 1, T0)).ok
    assert engine.positions[opened.order_id].margin == units("100.00000001")
    assert engine.account_of("alice", None).balance == units("899.99999999")  # type: ignore[union-attr]
    (created, *_) = engine.handle(CreateAccount("alice", "Bot", "HEDGING", T0)).events
    second = created.account_id  # type: ignore[union-attr]
    other = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("100"), account_id=second
    )
    out = engine.handle(AddMargin("alice", other.order_id, units("50"), T0, account_id=second))
    assert out.ok, out.refusal
    assert engine.positions[other.order_id].margin == units("150")
    assert account_figures(engine, "alice", second).balance == units("850")


def test_margin_level_with_one_unit_of_margin() -> None:
    """A margin of one unit (min margin 0.00000001) still has a margin level."""
    engine = engine_with(min_margin=1)
    tick(engine, "SOLUSDT", "0.5")  # ask 0.50025
    open_ok(engine, asset="SOLUSDT", side="LONG", leverage=100, qty=1)
    f = account_figures(engine, "alice")
    assert f.used_margin == 1
    # equity = balance + max(0, 1 + floor((0.49975 - 0.50025) * 0.00000001)) = balance + 0
    assert f.equity == f.balance == units("1000") - 1
    assert f.margin_level == f"{f.equity * 100}.00"


def test_an_oco_pair_is_grouped_under_its_first_legs_id() -> None:
    """SPEC 12: the OCO group id comes from the engine's order counter: the first leg's id."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    legs = [
        OpenPosition(
            "alice", BTC, "LONG", 10, T0, margin=units("10"), order_type="LIMIT",
            price=units(price),
        )
        for price in ("99000", "98000")
    ]  # fmt: skip
    out = engine.handle(PlaceOco("alice", legs[0], legs[1], T0))
    assert out.ok, out.refusal
    groups = {getattr(e, "oco_group_id", None) for e in out.events} - {None}
    (group,) = groups
    ids = {getattr(e, "order_id", None) for e in out.events} - {None}
    assert ids == {"1", "2"} and group == "1"


def test_a_position_opened_at_the_boundary_instant_owes_that_boundary() -> None:
    """SPEC 12: funding is exchanged by each position open AT the boundary's instant: one
    opened at exactly that millisecond pays; one opened a millisecond later does not (a
    mutation run found ``opened_at < boundary`` survived every engine test)."""
    hour8 = 28_800_000
    boundary = (T0 // hour8 + 1) * hour8
    engine = engine_with(funding_rate=units("0.0001"))
    tick(engine, BTC, "100000", boundary - 5)
    engine.handle(ClockTick(boundary - 1))
    tick(engine, BTC, "100000", boundary)
    size = {"asset": BTC, "side": "LONG", "leverage": 10, "qty": units("0.01")}
    at = open_ok(engine, ts=boundary, **size)
    after = open_ok(engine, ts=boundary + 1, **size)
    out = engine.handle(ClockTick(boundary + 1))
    charged = {e.order_id: e.amount for e in out.events if isinstance(e, FundingCharged)}
    # ref 100000 x 0.01 x 0.0001 = 0.1 USD, paid by the LONG
    assert charged == {at.order_id: -units("0.1")}
    assert after.order_id not in charged
