"""``velox run --db postgresql://...`` on a data directory that holds a SQLite velox.db says, in
one WARNING, that this database is ignored (there is no migration from SQLite to PostgreSQL).

Before, an operator moving a SQLite deployment to PostgreSQL (same data directory, --db
postgresql://...) got an empty database and not a word: every user, account and position
seemed gone. A real process on a fresh PostgreSQL schema.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests import pgscratch
from tests.cli.serving import run_once
from tests.conftest import require


def test_a_sqlite_database_in_the_data_dir_is_named_when_postgresql_is_used(
    tmp_path: Path,
) -> None:
    require(asyncio.run(pgscratch.reachable()), f"PostgreSQL unreachable at {pgscratch.PG_URL}")
    url, schema = asyncio.run(pgscratch.create_schema())
    try:
        data = tmp_path / "data"
        data.mkdir(mode=0o700)
        quiet = run_once(data, "--db", url)  # no velox.db there: nothing to say
        assert " WARNING " not in quiet, quiet
        (data / "velox.db").write_bytes(b"SQLite format 3\x00")
        log = run_once(data, "--db", url)
    finally:
        asyncio.run(pgscratch.drop_schema(schema))
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    assert len(warnings) == 1, log
    assert f"{data}/velox.db" in warnings[0], warnings[0]
    assert "ignores" in warnings[0] and "no migration" in warnings[0], warnings[0]
