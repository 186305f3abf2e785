"""A database whose journal has funding charges from before the ``funding`` table gets their
rows when the engine starts (once), equal to what the group commit wrote: the audit passes.

SQLite only: the backfill uses store methods whose SQL both databases share and whose
contract tests run on both (tests/store/test_store_funding.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.cli.test_audit_v2 import SETTINGS, audited, honest_journal
from velox.journal.backfill import DEPOSIT_ROWS_KEY, FUNDING_ROWS_KEY, backfill_rows
from velox.service import EngineService
from velox.store.base import Store
from velox.store.factory import open_store_for


@asynccontextmanager
async def started_once(url: str) -> AsyncIterator[Store]:
    """The store after an engine started on it and stopped (its backfill done)."""
    store = open_store_for(url)
    await store.open()
    try:
        service = EngineService(store, SETTINGS, snapshot_interval_s=3600)
        await service.start()
        await service.stop()
        yield store
    finally:
        await store.close()


async def test_the_engine_writes_the_rows_of_older_charges_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    charges = await honest_journal(url)
    assert len(charges) == 2
    with sqlite3.connect(tmp_path / "velox.db") as db:
        committed = db.execute("SELECT * FROM funding ORDER BY seq").fetchall()
        boundaries = db.execute("SELECT * FROM funding_boundaries").fetchall()
        assert len(boundaries) == 1
        # as a database written before the tables: no funding rows, no meta key
        db.execute("DELETE FROM funding")
        db.execute("DELETE FROM funding_boundaries")
        db.execute("DELETE FROM meta WHERE key = ?", (FUNDING_ROWS_KEY,))
    ok, summary = await audited(url)
    assert not ok and "missing or different in funding" in summary, summary

    async with started_once(url) as store:
        assert await store.get_meta(FUNDING_ROWS_KEY) == "1"
        assert [r.amount async for r in store.all_funding()] == [c.amount for c in charges]
        assert await backfill_rows(store) == {}  # later starts do not read the journal
    with sqlite3.connect(tmp_path / "velox.db") as db:
        assert db.execute("SELECT * FROM funding ORDER BY seq").fetchall() == committed
        assert db.execute("SELECT * FROM funding_boundaries").fetchall() == boundaries
    ok, summary = await audited(url)
    assert ok, summary


async def test_the_engine_writes_the_rows_of_older_deposits_once(tmp_path: Path) -> None:
    """As for funding: a database from before the ``deposits`` table gets its rows at start,
    the group commit's own, and the history reads them from then on."""
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    await honest_journal(url)
    with sqlite3.connect(tmp_path / "velox.db") as db:
        committed = db.execute("SELECT * FROM deposits ORDER BY seq").fetchall()
        assert len(committed) == 1  # alice's initial balance
        db.execute("DELETE FROM deposits")
        db.execute("DELETE FROM meta WHERE key = ?", (DEPOSIT_ROWS_KEY,))
    ok, summary = await audited(url)
    assert not ok and "missing or different in deposits" in summary, summary
    async with started_once(url) as store:
        assert await store.get_meta(DEPOSIT_ROWS_KEY) == "1"
    with sqlite3.connect(tmp_path / "velox.db") as db:
        assert db.execute("SELECT * FROM deposits ORDER BY seq").fetchall() == committed
    ok, summary = await audited(url)
    assert ok, summary
