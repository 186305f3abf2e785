"""A NETTING market order that only reduces a position (no id of its own) must still be safe
to retry by its clientOrderId (SPEC 12): the repeat creates nothing and answers the position
it acted on, like any other repeated clientOrderId. Found by the polish review: a retry of a
dropped connection reduced the position a second time."""

from __future__ import annotations

import pytest

from tests.engine.test_orders_v2 import engine_at, netting, ok, order
from velox.engine.engine import Engine
from velox.money import units


def _reduce_twice(engine: Engine, acc: str, margin: str, cap: bool) -> tuple[str, object]:
    (opened, *_) = ok(engine, order(account_id=acc, margin=units("100")))
    position = opened.order_id
    reduce = order(
        account_id=acc, side="SHORT", margin=units(margin), client_order_id="r-1", reduce_only=cap
    )
    first = engine.handle(reduce)
    assert first.ok and first.existing is None
    before = engine.export()
    again = engine.handle(reduce)
    assert again.ok
    assert not again.events  # nothing executed a second time
    assert engine.export() == before
    return position, again.existing


# a partial reduce; a whole close (reduceOnly caps the larger SHORT at the position's qty)
@pytest.mark.parametrize(("margin", "cap"), [("40", False), ("100", True)])
def test_a_repeated_reduce_answers_the_position_it_acted_on(margin: str, cap: bool) -> None:
    engine = engine_at()
    acc = netting(engine)
    position, existing = _reduce_twice(engine, acc, margin, cap)
    assert existing == position


def test_a_reduce_retry_survives_a_replay() -> None:
    engine = engine_at()
    acc = netting(engine)
    events = []
    (opened, *_) = ok(engine, order(account_id=acc, margin=units("100")))
    events.append(opened)
    reduce = order(account_id=acc, side="SHORT", margin=units("40"), client_order_id="r-2")
    events.extend(engine.handle(reduce).events)
    replayed = engine_at()
    netting(replayed)
    for event in events:
        replayed.apply(event)
    assert replayed.handle(reduce).existing == opened.order_id
