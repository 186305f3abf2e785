"""Garbage that exists when a snapshot export ends is still collected afterwards.

An outside soak found memory growing about 10 KB per closed websocket, without end (68 MB to
107 MB over 3,600 sockets; 71 to 156 MB in 16 minutes of a steady mix): every finished export
called ``gc.freeze()``, which moved everything then alive to the permanent generation, the
closed sockets' reference cycles that no collection had reached yet included, where nothing
collects them. The export no longer freezes (start-up still does, once)."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.engine.test_orders_v2 import engine_at
from velox.snapshots import Snapshots
from velox.store.sqlite import SqliteStore


class Closed:
    """A closed connection's objects: a reference cycle only the collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # what a failing run froze must not stay frozen for later tests


async def test_a_cycle_dropped_before_an_export_ends_is_collected(
    tmp_path: Path, unfrozen: None
) -> None:
    store = SqliteStore(tmp_path / "velox.db")
    await store.open()
    try:
        engine = engine_at()
        snapshots = Snapshots(store, lambda: 0, interval_s=1, keep=1, prune_journal=False)
        gc.disable()  # as a raised threshold does: nothing collects it before the export ends
        try:
            closed = Closed()
            gone = weakref.ref(closed)
            del closed
            snapshots.begin(engine, 1)
            while snapshots.export is not None:
                snapshots.step(engine)
        finally:
            gc.enable()
        await snapshots.wait_saved()
        gc.collect()
        assert gone() is None, "the export froze a dead cycle out of every collection"
        assert gc.get_freeze_count() == 0
    finally:
        await asyncio.sleep(0)
        await store.close()
