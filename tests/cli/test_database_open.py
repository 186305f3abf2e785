"""A database Velox cannot open at start ends in one line and status 1, for every command.

Before, PostgreSQL down or on a wrong port, a database that does not exist and a SQLite file
whose directory cannot be created each ended the start in a 47-59 line traceback
(ConnectionRefusedError, InvalidCatalogNameError, FileNotFoundError). Now: ``velox: cannot
open the database <URL less its password>: <reason>``, as for a data directory that cannot be
created. Real processes, a real PostgreSQL (and a port nobody listens on).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.pgscratch import PG_URL
from tests.ports import free_port
from tests.system.server import ROOT

COMMANDS = ["run", "audit", "engine", "gateway"]
PREFIX = "velox: cannot open the database "


def velox(command: str, db: str, data: Path) -> subprocess.CompletedProcess[str]:
    args = ["--db", db]
    if command != "audit":
        args += ["--data-dir", str(data), "--port", str(free_port()), "--feed", "sim"]
    if command in ("engine", "gateway"):
        args += ["--bus", f"nats://127.0.0.1:{free_port()}"]  # never reached: the store is first
    clean = {k: v for k, v in os.environ.items() if not k.startswith("VELOX_")}
    return subprocess.run(
        [sys.executable, "run.py", command, *args], cwd=ROOT, capture_output=True, text=True,
        timeout=60, env=clean,
    )  # fmt: skip


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The last line, after checking the exit status and that no traceback came before it."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout == ""
    return done.stderr.strip().splitlines()[-1]


def pg_on(host_port: str, database: str, password: str = "") -> str:
    """PG_URL's user on another host:port or database, with ``password`` if given."""
    parts = urlsplit(PG_URL)
    user = parts.netloc.rpartition("@")[0].partition(":")[0] or "postgres"
    secret = f":{password}" if password else ""
    return f"{parts.scheme}://{user}{secret}@{host_port}/{database}"


@pytest.mark.parametrize("command", COMMANDS)
def test_postgresql_nobody_listens_on(command: str, tmp_path: Path) -> None:
    port = free_port()
    line = refusal(velox(command, pg_on(f"127.0.0.1:{port}", "velox", "s3cret-pw"), tmp_path))
    shown = pg_on(f"127.0.0.1:{port}", "velox")  # the password left out
    assert line.startswith(f"{PREFIX}{shown}: "), line
    assert "Connect" in line or "refused" in line, line
    assert "s3cret-pw" not in line


@pytest.mark.parametrize("command", COMMANDS)
def test_a_postgresql_database_that_does_not_exist(command: str, tmp_path: Path) -> None:
    host = urlsplit(PG_URL).netloc.rpartition("@")[2]
    db = pg_on(host, "velox_no_such_database_here")
    assert refusal(velox(command, db, tmp_path)) == (
        f'{PREFIX}{db}: database "velox_no_such_database_here" does not exist'
    )


@pytest.mark.parametrize("command", ["run", "audit"])  # the roles take PostgreSQL only
def test_a_sqlite_file_whose_directory_cannot_be_created(command: str, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    db = f"sqlite:///{tmp_path}/a-file/velox.db"
    line = refusal(velox(command, db, tmp_path / "data"))
    if command == "audit":  # a reader never creates a database: there is none to read
        assert line == f"velox: no Velox database at {tmp_path}/a-file/velox.db", line
    else:
        assert line.startswith(f"{PREFIX}{db}: [Errno 17] File exists: "), line
