"""Engine v2 (SPEC 12/13) rules one by one: every refusal changes nothing, and each order
behaviour (OCO, expiry, clientOrderId, stops on the fill tick, rejection, reset) exactly."""

from __future__ import annotations

from typing import Any

import pytest

from velox.engine.commands import (
    CancelOrder,
    ClockTick,
    ClosePosition,
    CreateAccount,
    Deposit,
    ModifyOrder,
    OpenAccount,
    OpenPosition,
    PlaceOco,
    PriceTick,
    RenameAccount,
    ResetAccount,
)
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import (
    AccountRenamed,
    Deposited,
    FundingCharged,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.settings import EngineSettings
from velox.engine.views import account_figures, by_client_id, ledger, pending_orders
from velox.money import SCALE, units

T0 = 1_700_000_000_000
BTC = "BTCUSDT"
ETH = "ETHUSDT"


def engine_at(ref: str = "100000", **settings: Any) -> Engine:
    engine = Engine(EngineSettings(**settings))
    assert engine.handle(OpenAccount("alice", T0)).ok
    assert engine.handle(OpenAccount("bob", T0)).ok
    engine.on_tick(PriceTick(BTC, units(ref), T0))
    engine.on_tick(PriceTick(ETH, units("3000"), T0))
    return engine


def order(**kw: Any) -> OpenPosition:
    params: dict[str, Any] = {
        "user_id": "alice",
        "asset": BTC,
        "side": "LONG",
        "leverage": 10,
        "ts": T0,
        "margin": units("100"),
    }
    params.update(kw)
    return OpenPosition(**params)


def ok(engine: Engine, command: Any) -> tuple[Any, ...]:
    out = engine.handle(command)
    assert out.ok, out.refusal
    assert ledger(engine)["conserved"], ledger(engine)
    return out.events


def netting(engine: Engine) -> str:
    (created, _) = ok(engine, CreateAccount("alice", "Bot", "NETTING", T0))
    return created.account_id  # type: ignore[no-any-return]


def limit(price: str, **kw: Any) -> OpenPosition:
    return order(order_type="LIMIT", price=units(price), **kw)


REFUSALS: list[tuple[str, Any, Code, str | None]] = [
    ("limit without price", lambda e: order(order_type="LIMIT"), Code.VALIDATION_ERROR, "price"),
    ("zero price", lambda e: limit("0"), Code.VALIDATION_ERROR, "price"),
    ("unknown type", lambda e: order(order_type="ICEBERG"), Code.VALIDATION_ERROR, "type"),
    ("market with price", lambda e: order(price=units("1")), Code.VALIDATION_ERROR, "price"),
    (
        "expiry in the past",
        lambda e: limit("99000", expires_at=T0),
        Code.VALIDATION_ERROR,
        "expiresAt",
    ),
    (
        "bad clientOrderId",
        lambda e: order(client_order_id="no spaces"),
        Code.VALIDATION_ERROR,
        "clientOrderId",
    ),
    (
        "clientOrderId too long",
        lambda e: order(client_order_id="x" * 37),
        Code.VALIDATION_ERROR,
        "clientOrderId",
    ),
    (
        "reduceOnly in HEDGING",
        lambda e: order(reduce_only=True),
        Code.VALIDATION_ERROR,
        "reduceOnly",
    ),
    (
        "stop already through",
        lambda e: order(order_type="STOP", price=units("100000")),  # ask 100050 >= 100000
        Code.WOULD_TRIGGER_IMMEDIATELY,
        "price",
    ),
    (
        "short stop already through",
        lambda e: order(side="SHORT", order_type="STOP", price=units("99950")),
        Code.WOULD_TRIGGER_IMMEDIATELY,
        "price",
    ),
    (
        "stop-loss above a long limit",
        lambda e: limit("99000", stop_loss=units("99500")),
        Code.INVALID_STOP_LOSS,
        "stopLoss",
    ),
    (
        "take-profit below a long limit",
        lambda e: limit("99000", take_profit=units("98000")),
        Code.INVALID_TAKE_PROFIT,
        "takeProfit",
    ),
    (
        "reservation beyond the balance",
        lambda e: limit("99000", margin=units("1000.00000001")),
        Code.INSUFFICIENT_BALANCE,
        None,
    ),
    (
        "someone else's account",
        lambda e: order(account_id=e.user_accounts["bob"][0]),
        Code.NOT_FOUND,
        None,
    ),
    ("an unknown account", lambda e: order(account_id="999"), Code.NOT_FOUND, None),
    (
        "cancel an open position",
        lambda e: CancelOrder("alice", _open_id(e), T0),
        Code.ORDER_NOT_PENDING,
        None,
    ),
    (
        "cancel someone else's order",
        lambda e: CancelOrder("bob", _pending_id(e), T0),
        Code.NOT_FOUND,
        None,
    ),
    ("cancel an unknown order", lambda e: CancelOrder("alice", "999", T0), Code.NOT_FOUND, None),
    (
        "modify to a price already reached",
        lambda e: ModifyOrder("alice", _pending_id(e), T0, price=units("100100")),
        Code.WOULD_TRIGGER_IMMEDIATELY,
        "price",
    ),
    (
        "modify an open position",
        lambda e: ModifyOrder("alice", _open_id(e), T0, price=units("1")),
        Code.ORDER_NOT_PENDING,
        None,
    ),
    (
        "oco on two assets",
        lambda e: PlaceOco("alice", limit("99000"), limit("2900", asset=ETH), T0),
        Code.VALIDATION_ERROR,
        "asset",
    ),
    (
        "oco with a market order",
        lambda e: PlaceOco("alice", limit("99000"), order(), T0),
        Code.VALIDATION_ERROR,
        "type",
    ),
    (
        "oco of a marketable limit",
        lambda e: PlaceOco("alice", limit("99000"), limit("100100"), T0),
        Code.WOULD_TRIGGER_IMMEDIATELY,
        "price",
    ),
    (
        "rename to nothing",
        lambda e: RenameAccount("alice", "1", " ", T0),
        Code.VALIDATION_ERROR,
        "name",
    ),
    (
        "an unknown mode",
        lambda e: CreateAccount("alice", "x", "CROSS", T0),
        Code.VALIDATION_ERROR,
        "mode",
    ),
    (
        "reset someone else's account",
        lambda e: ResetAccount("bob", e.user_accounts["alice"][0], T0),
        Code.NOT_FOUND,
        None,
    ),
]


def _open_id(engine: Engine) -> str:
    return next(iter(engine.positions))


def _pending_id(engine: Engine) -> str:
    return next(iter(engine.pending))


@pytest.mark.parametrize("name,make,code,field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusal_changes_nothing(name: str, make: Any, code: Code, field: str | None) -> None:
    engine = engine_at()
    ok(engine, order(margin=units("10")))  # an open position
    ok(engine, limit("99000", margin=units("10")))  # a pending order
    before = engine.export()
    out = engine.handle(make(engine))
    assert out.refusal is not None and out.refusal.code == code, out.refusal
    if field is not None:
        assert out.refusal.field == field
    assert out.events == ()
    assert engine.export() == before


def test_netting_refusals_change_nothing() -> None:
    engine = engine_at()
    acc = netting(engine)
    before = engine.export()
    for cmd, code in (
        (order(account_id=acc, reduce_only=True), Code.REDUCE_ONLY_REJECTED),
        (limit("99000", account_id=acc, reduce_only=True), Code.REDUCE_ONLY_REJECTED),
    ):
        out = engine.handle(cmd)
        assert out.refusal is not None and out.refusal.code == code
        assert engine.export() == before
    ok(engine, order(account_id=acc))
    before = engine.export()
    for cmd, code in (
        (order(account_id=acc, leverage=20), Code.LEVERAGE_MISMATCH),
        (limit("99000", account_id=acc, leverage=20), Code.LEVERAGE_MISMATCH),
        (order(account_id=acc, reduce_only=True), Code.REDUCE_ONLY_REJECTED),  # same side
    ):
        out = engine.handle(cmd)
        assert out.refusal is not None and out.refusal.code == code
        assert engine.export() == before


def test_too_many_accounts_and_positions_count_pending() -> None:
    engine = engine_at(max_accounts=2, max_open_positions=2)
    netting(engine)
    out = engine.handle(CreateAccount("alice", "third", "HEDGING", T0))
    assert out.refusal is not None and out.refusal.code == Code.TOO_MANY_ACCOUNTS
    ok(engine, limit("99000", margin=units("10")))
    ok(engine, order(margin=units("10")))
    before = engine.export()
    for cmd in (limit("98000", margin=units("10")), order(margin=units("10"))):
        out = engine.handle(cmd)
        assert out.refusal is not None and out.refusal.code == Code.TOO_MANY_POSITIONS
    assert engine.export() == before


def test_the_position_limit_is_the_users_over_all_accounts() -> None:
    """SPEC 3: at most ``--max-open-positions`` per user. Counted per account, a user
    held that many in each of five accounts."""
    engine = engine_at(max_open_positions=3)
    second = netting(engine)
    ok(engine, order(margin=units("10")))
    ok(engine, limit("99000", margin=units("10"), account_id=second))
    ok(engine, order(margin=units("10"), account_id=second, asset=ETH))
    before = engine.export()
    for cmd in (
        order(margin=units("10")),
        order(margin=units("10"), account_id=second),
        limit("98000", margin=units("10")),
    ):
        out = engine.handle(cmd)
        assert out.refusal is not None and out.refusal.code == Code.TOO_MANY_POSITIONS
    assert engine.export() == before
    assert not engine.handle(order(margin=units("10"), user_id="bob")).refusal  # bob's own


def test_client_order_id_is_idempotent_per_account() -> None:
    engine = engine_at()
    (placed,) = ok(engine, limit("99000", client_order_id="bot-1"))
    before = engine.export()
    again = engine.handle(limit("98000", client_order_id="bot-1"))
    assert again.ok and again.events == () and again.existing == placed.order_id
    assert engine.export() == before
    assert by_client_id(engine, "alice", "bot-1") == placed.order_id
    assert by_client_id(engine, "bob", "bot-1") is None
    # another account of the same user may use it
    acc = netting(engine)
    (opened,) = ok(engine, order(account_id=acc, client_order_id="bot-1"))
    assert isinstance(opened, PositionOpened) and opened.client_order_id == "bot-1"


def test_oco_fill_cancels_the_other_leg() -> None:
    engine = engine_at()
    legs = ok(
        engine,
        PlaceOco("alice", limit("99000"), order(order_type="STOP", price=units("101000")), T0),
    )
    first, second = legs
    assert isinstance(first, OrderPlaced) and first.oco_group_id == second.oco_group_id
    assert account_figures(engine, "alice").pending_margin == 200 * SCALE
    events = engine.on_tick(PriceTick(BTC, units("101000"), T0 + 1))  # ask 101050.5: the stop
    opened, cancelled = events
    assert isinstance(opened, PositionOpened) and opened.order_id == second.order_id
    assert opened.open_price == units("101050.5") and not opened.maker
    assert isinstance(cancelled, OrderCancelled)
    assert (cancelled.order_id, cancelled.status, cancelled.reason) == (
        first.order_id,
        "CANCELLED",
        "OCO",
    )
    assert engine.pending == {} and ledger(engine)["conserved"]
    assert engine.account_of("alice", None).balance == 900 * SCALE  # type: ignore[union-attr]


def test_cancel_one_oco_leg_cancels_both_and_returns_both_reservations() -> None:
    engine = engine_at()
    first, second = ok(engine, PlaceOco("alice", limit("99000"), limit("98000"), T0))
    events = ok(engine, CancelOrder("alice", second.order_id, T0))
    assert [(e.order_id, e.status, e.reason) for e in events] == [
        (second.order_id, "CANCELLED", "USER"),
        (first.order_id, "CANCELLED", "OCO"),
    ]
    assert engine.account_of("alice", None).balance == 1000 * SCALE  # type: ignore[union-attr]


def test_expiry_by_the_clock_returns_the_reservation() -> None:
    engine = engine_at(funding_interval_ms=0)
    (placed,) = ok(engine, limit("99000", expires_at=T0 + 5000))
    assert engine.handle(ClockTick(T0 + 4999)).events == ()
    (expired,) = engine.handle(ClockTick(T0 + 5000)).events
    assert isinstance(expired, OrderCancelled)
    assert (expired.order_id, expired.status, expired.released) == (
        placed.order_id,
        "EXPIRED",
        100 * SCALE,
    )
    assert pending_orders(engine, "alice") == []
    assert engine.account_of("alice", None).balance == 1000 * SCALE  # type: ignore[union-attr]


def test_modify_moves_the_reservation_with_the_price() -> None:
    engine = engine_at()
    (placed,) = ok(engine, limit("90000", margin=None, qty=units("0.01")))  # reserves 90
    assert placed.reserved == 90 * SCALE
    (modified,) = ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units("95000")))
    assert isinstance(modified, OrderModified) and modified.reserved == 95 * SCALE
    assert engine.account_of("alice", None).balance == 905 * SCALE  # type: ignore[union-attr]


