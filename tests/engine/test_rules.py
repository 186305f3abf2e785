"""Worked examples with exact integers, and every refusal code of SPEC.md sections 3-4."""

from __future__ import annotations

from tests.engine.helpers import T0, engine_with, open_ok, tick
from velox.engine.commands import (
    AddMargin,
    ClosePosition,
    ModifyPosition,
    OpenPosition,
    PriceTick,
)
from velox.engine.errors import Code
from velox.engine.events import MarksMoved, PositionClosed, StopsModified
from velox.engine.views import account_figures, ledger
from velox.money import SCALE, units

BTC = "BTCUSDT"


def btc_long_10x():  # type: ignore[no-untyped-def]
    engine = engine_with()
    tick(engine, BTC, "100000")  # bid 99950, ask 100050
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"))
    return engine, opened


def refusal(engine, command):  # type: ignore[no-untyped-def]
    before = engine.export()
    outcome = engine.handle(command)
    assert outcome.events == ()
    assert engine.export() == before, "a refusal must change nothing"
    assert outcome.refusal is not None
    return outcome.refusal.code, outcome.refusal.field


def test_long_10x_opens_at_ask_and_locks_margin() -> None:
    engine, opened = btc_long_10x()
    assert opened.open_price == units("100050")
    assert opened.qty == units("0.009995")
    assert opened.liquidation_price == units("91045.49774888")
    assert engine.account_of("alice", None).balance == units("900")
    figures = account_figures(engine, "alice")
    assert figures.used_margin == units("100")
    # marked at the bid 99950: (99950 - 100050) * 0.009995 = -0.9995
    assert figures.unrealized_pnl == units("-0.9995")
    assert figures.equity == units("999.0005")
    assert figures.margin_level == "999.00"


def test_tick_just_above_liquidation_keeps_it_and_at_it_liquidates() -> None:
    engine, opened = btc_long_10x()
    liq = units("91045.49774888")
    # a ref whose bid is one unit above liq: bid = floor(ref * 0.9995)
    ref_above = -(-(liq + 1) * 2 * SCALE // (2 * SCALE - SCALE // 1000))
    assert tick_units(engine, ref_above, T0 + 1) == []
    assert opened.order_id in engine.positions
    ref_at = ref_above - 1
    events = tick_units(engine, ref_at, T0 + 2)
    (closed,) = events
    assert isinstance(closed, PositionClosed)
    assert closed.reason == "LIQUIDATION"
    assert closed.close_price <= liq
    assert closed.settlement == units("100") + closed.pnl
    assert ledger(engine)["conserved"]


def tick_units(engine, ref: int, ts: int) -> list[object]:  # type: ignore[no-untyped-def]
    return list(engine.on_tick(PriceTick(BTC, ref, ts)))


def test_short_mirror_liquidates_when_ask_reaches_liq() -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="SHORT", leverage=10, margin=units("100"))
    assert opened.open_price == units("99950")
    assert opened.qty == units("0.010005")
    # liq = 99950 + floor(100 * 0.9 / 0.010005) = 99950 + 8995.50224887 rounded down
    assert opened.liquidation_price == units("108945.50224887")
    assert tick(engine, BTC, "108890", T0 + 1) == []  # ask 108944.445 < liq
    assert tick(engine, BTC, "108891", T0 + 2) == []  # ask 108945.4455 < liq
    (closed,) = tick(engine, BTC, "108892", T0 + 3)  # ask 108946.446 >= liq
    assert isinstance(closed, PositionClosed) and closed.reason == "LIQUIDATION"


def test_gap_through_liquidation_pays_trader_zero_and_house_absorbs() -> None:
    engine, _ = btc_long_10x()
    (closed,) = tick(engine, BTC, "80000", T0 + 1)  # bid 79960, far below liq
    assert isinstance(closed, PositionClosed)
    assert closed.reason == "LIQUIDATION"
    assert closed.pnl == units("-200.79955")  # (79960 - 100050) * 0.009995
    assert closed.settlement == 0
    assert engine.account_of("alice", None).balance == units("900")
    assert engine.house == units("100")  # the house keeps the margin, loses the rest
    assert ledger(engine)["conserved"]


