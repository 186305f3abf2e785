"""Runtime tuning of `velox run`: uvloop when installed, and no freezing of objects after a
snapshot (it froze closed websockets' garbage for good: tests/service/test_snapshot_garbage.py)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from velox.cli import event_loop
from velox.engine.commands import OpenAccount
from velox.engine.settings import EngineSettings
from velox.service import EngineService
from velox.store.factory import open_store_for

NOW = 1_700_000_000_000


def test_velox_run_uses_uvloop_when_installed() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


async def test_a_finished_snapshot_export_freezes_nothing(tmp_path: Path) -> None:
    store = open_store_for(f"sqlite:///{tmp_path / 'velox.db'}")
    await store.open()
    now = [NOW]
    service = EngineService(store, EngineSettings(), clock=lambda: now[0], snapshot_interval_s=1)
    await service.start()
    gc.unfreeze()
    try:
        await service.submit(OpenAccount("alice", now[0]))
        now[0] += 2_000  # the next commit begins a snapshot, exported between batches
        await service.submit(OpenAccount("bob", now[0]))
        await service.read(lambda e: None)  # the export (one small step) is done by now
        await service.snapshots.wait_saved()
        assert [s.seq for s in await store.snapshots()] == [4]  # two events per account
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        await service.stop()
        await store.close()
