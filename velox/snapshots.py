"""When and how the engine's state is saved: a copy-on-write export begun right after a
commit (the only moment the engine equals the durable state at that sequence), its rows
taken ``EXPORT_CHUNK`` at a time between later batches so a large state never stalls the
loop (100k positions at once took ~100 ms), then serialized and written off the engine's
task. The EngineService drives it; nothing here decides anything about money."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from velox import codec
from velox.engine.engine import Engine
from velox.engine.snapshot import StateExport
from velox.store.base import Store
from velox.store.records import SnapshotRecord

log = logging.getLogger(__name__)
EXPORT_CHUNK = 5_000  # rows taken between two batches (~2 ms)


class Snapshots:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], int],
        interval_s: float,
        keep: int,
        prune_journal: bool,
    ) -> None:
        self.store = store
        self.clock = clock
        self.interval_ms = int(interval_s * 1000)
        self.keep = keep
        self.prune_journal = prune_journal
        self.saved_seq = 0  # the newest sequence a saved snapshot covers
        self.last_ms = 0
        self.export: StateExport | None = None
        self.export_seq = 0
        self.saving: asyncio.Task[None] | None = None
        # Held while a snapshot is written and the journal pruned, and while a recovery
        # rebuilds the engine: a prune during that replay would delete rows it still needs.
        self.lock = asyncio.Lock()

    def due(self) -> bool:
        return self.clock() - self.last_ms >= self.interval_ms

    def begin(self, engine: Engine, seq: int) -> None:
        """Start exporting the state ``engine`` holds now, which covers ``seq``."""
        self.last_ms = self.clock()
        if seq != self.saved_seq:
            self.export, self.export_seq = engine.begin_export(), seq

    def step(self, engine: Engine) -> None:
        export = self.export
        assert export is not None
        if export.step(EXPORT_CHUNK):
            engine.end_export()
            self.export = None
            # No gc.freeze() here (start-up freezes once, velox/cli.py): it also froze the
            # garbage no collection had reached yet (closed sockets' cycles), for good.
            self.saving = asyncio.create_task(
                self.save(self.export_seq, export.result()), name="snapshot-save"
            )

    def drop(self, engine: Engine) -> None:
        """Abandon an export in progress (the engine is being replaced or stopped)."""
        if self.export is not None:
            engine.end_export()
            self.export = None

    async def wait_saved(self) -> None:
        if self.saving is not None:
            await self.saving

    async def save(self, seq: int, data: dict[str, Any]) -> None:
        """Serialize (in a thread), write, prune; a failure is logged and retried later.

        A write the store refuses (a full disk) is one line, not a traceback: it recurs every
        interval while the journal is down, which ``/healthz`` and the journal's own log line
        already report. A failure to serialize is a bug and keeps its traceback."""
        if seq == self.saved_seq:
            return
        try:
            payload = await asyncio.to_thread(codec.dumps, data)
        except Exception:
            self.last_ms = self.clock()
            log.exception("snapshot failed; will retry at the next interval")
            return
        try:
            async with self.lock:
                await self.store.save_snapshot(SnapshotRecord(seq, self.clock(), payload))
                self.saved_seq = max(self.saved_seq, seq)
                await self.store.prune(self.keep, self.prune_journal)
        except Exception as exc:
            if self.saved_seq < seq:
                log.error("snapshot not written (%s); will retry at the next interval", exc)
            else:  # the snapshot is safe; what it covers goes after the next one
                log.error("pruning failed (%s); will retry after the next snapshot", exc)
        finally:
            self.last_ms = self.clock()
