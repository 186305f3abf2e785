"""A database whose journal has funding charges from before the ``funding`` table gets their
rows when the engine starts (once), equal to what the group commit wrote: the audit passes.

SQLite only: the backfill uses store methods whose SQL both databases share and whose
contract tests run on both (tests/store/test_store_funding.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from tests.cli.test_audit_v2 import SETTINGS, audited, honest_journal
from velox.journal.backfill import DEPOSIT_ROWS_KEY, FUNDING_ROWS_KEY, backfill_rows
from velox.service import EngineService
from velox.store.base import Store
from velox.store.factory import open_store_for


async def rows_written_back(
    tmp_path: Path, key: str, tables: dict[str, str], problem: str
) -> AsyncIterator[Store]:
    """As a database from before ``tables``: their rows and the meta ``key`` deleted, the
    audit reports ``problem``; an engine's start writes the same rows back, once, and the
    audit passes. Yields the store after that start (for more checks)."""
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    queries = {t: f"SELECT * FROM {t} ORDER BY {order}" for t, order in tables.items()}
    with sqlite3.connect(tmp_path / "velox.db") as db:
        committed = {t: db.execute(q).fetchall() for t, q in queries.items()}
        for table in tables:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM meta WHERE key = ?", (key,))
    ok, summary = await audited(url)
    assert not ok and problem in summary, summary
    store = open_store_for(url)
    await store.open()
    try:
        service = EngineService(store, SETTINGS, snapshot_interval_s=3600)
        await service.start()
        await service.stop()
        assert await store.get_meta(key) == "1"
        assert await backfill_rows(store) == {}  # later starts do not read the journal
        yield store
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "velox.db") as db:
        assert {t: db.execute(q).fetchall() for t, q in queries.items()} == committed
    ok, summary = await audited(url)
    assert ok, summary


async def test_the_engine_writes_the_rows_of_older_charges_once(tmp_path: Path) -> None:
    charges = await honest_journal(f"sqlite:///{tmp_path / 'velox.db'}")
    assert len(charges) == 2
    with sqlite3.connect(tmp_path / "velox.db") as db:
        assert len(db.execute("SELECT * FROM funding_boundaries").fetchall()) == 1
    tables = {"funding": "seq", "funding_boundaries": "asset, boundary"}
    problem = "missing or different in funding"
    async for store in rows_written_back(tmp_path, FUNDING_ROWS_KEY, tables, problem):
        assert [r.amount async for r in store.all_funding()] == [c.amount for c in charges]


async def test_the_engine_writes_the_rows_of_older_deposits_once(tmp_path: Path) -> None:
    """As for funding: a database from before the ``deposits`` table gets its rows at start,
    the group commit's own, and the history reads them from then on."""
    await honest_journal(f"sqlite:///{tmp_path / 'velox.db'}")
    with sqlite3.connect(tmp_path / "velox.db") as db:
        assert len(db.execute("SELECT * FROM deposits").fetchall()) == 1  # alice's balance
    problem = "missing or different in deposits"
    async for _ in rows_written_back(tmp_path, DEPOSIT_ROWS_KEY, {"deposits": "seq"}, problem):
        pass
