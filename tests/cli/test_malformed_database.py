"""A SQLite database that is damaged past its first page ends ``velox run`` and ``velox audit``
in the one line README promises, ``velox: cannot open the database <URL>: <reason>``.

Before, a velox.db restored over a data directory whose stale ``velox.db-wal`` SQLite then
replayed into it opened fine (its first page intact), and the first read of the journal
raised ``sqlite3.DatabaseError: database disk image is malformed``: a 66-line traceback from
the journal replay at start, a 46-line one from the audit. Real processes on a database
whose journal table's root page is overwritten, as a stale WAL frame would.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.ports import free_port
from tests.system.server import ROOT
from velox.store.sqlite import SqliteStore

PAGE = 4096


def damaged_database(path: Path) -> None:
    """A Velox database with 2,000 journal rows whose journal table's root page is garbage."""
    asyncio.run(_create(path))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO journal (seq, ts, type, payload) VALUES (?, ?, ?, ?)",
            [(seq, 1, "x", b"p" * 400) for seq in range(1, 2001)],
        )
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'journal'").fetchone()
    assert size == PAGE
    with path.open("r+b") as file:
        file.seek((root[0] - 1) * PAGE)
        file.write(b"\xa5" * PAGE)


async def _create(path: Path) -> None:
    store = SqliteStore(path)
    await store.open()
    await store.close()


def velox(*args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    return subprocess.run(
        [sys.executable, "run.py", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=clean,
    )  # fmt: skip


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_run_on_a_malformed_database_says_so_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    damaged_database(data / "velox.db")
    done = velox("run", "--data-dir", str(data), "--port", str(free_port()), "--feed", "sim")
    assert refusal(done) == (
        f"velox: cannot open the database sqlite:///{data}/velox.db: "
        "database disk image is malformed"
    )
    assert done.stdout == ""


def test_audit_of_a_malformed_database_says_so_in_one_line(tmp_path: Path) -> None:
    damaged_database(tmp_path / "velox.db")
    done = velox("audit", "--db", f"sqlite:///{tmp_path}/velox.db")
    assert refusal(done) == (
        f"velox: cannot open the database sqlite:///{tmp_path}/velox.db: "
        "database disk image is malformed"
    )
