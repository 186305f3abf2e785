"""Rebuilding the engine from the newest snapshot and the journal events after it (start-up,
recovery), checking that the events continue the snapshot.

A snapshot written by an older Velox lacks fields added since (``snapshot_format``): restored,
they take defaults a replay of the journal would not give (a LIMIT position shown as MARKET
with no price, no funding boundary refs). While the journal still holds every event from
seq 1 it is rebuilt from that instead, once: the snapshots written from then on are whole.
With a pruned journal the old snapshot is the only base; ``Loaded.old_base`` says so, and
the service records it for ``velox audit`` (``OLD_BASE_KEY``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from velox.engine.engine import Engine
from velox.engine.settings import EngineSettings
from velox.engine.snapshot_format import SnapshotFormat
from velox.journal.reading import event_of, restore, snapshot_data
from velox.store.base import Store, StoreOpenError

log = logging.getLogger(__name__)

# meta key: "<seq>:<field>,<field>..." of the older snapshot the engine had to start from
OLD_BASE_KEY = "old_snapshot_base"


class JournalGap(StoreOpenError):
    """The journal does not continue the snapshot it is replayed from.

    Replaying past a gap would silently drop every event in it (money, positions): the
    engine must not start on such a state. A ``StoreOpenError`` so that ``velox run`` says
    why and exits with status 1.
    """


@dataclass(frozen=True, slots=True)
class OldBase:
    """The snapshot an engine started from was written by an older Velox: what it lacked."""

    seq: int
    missing: tuple[str, ...]

    def encode(self) -> str:
        return f"{self.seq}:{','.join(self.missing)}"

    @classmethod
    def decode(cls, value: str) -> OldBase:
        seq, _, missing = value.partition(":")
        return cls(int(seq), tuple(missing.split(",")) if missing else ())


@dataclass(frozen=True, slots=True)
class Loaded:
    engine: Engine
    seq: int
    old_base: OldBase | None = None  # started from an older snapshot (pruned journal)
    # the newest snapshot is of an older format (rebuilt past it, or ``old_base``): the
    # writer saves one of this format even at the same seq, else an idle database would
    # be rebuilt from the whole journal at every start
    older_snapshot: bool = False


async def load_engine(store: Store, settings: EngineSettings) -> tuple[Engine, int]:
    """``load``'s engine and seq."""
    loaded = await load(store, settings)
    return loaded.engine, loaded.seq


async def journal_is_whole(store: Store) -> bool:
    """Whether the journal still begins at seq 1 (never pruned, and not empty)."""
    async for record in store.read_journal(0, batch=1):
        return record.seq == 1
    return False


async def load(store: Store, settings: EngineSettings, *, rebuild: bool = True) -> Loaded:
    """Newest snapshot plus every journal event after it: the durable state and its seq;
    the whole journal instead when that snapshot is of an older format (``rebuild``).

    Checks that the events continue the snapshot one sequence at a time, and that no newer
    snapshot appeared meanwhile (a save and prune during the read would delete rows this
    replay still needed): either raises ``JournalGap``; a row or the snapshot that does not
    decode raises ``UnreadableRow``.
    """
    snapshot = await store.latest_snapshot()
    if snapshot is None:
        return await _replay(store, Engine(settings), 0)
    data = snapshot_data(snapshot)
    missing = tuple(SnapshotFormat.of(data).missing())
    if not missing:
        return await _replay(store, restore(snapshot, data, settings), snapshot.seq)
    if rebuild and await journal_is_whole(store):
        log.info(
            "the snapshot at seq %d was written by an older Velox (it lacks %s): the engine "
            "is rebuilt from the whole journal instead", snapshot.seq, ", ".join(missing),
        )  # fmt: skip
        try:
            rebuilt = await _replay(store, Engine(settings), 0)
        except JournalGap:  # pruned meanwhile (a reader beside the writer): the snapshot
            return await load(store, settings, rebuild=False)
        return Loaded(rebuilt.engine, rebuilt.seq, older_snapshot=True)
    if rebuild:  # the writer's start (a replay beside it says nothing)
        log.info(
            "the snapshot at seq %d was written by an older Velox (it lacks %s) and the "
            "journal before it is pruned: the engine starts from it, those at their defaults "
            "(velox audit names them; README: Upgrading)", snapshot.seq, ", ".join(missing),
        )  # fmt: skip
    loaded = await _replay(store, restore(snapshot, data, settings), snapshot.seq)
    return Loaded(loaded.engine, loaded.seq, OldBase(snapshot.seq, missing), older_snapshot=True)


async def _replay(store: Store, engine: Engine, start: int) -> Loaded:
    seq = start
    async for record in store.read_journal(seq):
        if record.seq != seq + 1:
            raise JournalGap(
                f"the journal does not continue the snapshot at seq {start}: after seq {seq} "
                f"it goes on at seq {record.seq} (events {seq + 1}..{record.seq - 1} missing)"
            )
        engine.apply(event_of(record))
        seq = record.seq
    newest = await store.latest_snapshot()
    if newest is not None and newest.seq > seq:
        raise JournalGap(
            f"a snapshot at seq {newest.seq} appeared while replaying from seq {start} to "
            f"{seq}: the journal was pruned during the replay"
        )
    return Loaded(engine, seq)
