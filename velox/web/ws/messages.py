"""The owner's order messages for one event (SPEC sections 8 and 12), rendered from the engine
as the batch that produced the event left it."""

from __future__ import annotations

from typing import Any

from velox.engine.engine import Engine
from velox.engine.events import (
    Event,
    MarginAdded,
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
)
from velox.engine.state import position_opened_by
from velox.orders import closed_record_of
from velox.web import render, render_v2

_UPDATED = (PositionPartiallyClosed, MarginAdded, StopsModified)


def order_messages(engine: Engine, event: Event) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if isinstance(event, PositionOpened):
        opened = engine.positions.get(event.order_id) or position_opened_by(event)
        messages.append({"type": "order_opened", "data": render.open_order_in(engine, opened)})
    record = closed_record_of(event)
    if record is not None:
        assert isinstance(event, PositionClosed | PositionPartiallyClosed)
        closed = {**render.closed_order(record), **render_v2.closed_terms(event)}
        messages.append({"type": "order_closed", "data": closed})
    if isinstance(event, _UPDATED):
        pos = engine.positions.get(event.order_id)
        if pos is not None:
            messages.append({"type": "order_updated", "data": render.open_order_in(engine, pos)})
    messages.extend(render_v2.ws_messages(engine, event, render.open_order_in))  # SPEC 12
    return messages
