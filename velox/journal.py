"""Reading and writing the journal's contents: rebuilding the engine from the newest
snapshot and the events after it (start-up, recovery, audit), and what a commit writes."""

from __future__ import annotations

from velox import codec
from velox.engine.engine import Engine
from velox.engine.events import Deposited, Event, MarksMoved, PositionClosed
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


def coalesce_marks(events: list[Event]) -> list[Event]:
    """Within one commit, fold the trailing-mark events that can be folded exactly.

    Two ``MarksMoved`` of one asset with nothing between them that adds or re-marks a
    position of that asset fold into one with the higher bid and the lower ask:
    ``max(max(m, b1), b2) == max(m, max(b1, b2))`` (and min for SHORT marks). Closes between
    them do not stop the fold (a closed position has no mark to keep). A run of rising
    ticks on a held asset therefore writes one event per commit. (The engine no longer
    emits the per-position ``TrailingStopMoved`` of old journals.)
    """
    out: list[Event] = []
    pending: dict[str, int] = {}  # asset -> index in ``out`` of its foldable MarksMoved
    for event in events:
        if isinstance(event, MarksMoved):
            at = pending.get(event.asset)
            if at is not None:
                before = out[at]
                assert isinstance(before, MarksMoved)
                out[at] = MarksMoved(
                    event.asset,
                    max(before.bid, event.bid),
                    min(before.ask, event.ask),
                    event.ts,
                )
                continue
            pending[event.asset] = len(out)
        elif not isinstance(event, PositionClosed | Deposited):
            # Opens, stop changes, margin and partial closes may add or re-mark a position:
            # a later mark event must not be folded into one before them.
            asset = getattr(event, "asset", None)
            if asset is None:
                pending.clear()
            else:
                pending.pop(asset, None)
        out.append(event)
    return out