def test_stop_loss_take_profit_and_precedence() -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    sl = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("10"), stop_loss=units("99000")
    )
    tp = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("10"), take_profit=units("101000")
    )
    (closed,) = tick(engine, BTC, "99049", T0 + 1)  # bid 98999.4755 <= 99000
    assert isinstance(closed, PositionClosed)
    assert (closed.order_id, closed.reason) == (sl.order_id, "STOP_LOSS")
    assert closed.close_price == units("98999.4755")
    (closed,) = tick(engine, BTC, "101051", T0 + 2)  # bid 101000.4745 >= 101000
    assert isinstance(closed, PositionClosed)
    assert (closed.order_id, closed.reason) == (tp.order_id, "TAKE_PROFIT")
    # a stop-loss below the liquidation price: a gap through both is a STOP_LOSS
    both = open_ok(
        engine, asset=BTC, side="LONG", leverage=100, margin=units("10"), stop_loss=units("90000")
    )
    (closed,) = tick(engine, BTC, "85000", T0 + 3)
    assert isinstance(closed, PositionClosed)
    assert (closed.order_id, closed.reason) == (both.order_id, "STOP_LOSS")


def test_short_stop_loss_and_take_profit() -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    open_ok(
        engine,
        asset=BTC,
        side="SHORT",
        leverage=5,
        margin=units("50"),
        stop_loss=units("101000"),
        take_profit=units("99000"),
    )
    (closed,) = tick(engine, BTC, "98950", T0 + 1)  # ask 98999.475 <= 99000
    assert isinstance(closed, PositionClosed) and closed.reason == "TAKE_PROFIT"
    assert closed.close_price == units("98999.475")


def test_trailing_long_moves_mark_then_triggers() -> None:
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(
        engine, asset=BTC, side="LONG", leverage=10, margin=units("100"), trailing_stop=units("500")
    )
    assert opened.trailing_mark == units("99950")
    (moved,) = tick(engine, BTC, "101000", T0 + 1)
    assert moved == MarksMoved(BTC, units("100949.5"), units("101050.5"), T0 + 1)
    assert engine.positions[opened.order_id].trailing_mark == units("100949.5")
    assert tick(engine, BTC, "100600", T0 + 2) == []  # bid 100549.7 > 100449.5
    assert tick(engine, BTC, "100500", T0 + 3) == []  # bid 100449.75 > 100449.5
    (closed,) = tick(engine, BTC, "100499", T0 + 4)  # bid 100448.7505 <= 100449.5
    assert isinstance(closed, PositionClosed) and closed.reason == "TRAILING_STOP"
    assert closed.close_price == units("100448.7505")


def test_partial_close_25_percent() -> None:
    engine, opened = btc_long_10x()
    tick(engine, BTC, "101000", T0 + 1)
    out = engine.handle(ClosePosition("alice", opened.order_id, T0 + 2, percent=25))
    (part,) = out.events
    assert part.part_qty == units("0.00249875")  # type: ignore[union-attr]
    assert part.part_margin == units("25")  # type: ignore[union-attr]
    rest = engine.positions[opened.order_id]
    assert rest.qty == units("0.00749625") and rest.margin == units("75")
    # margin and qty both shrank by exactly a quarter: the same liquidation price
    assert rest.liquidation_price == units("91045.49774888")
    assert ledger(engine)["conserved"]


def test_add_margin_lowers_long_liquidation() -> None:
    engine, opened = btc_long_10x()
    (event,) = engine.handle(AddMargin("alice", opened.order_id, units("50"), T0)).events
    assert engine.positions[opened.order_id].liquidation_price == units("86543.24662332")
    assert engine.account_of("alice", None).balance == units("850")
    assert event.liquidation_price == units("86543.24662332")  # type: ignore[union-attr]


def test_modify_moves_stop_loss_past_open_to_lock_profit() -> None:
    engine, opened = btc_long_10x()
    tick(engine, BTC, "110000", T0 + 1)  # bid 109945
    out = engine.handle(ModifyPosition("alice", opened.order_id, T0 + 2, stop_loss=units("105000")))
    (event,) = out.events
    assert isinstance(event, StopsModified) and event.stop_loss == units("105000")
    out = engine.handle(ModifyPosition("alice", opened.order_id, T0 + 3, stop_loss=None))
    assert out.events[0].stop_loss is None  # type: ignore[union-attr]


