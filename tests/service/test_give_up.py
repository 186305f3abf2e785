"""``EngineService.give_up`` while the journal replays (another engine on the bus prefix
heard then): the engine must never become READY, take a command or write a row.

``start()`` used to set READY after the replay whatever had happened meanwhile, undoing the
SHUTDOWN ``give_up`` had set, and journal a funding-interval command: the engine that had
been told to stop served, until the process's exit caught up with it."""

from __future__ import annotations

from typing import Any

import pytest

from velox.engine.commands import OpenAccount
from velox.engine.settings import EngineSettings
from velox.service import EngineNotReady, EngineService, EngineState
from velox.store.base import Store
from velox.store.records import SnapshotRecord

WHY = "another velox engine answers on bus prefix 'velox' (host h pid 1 instance i)"


class RivalHeardDuringReplay:
    """A real store; while the replay reads the latest snapshot, the engine is told to
    give up (as ``Presence`` would on hearing a rival then)."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.service: EngineService | None = None

    async def latest_snapshot(self) -> SnapshotRecord | None:
        assert self.service is not None
        self.service.give_up(WHY)
        return await self.inner.latest_snapshot()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_an_engine_told_to_give_up_while_replaying_never_serves(store: Store) -> None:
    first = EngineService(store, EngineSettings(), clock_interval_s=0.01)
    await first.start()
    await first.submit(OpenAccount("alice", 1))
    await first.stop()
    journalled = await store.last_seq()

    rival_heard = RivalHeardDuringReplay(store)
    service = EngineService(rival_heard, EngineSettings(), clock_interval_s=0.01)
    rival_heard.service = service
    await service.start()
    try:
        assert service.state is EngineState.SHUTDOWN
        assert service.failed.is_set() and service.failure == WHY
        assert service.seq == journalled  # the replay ran to the end
        with pytest.raises(EngineNotReady):
            await service.submit(OpenAccount("bob", 2))
    finally:
        await service.stop()
    assert await store.last_seq() == journalled  # nothing written: no funding interval either
