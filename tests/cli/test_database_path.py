"""``sqlite:///var/lib/velox/velox.db`` is relative to the working directory (an absolute path
takes four slashes, as in SQLAlchemy): the start-up log names the database's absolute path,
so the mistake shows, and a PostgreSQL URL's password never appears."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.server import ROOT
from velox.store.factory import describe_database


def test_the_database_is_described_by_its_resolved_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert describe_database("sqlite:///var/lib/velox/velox.db") == (
        f"SQLite {tmp_path.resolve()}/var/lib/velox/velox.db"
    )
    assert describe_database("sqlite:////var/lib/velox/velox.db") == (
        "SQLite /var/lib/velox/velox.db"
    )


def test_a_postgresql_password_is_never_shown() -> None:
    shown = describe_database("postgresql://velox:s3cret@db.example:5433/velox?sslmode=require")
    assert shown == "PostgreSQL velox@db.example:5433/velox"
    assert describe_database("postgres://db/velox") == "PostgreSQL db/velox"
    # a primary and a standby, as asyncpg takes them (urlsplit's port raised: no start)
    shown = describe_database("postgresql://velox:pw@h1:5432,h2:5432/velox?password=x")
    assert shown == "PostgreSQL velox@h1:5432,h2:5432/velox"
    assert describe_database("postgresql:///velox?host=/run/pg") == "PostgreSQL localhost/velox"


def test_the_start_up_log_names_the_database_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "run", "--db", "sqlite:///var/velox.db",
         "--data-dir", str(tmp_path / "data"), "--port", "0", "--feed", "sim",
         "--history-candles", "0", "--bcrypt-rounds", "4"],
        cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "data directory" in line:
                break
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert line.rstrip().endswith(f", database SQLite {tmp_path.resolve()}/var/velox.db"), line
