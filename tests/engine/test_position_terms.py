"""A position keeps the terms of the order that opened it (SPEC 12): a filled LIMIT's type,
price, clientOrderId and placement time live on the engine's Position, survive a snapshot,
and ride on its close events; a snapshot written before them restores as MARKET."""

from __future__ import annotations

from velox.engine.commands import ClosePosition, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import PositionClosed, PositionOpened, PositionPartiallyClosed
from velox.engine.state import POSITION_FIELDS
from velox.money import units

from .helpers import T0

BTC = "BTCUSDT"
TERMS = ("order_type", "price", "client_order_id", "oco_group_id", "created_at")


def filled_limit() -> tuple[Engine, str]:
    engine = Engine()
    engine.handle(OpenAccount("alice", T0))
    engine.on_tick(PriceTick(BTC, units("100000"), T0))  # ask 100050
    placed = engine.handle(
        OpenPosition("alice", BTC, "LONG", 10, T0 + 1, margin=units("100"), order_type="LIMIT",
                     price=units("99000"), client_order_id="dip")
    )  # fmt: skip
    assert placed.ok, placed.refusal
    (event,) = engine.on_tick(PriceTick(BTC, units("98950"), T0 + 2))[-1:]
    assert isinstance(event, PositionOpened)
    return engine, event.order_id


def terms(obj: object) -> tuple[object, ...]:
    return tuple(getattr(obj, name) for name in TERMS)


def test_the_position_and_its_close_events_keep_the_orders_terms() -> None:
    engine, order_id = filled_limit()
    expected = ("LIMIT", units("99000"), "dip", None, T0 + 1)
    assert terms(engine.positions[order_id]) == expected
    restored = Engine.restore(engine.export())
    assert terms(restored.positions[order_id]) == expected
    part = engine.handle(ClosePosition("alice", order_id, T0 + 3, percent=50)).events
    whole = engine.handle(ClosePosition("alice", order_id, T0 + 4)).events
    assert [type(e) for e in (*part, *whole)] == [PositionPartiallyClosed, PositionClosed]
    assert terms(part[0]) == terms(whole[0]) == expected


def test_a_snapshot_written_before_the_terms_restores_a_market_position() -> None:
    engine, order_id = filled_limit()
    data = engine.export()
    old = list(POSITION_FIELDS[: POSITION_FIELDS.index("client_order_id") + 1])
    data["position_fields"] = old
    data["positions"] = [list(row)[: len(old)] for row in data["positions"]]
    restored = Engine.restore(data)
    assert terms(restored.positions[order_id]) == ("MARKET", None, "dip", None, None)
