"""A SQLite store that fails to open (velox.db is a directory) leaves no aiosqlite thread behind.

Before, ``aiosqlite.connect`` that failed only queued its worker thread's stop: the thread
ended later, and when the event loop had closed by then (``velox run`` exits at once after
its one-line refusal) it died with ``RuntimeError: Event loop is closed`` tracebacks after
that line (2 runs in 3 for the reviewer). Now the open waits for the thread to end.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from velox.store.base import StoreOpenError
from velox.store.opening import open_or_explain
from velox.store.sqlite import SqliteStore


def aiosqlite_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]


async def test_no_aiosqlite_thread_outlives_a_failed_open(tmp_path: Path) -> None:
    path = tmp_path / "velox.db"
    path.mkdir()
    before = set(aiosqlite_threads())
    for _ in range(20):
        with pytest.raises(StoreOpenError, match="cannot open the database"):
            await open_or_explain(SqliteStore(path), f"sqlite:///{path}")
        assert set(aiosqlite_threads()) <= before