def test_every_refusal_code() -> None:
    engine, opened = btc_long_10x()
    oid = opened.order_id

    def open_cmd(**kw: object) -> OpenPosition:
        params: dict[str, object] = {
            "user_id": "alice",
            "asset": BTC,
            "side": "LONG",
            "leverage": 10,
            "ts": T0,
            "margin": units("10"),
        }
        params.update(kw)
        return OpenPosition(**params)  # type: ignore[arg-type]

    assert refusal(engine, open_cmd(asset="DOGEUSDT")) == (Code.UNKNOWN_ASSET, "asset")
    assert refusal(engine, open_cmd(leverage=101)) == (Code.VALIDATION_ERROR, "leverage")
    assert refusal(engine, open_cmd(leverage=0)) == (Code.VALIDATION_ERROR, "leverage")
    assert refusal(engine, open_cmd(side="UP")) == (Code.VALIDATION_ERROR, "side")
    assert refusal(engine, open_cmd(qty=units("0.1")))[0] == Code.VALIDATION_ERROR
    assert refusal(engine, open_cmd(expected_price=units("100050")))[0] == Code.VALIDATION_ERROR
    assert refusal(engine, open_cmd(margin=units("2000")))[0] == Code.INSUFFICIENT_BALANCE
    assert refusal(engine, open_cmd(margin=units("0.5")))[0] == Code.MARGIN_TOO_SMALL
    assert refusal(engine, open_cmd(margin=1, leverage=1))[0] == Code.MARGIN_TOO_SMALL
    assert refusal(engine, open_cmd(stop_loss=units("99950"))) == (
        Code.INVALID_STOP_LOSS,
        "stopLoss",
    )
    assert refusal(engine, open_cmd(take_profit=units("99950"))) == (
        Code.INVALID_TAKE_PROFIT,
        "takeProfit",
    )
    assert refusal(engine, open_cmd(side="SHORT", stop_loss=units("100050")))[0] == (
        Code.INVALID_STOP_LOSS
    )
    assert refusal(engine, open_cmd(side="SHORT", take_profit=units("100050")))[0] == (
        Code.INVALID_TAKE_PROFIT
    )
    # 1 bp of slippage on 100000: 100050 is 5 bps away
    slipped = open_cmd(expected_price=units("100000"), slippage_bps=1)
    assert refusal(engine, slipped)[0] == Code.SLIPPAGE_EXCEEDED
    assert engine.handle(open_cmd(expected_price=units("100000"), slippage_bps=5)).ok
    assert refusal(engine, open_cmd(ts=T0 + 10_001))[0] == Code.PRICE_STALE
    assert refusal(engine, ClosePosition("alice", oid, T0 + 10_001))[0] == Code.PRICE_STALE
    assert refusal(engine, ClosePosition("alice", oid, T0, percent=100))[0] == (
        Code.VALIDATION_ERROR
    )
    assert refusal(engine, ClosePosition("bob", oid, T0))[0] == Code.NOT_FOUND
    assert refusal(engine, AddMargin("alice", oid, units("5000"), T0))[0] == (
        Code.INSUFFICIENT_BALANCE
    )
    assert refusal(engine, AddMargin("alice", "999", units("1"), T0))[0] == Code.NOT_FOUND
    # add margin and modify still work on a stale price (judged on the last quote)
    assert engine.handle(AddMargin("alice", oid, units("1"), T0 + 60_000)).ok
    assert engine.handle(ModifyPosition("alice", oid, T0 + 60_000, take_profit=units("200000"))).ok


def test_too_many_positions_and_stale_without_any_quote() -> None:
    engine = engine_with(max_open_positions=2)
    no_quote = OpenPosition("alice", BTC, "LONG", 10, T0, margin=units("10"))
    assert refusal(engine, no_quote)[0] == Code.PRICE_STALE
    tick(engine, BTC, "100000")
    open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("10"))
    second = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("10"))
    assert refusal(engine, no_quote)[0] == Code.TOO_MANY_POSITIONS
    fresh = engine_with()
    assert refusal(fresh, AddMargin("alice", second.order_id, 1, T0))[0] == Code.NOT_FOUND


def test_partial_close_that_leaves_nothing_is_refused() -> None:
    engine = engine_with(min_margin=1)
    tick(engine, BTC, "100000")
    tiny = open_ok(engine, asset=BTC, side="LONG", leverage=1, qty=1, margin=None)
    assert refusal(engine, ClosePosition("alice", tiny.order_id, T0, percent=50)) == (
        Code.VALIDATION_ERROR,
        "percent",
    )