def test_attached_stop_loss_fires_on_the_fill_tick() -> None:
    engine = engine_at()
    (placed,) = ok(
        engine, order(order_type="STOP", price=units("101000"), stop_loss=units("100900"))
    )
    # ref 100950: ask 101000.475 triggers the stop, bid 100899.525 is through its stop-loss
    events = engine.on_tick(PriceTick(BTC, units("100950"), T0 + 1))
    opened, closed = events
    assert isinstance(opened, PositionOpened) and opened.order_id == placed.order_id
    assert isinstance(closed, PositionClosed) and closed.reason == "STOP_LOSS"
    assert closed.close_price == units("100899.525")
    assert engine.positions == {} and ledger(engine)["conserved"]


def test_fill_the_balance_cannot_cover_is_rejected() -> None:
    engine = engine_at(taker_fee=units("0.0005"))
    # qty 0.1 at 10x: reserves 10100 / 10 = 1010 > 1000? use 0.098: 989.8 reserved
    (placed,) = ok(
        engine, order(order_type="STOP", price=units("101000"), margin=None, qty=units("0.098"))
    )
    assert placed.reserved == units("989.8")
    events = engine.on_tick(PriceTick(BTC, units("103000"), T0 + 1))  # gaps: ask 103051.5
    (rejected,) = events
    assert isinstance(rejected, OrderCancelled)
    assert (rejected.status, rejected.reason) == ("REJECTED", "INSUFFICIENT_BALANCE")
    assert engine.account_of("alice", None).balance == 1000 * SCALE  # type: ignore[union-attr]
    assert ledger(engine)["conserved"]


