"""``velox.store.unavailable`` tells the drivers' outage errors from bugs, on real errors.

Each error below is raised by the real driver: a PostgreSQL port nobody listens on, a
database that does not exist, a SQLite database opened read-only, a server that accepts TCP
and never answers, a command that outlasts its timeout; and, as bugs, SQL that is wrong on
either driver and an ENOSPC or a timeout that never went through the store.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.pgscratch import PG_URL
from tests.ports import free_port
from velox.store.unavailable import unavailable


async def raised(url: str, sql: str = "SELECT 1") -> BaseException:
    try:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
    except Exception as exc:
        return exc
    raise AssertionError("no error")


async def test_postgresql_outages_are_unavailable_and_bad_sql_is_not() -> None:
    base = PG_URL.rsplit("/", 1)[0]
    assert unavailable(await raised(f"postgresql://postgres@127.0.0.1:{free_port()}/x"))
    assert unavailable(await raised(f"{base}/velox_no_such_database_here"))
    read_only = "SET TRANSACTION READ ONLY; CREATE TEMP TABLE t (x int)"
    assert unavailable(await raised(PG_URL, f"BEGIN; {read_only}"))
    assert not unavailable(await raised(PG_URL, "SELECT * FROM velox_no_such_table"))
    assert not unavailable(await raised(PG_URL, "SELEC 1"))


def test_sqlite_that_cannot_write_is_unavailable_and_bad_sql_is_not(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as written:
        read_only.execute("INSERT INTO t VALUES (1)")
    assert unavailable(written.value)
    with pytest.raises(sqlite3.OperationalError) as missing:
        read_only.execute("SELECT * FROM nowhere")
    assert not unavailable(missing.value)
    with pytest.raises(sqlite3.OperationalError) as cannot_open:
        sqlite3.connect(tmp_path / "no" / "such" / "dir.db")
    assert unavailable(cannot_open.value)


def test_an_os_error_outside_the_store_is_a_bug() -> None:
    assert not unavailable(OSError(28, "No space left on device"))
    assert not unavailable(ConnectionRefusedError(111, "refused"))
    assert not unavailable(TimeoutError())


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts TCP and never answers: a hung PostgreSQL, a half-open partition,
    a stuck proxy. Connections are held open until the test ends."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for writer in held:
            writer.close()
        await server.wait_closed()


async def test_a_postgresql_that_never_answers_is_unavailable(silent_port: int) -> None:
    """asyncpg ends a connect or a command that gets no answer with a ``TimeoutError``: an
    ``OSError`` with no errno on Python 3.11, not a ``ConnectionError``; it was a 500."""
    with pytest.raises(TimeoutError) as connecting:
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{silent_port}/x", timeout=0.5)
    assert unavailable(connecting.value)
    conn = await asyncpg.connect(PG_URL, timeout=10, command_timeout=0.2)
    try:
        with pytest.raises(TimeoutError) as waiting:
            await conn.execute("SELECT pg_sleep(30)")
    finally:
        conn.terminate()
    assert unavailable(waiting.value)
    assert not unavailable(ValueError("a bug"))
