"""Rebuilding the engine from the newest snapshot and the journal events after it (start-up,
recovery), checking that the events continue the snapshot."""

from __future__ import annotations

from velox import codec
from velox.engine.engine import Engine
from velox.engine.settings import EngineSettings
from velox.store.base import Store, StoreOpenError


class JournalGap(StoreOpenError):
    """The journal does not continue the snapshot it is replayed from.

    Replaying past a gap would silently drop every event in it (money, positions): the
    engine must not start on such a state. A ``StoreOpenError`` so that ``velox run`` says
    why and exits with status 1.
    """


async def load_engine(store: Store, settings: EngineSettings) -> tuple[Engine, int]:
    """Newest snapshot plus every journal event after it: the durable state and its seq.

    Checks that the events continue the snapshot one sequence at a time, and that no newer
    snapshot appeared meanwhile (a save and prune during the read would delete rows this
    replay still needed): either raises ``JournalGap``.
    """
    snapshot = await store.latest_snapshot()
    if snapshot is None:
        engine, seq = Engine(settings), 0
    else:
        engine = Engine.restore(codec.loads(snapshot.payload), settings)
        seq = snapshot.seq
    start = seq
    async for record in store.read_journal(seq):
        if record.seq != seq + 1:
            raise JournalGap(
                f"the journal does not continue the snapshot at seq {start}: after seq {seq} "
                f"it goes on at seq {record.seq} (events {seq + 1}..{record.seq - 1} missing)"
            )
        engine.apply(codec.decode_event(record.type, record.payload))
        seq = record.seq
    newest = await store.latest_snapshot()
    if newest is not None and newest.seq > seq:
        raise JournalGap(
            f"a snapshot at seq {newest.seq} appeared while replaying from seq {start} to "
            f"{seq}: the journal was pruned during the replay"
        )
    return engine, seq
