"""The four SPEC rules an outside audit broke in a copy of the code without any test noticing.

Each test is named after its rule and states what a trader sees, as exact numbers worked out
by hand from SPEC.md (checked with tests/engine/oracle.py, which shares no code with the
engine). Each was seen failing with its bug planted in the engine:

- partial close rounding the margin up instead of ``floor(margin * p / 100)``;
- a LONG's liquidation price not clamped to 0;
- a SHORT checking liquidation before its stop-loss / trailing stop;
- the stale boundary ``now - ts > max_price_age`` turned into ``>=``.
"""

from __future__ import annotations

from tests.engine.helpers import T0, engine_with, open_ok, tick
from velox.engine.commands import AddMargin, ClosePosition, OpenPosition
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import MarginAdded, PositionClosed, PositionPartiallyClosed
from velox.money import units

BTC = "BTCUSDT"


def test_partial_close_takes_the_floor_of_the_margin_share() -> None:
    """SPEC 3: the closed part is floor(margin * p / 100) of the margin; the rest keeps the
    odd unit. 50 % of 10.00000001 USD closes 5.00000000 and leaves 5.00000001."""
    engine = engine_with()
    tick(engine, BTC, "100000")  # bid 99950, ask 100050
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("10.00000001"))
    assert opened.qty == units("0.0009995")
    out = engine.handle(ClosePosition("alice", opened.order_id, T0 + 1, percent=50))
    (part,) = [e for e in out.events if isinstance(e, PositionPartiallyClosed)]
    assert part.part_margin == units("5.00000000")
    assert part.part_qty == units("0.00049975")
    # sold at the bid: (99950 - 100050) * 0.00049975 = -0.049975; 5 - 0.049975 paid back
    assert part.close_price == units("99950")
    assert part.pnl == units("-0.049975")
    assert part.settlement == units("4.950025")
    rest = engine.positions[opened.order_id]
    assert rest.margin == units("5.00000001")
    assert rest.qty == units("0.00049975")
    # 100050 - 5.00000001 * 0.9 / 0.00049975, rounded up
    assert rest.liquidation_price == units("91045.49773087")
    assert engine.account_of("alice", None).balance == units("994.95002499")
    assert engine.account_of("alice", None).used_margin == units("5.00000001")


def test_long_liquidation_price_below_zero_shows_zero() -> None:
    """SPEC 4: a LONG whose formula goes below zero shows 0 (it cannot be liquidated).
    1x LONG of 100 USD at 100050, plus 100 USD: 100050 - 200 * 0.9 / 0.0009995 < 0."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=1, margin=units("100"))
    assert opened.liquidation_price == units("10004.97748875")
    out = engine.handle(AddMargin("alice", opened.order_id, units("100"), T0 + 1))
    (added,) = out.events
    assert isinstance(added, MarginAdded)
    assert added.liquidation_price == 0
    assert engine.positions[opened.order_id].liquidation_price == 0
    # it cannot be liquidated: the lowest quotable bid (ref 0.00000002, bid 1 unit) keeps it
    assert tick(engine, BTC, "0.00000002", T0 + 2) == []
    assert opened.order_id in engine.positions


def short_10x(**stops: int) -> tuple[Engine, str]:
    """SHORT 10x of 100 USD at the bid 99950: qty 0.010005, liquidation 108945.50224887."""
    engine = engine_with()
    tick(engine, BTC, "100000")
    opened = open_ok(engine, asset=BTC, side="SHORT", leverage=10, margin=units("100"), **stops)
    assert opened.liquidation_price == units("108945.50224887")
    return engine, opened.order_id


def gap_closes(engine: Engine, order_id: str) -> PositionClosed:
    """A gap to ref 109500 (ask 109554.75): past the liquidation price and every stop."""
    events = tick(engine, BTC, "109500", T0 + 1)
    (closed,) = [e for e in events if isinstance(e, PositionClosed)]
    assert closed.order_id == order_id
    assert closed.close_price == units("109554.75")  # a SHORT buys back at the ask
    assert closed.pnl == units("-96.09552375")
    assert closed.settlement == units("3.90447625")
    assert engine.account_of("alice", None).balance == units("903.90447625")
    return closed


def test_short_stop_loss_before_liquidation_on_a_gap() -> None:
    """SPEC 4: when several hold on one tick, STOP_LOSS before LIQUIDATION (SHORT side)."""
    engine, oid = short_10x(stop_loss=units("109000"))
    assert gap_closes(engine, oid).reason == "STOP_LOSS"


def test_short_trailing_stop_before_liquidation_on_a_gap() -> None:
    """SPEC 4: TRAILING_STOP before LIQUIDATION (SHORT: lowest ask 100050 + 9100)."""
    engine, oid = short_10x(trailing_stop=units("9100"))
    assert gap_closes(engine, oid).reason == "TRAILING_STOP"


def test_short_liquidation_before_take_profit_and_alone() -> None:
    """Without stops the same gap is a LIQUIDATION (the precedence tests above are live)."""
    engine, oid = short_10x(take_profit=units("90000"))
    assert gap_closes(engine, oid).reason == "LIQUIDATION"


def test_price_exactly_max_age_old_is_fresh_one_ms_older_is_stale() -> None:
    """SPEC 2: a price OLDER than --max-price-age is stale: at exactly 10 s it still trades
    (open, partial close, close), one millisecond later all three are 503 PRICE_STALE."""
    engine = engine_with()
    tick(engine, BTC, "100000", T0)
    edge, late = T0 + 10_000, T0 + 10_001
    opened = open_ok(engine, asset=BTC, side="LONG", leverage=10, margin=units("100"), ts=edge)
    assert opened.open_price == units("100050")
    before = engine.export()
    for command in (
        OpenPosition("alice", BTC, "LONG", 10, late, margin=units("100")),
        ClosePosition("alice", opened.order_id, late, percent=50),
        ClosePosition("alice", opened.order_id, late),
    ):
        out = engine.handle(command)
        assert out.refusal is not None and out.refusal.code == Code.PRICE_STALE, command
        assert out.events == ()
    assert engine.export() == before
    part = engine.handle(ClosePosition("alice", opened.order_id, edge, percent=50))
    assert part.refusal is None
    whole = engine.handle(ClosePosition("alice", opened.order_id, edge))
    (closed,) = whole.events
    assert isinstance(closed, PositionClosed) and closed.reason == "MANUAL"
    assert engine.positions == {}
