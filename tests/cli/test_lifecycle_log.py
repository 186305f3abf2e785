"""The log speaks at the moments an operator looks for: a SIGTERM's shutdown (begin, the
engine's final snapshot with its journal number, end), each schema upgrade, and, at
``--log-level DEBUG``, one access line per HTTP request without its query string (tokens
travel there) or any header."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli.serving import LISTEN_KEY_SECRET, run_once


def messages(log: str, logger: str) -> list[str]:
    marker = f" {logger}: "
    return [line.split(marker, 1)[1] for line in log.splitlines() if marker in line]


def test_shutdown_requests_and_schema_upgrades_are_logged(tmp_path: Path) -> None:
    data = tmp_path / "data"
    log = run_once(data, request=True)
    assert messages(log, "velox.store.schema") == ["database created at schema version 6"]
    access = messages(log, "DEBUG velox.access")
    assert [a.rsplit(" ", 3)[0] for a in access] == [
        "GET /api/v1/assets", "GET /nowhere", "GET /ws/<listenKey>", "GET /private/ws/<listenKey>"
    ]  # fmt: skip
    assert all(a.endswith(" ms") for a in access)
    assert "QUERYSECRET" not in log and "HEADERSECRET" not in log
    assert LISTEN_KEY_SECRET not in log  # a listen key opens the user's stream for 60 min
    assert messages(log, "INFO velox")[-1] == "Velox stopped"
    assert "Velox stopping: closing connections, then the engine" in messages(log, "INFO velox")
    service = messages(log, "INFO velox.service")
    assert service[-2:] == [
        "engine stopping: finishing the queued commands, then a final snapshot",
        "engine stopped; final snapshot at journal 0",
    ]

    with sqlite3.connect(data / "velox.db") as db:  # as a schema-3 Velox left it
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    db.close()
    log = run_once(data)
    assert messages(log, "velox.store.schema") == ["database schema upgraded from version 3 to 6"]
    assert messages(log, "INFO velox.service")[-1] == "engine stopped; final snapshot at journal 0"
    log = run_once(data)
    assert messages(log, "velox.store.schema") == []  # no change, no line