def test_reset_cancels_closes_and_restores_the_initial_balance() -> None:
    engine = engine_at()
    acc = engine.user_accounts["alice"][0]
    ok(engine, Deposit("alice", 500 * SCALE, T0))
    ok(engine, limit("99000"))
    (opened,) = ok(engine, order())
    engine.on_tick(PriceTick(BTC, units("99000"), T0 + 1))  # ask 99049.5: the limit still rests
    events = ok(engine, ResetAccount("alice", acc, T0 + 2))
    kinds = [type(e).__name__ for e in events]
    assert kinds[-1] == "Deposited" and "PositionClosed" in kinds
    assert all(e.reason == "MANUAL" for e in events if isinstance(e, PositionClosed))
    adjustment = events[-1]
    assert isinstance(adjustment, Deposited) and adjustment.kind == "RESET"
    account = engine.accounts[acc]
    assert account.balance == 1000 * SCALE and not account.open_orders
    assert not account.pending_orders and ledger(engine)["conserved"]
    assert opened.order_id not in engine.positions


def test_rename() -> None:
    engine = engine_at()
    acc = engine.user_accounts["alice"][0]
    (renamed,) = ok(engine, RenameAccount("alice", acc, "Swing", T0))
    assert isinstance(renamed, AccountRenamed) and engine.accounts[acc].name == "Swing"


