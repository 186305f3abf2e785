"""Reading and writing the journal's contents: rebuilding the engine from the newest
snapshot and the events after it (start-up, recovery, audit), and what a commit writes."""

from __future__ import annotations

from velox import codec
from velox.engine.engine import Engine
from velox.engine.events import Event, TrailingStopMoved
from velox.engine.settings import EngineSettings
from velox.store.base import Store


async def load_engine(store: Store, settings: EngineSettings) -> tuple[Engine, int]:
    """Newest snapshot plus every journal event after it: the durable state and its seq."""
    snapshot = await store.latest_snapshot()
    if snapshot is None:
        engine, seq = Engine(settings), 0
    else:
        engine = Engine.restore(codec.loads(snapshot.payload), settings)
        seq = snapshot.seq
    async for record in store.read_journal(seq):
        engine.apply(codec.decode_event(record.type, record.payload))
        seq = record.seq
    return engine, seq


def coalesce_marks(events: list[Event]) -> list[Event]:
    """Within one commit only the last trailing mark of each position needs writing."""
    last: dict[str, int] = {}
    for i, event in enumerate(events):
        if isinstance(event, TrailingStopMoved):
            last[event.order_id] = i
    if not last:
        return events
    return [
        e
        for i, e in enumerate(events)
        if not isinstance(e, TrailingStopMoved) or last[e.order_id] == i
    ]