def test_a_tick_after_the_expiry_expires_the_order_instead_of_filling_it() -> None:
    engine = engine_at(funding_interval_ms=0)
    (placed,) = ok(engine, limit("99000", expires_at=T0 + 5000))
    (expired,) = engine.on_tick(PriceTick(BTC, units("98000"), T0 + 5000))  # reaches it
    assert isinstance(expired, OrderCancelled)
    assert (expired.order_id, expired.status) == (placed.order_id, "EXPIRED")
    assert engine.positions == {} and ledger(engine)["conserved"]


def test_partial_close_pays_its_taker_fee_out_of_the_part() -> None:
    """SPEC 12: every close is a taker fill; the part's fee comes out of its settlement."""
    engine = engine_at(taker_fee=units("0.0005"))
    (opened,) = ok(engine, order())  # LONG 10x margin 100 at ask 100050
    # qty = floor(100 * 10 / 100050, 8 decimals) = 0.00999500; open fee = ceil(100050 *
    # 0.009995 * 0.0005) = ceil(0.499999875) = 0.49999988
    assert opened.qty == 999_500
    assert opened.fee == units("0.49999988")
    engine.on_tick(PriceTick(BTC, units("101000"), T0 + 1))  # bid 100949.5
    (part,) = ok(engine, ClosePosition("alice", opened.order_id, T0 + 1, percent=40))
    assert isinstance(part, PositionPartiallyClosed)
    assert (part.part_qty, part.part_margin) == (399_800, 40 * SCALE)
    pnl = (units("100949.5") - units("100050")) * 399_800 // SCALE
    close_fee = -(-units("100949.5") * 399_800 * 5 // (SCALE * 10**4))
    assert (part.pnl, part.close_fee) == (pnl, close_fee)
    assert part.settlement == 40 * SCALE + pnl - close_fee
    assert engine.house == opened.fee + close_fee - pnl  # both fees in, the part's gain out
    assert ledger(engine)["conserved"]


def test_funding_paid_is_capped_at_the_margin() -> None:
    engine = engine_at(funding_rate=units("0.5"), funding_interval_ms=60_000)
    ok(engine, order(margin=units("10"), leverage=100))  # notional ~1000
    boundary = (T0 // 60_000 + 1) * 60_000
    engine.on_tick(PriceTick(BTC, units("100000"), boundary))
    events = engine.handle(ClockTick(boundary)).events
    (charged,) = [e for e in events if isinstance(e, FundingCharged)]
    assert charged.amount == -10 * SCALE and charged.margin == 0  # not 500: all it had
    assert engine.house == 10 * SCALE and ledger(engine)["conserved"]
    (closed,) = engine.on_tick(PriceTick(BTC, units("100000"), boundary + 1))
    assert isinstance(closed, PositionClosed) and closed.reason == "LIQUIDATION"
    assert closed.settlement == 0 and closed.funding == -10 * SCALE


def test_a_repeated_oco_with_both_client_ids_places_nothing() -> None:
    engine = engine_at()
    legs = (limit("99000", client_order_id="a"), limit("98000", client_order_id="b"))
    placed = ok(engine, PlaceOco("alice", *legs, T0))
    first = next(e for e in placed if isinstance(e, OrderPlaced))
    again = engine.handle(PlaceOco("alice", *legs, T0 + 1))
    assert (again.events, again.refusal, again.existing) == ((), None, first.order_id)
    one_new = engine.handle(PlaceOco("alice", legs[0], limit("97000", client_order_id="c"), T0))
    assert one_new.refusal is not None and one_new.refusal.field == "clientOrderId"
    assert len(engine.pending) == 2


def test_a_pending_orders_stops_are_judged_against_its_price_and_say_so() -> None:
    """Its stops are checked against the order's price (where the position will start), not
    the quote: the message said "below the bid" for a stop-loss below the bid (an outside
    review of the UI, which shows the server's message)."""
    engine = engine_at()  # bid 99950, ask 100050
    placed = engine.handle(limit("50000", stop_loss=units("60000")))
    assert placed.refusal is not None
    assert (placed.refusal.code, placed.refusal.message) == (
        Code.INVALID_STOP_LOSS, "stop-loss must be below the order price"
    )  # fmt: skip
    short = engine.handle(limit("150000", side="SHORT", take_profit=units("160000")))
    assert short.refusal is not None
    assert short.refusal.message == "take-profit must be below the order price"
    (event,) = ok(engine, limit("50000"))
    modified = engine.handle(ModifyOrder("alice", event.order_id, T0, take_profit=units("40000")))
    assert modified.refusal is not None
    assert modified.refusal.message == "take-profit must be above the order price"
    opened = engine.handle(order(stop_loss=units("99990")))  # a position's: the quote's
    assert opened.refusal is not None
    assert opened.refusal.message == "stop-loss must be below the bid"
