"""Opening, re-opening, the schema file and the URL factory."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
from importlib import resources
from pathlib import Path

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped
import pytest

from tests.store.helpers import BIG, closed_order
from velox.store.base import DatabaseNotFound, WriterLockHeld
from velox.store.factory import open_store_for
from velox.store.postgres import PostgresStore
from velox.store.records import CandleRecord, JournalRecord, SnapshotRecord, TradeRecord, UserRecord
from velox.store.schema import SCHEMA_VERSION, Dialect, SchemaVersionError, schema_sql
from velox.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]


async def test_reopening_keeps_every_table(db_url: str) -> None:
    order = closed_order("o1", pnl=-BIG)
    user = UserRecord("u1", "a@example.com", None, None, 1)
    bar = CandleRecord("BTCUSDT", "1s", 0, BIG, BIG, BIG, BIG, BIG)
    store = open_store_for(db_url)
    await store.open()
    await store.append_batch([JournalRecord(1, 2, "Deposited", b"\x01")], [order])
    await store.save_snapshot(SnapshotRecord(1, 3, b"\x02"))
    await store.create_user(user)
    await store.save_magic_token("h", "a@example.com", 100)
    await store.revoke_session("j", 100)
    await store.sign_out_everywhere("u1", 200)
    await store.insert_trades([TradeRecord("BTCUSDT", 1, BIG, 1, 5)])
    await store.upsert_candles([bar])
    await store.set_meta("k", "v")
    await store.close()

    again = open_store_for(db_url)
    await again.open()  # the schema is applied a second time over existing tables
    try:
        assert [e async for e in again.read_journal(0)] == [
            JournalRecord(1, 2, "Deposited", b"\x01")
        ]
        assert await again.closed_order("o1") == order
        assert await again.latest_snapshot() == SnapshotRecord(1, 3, b"\x02")
        assert await again.user_by_email("a@example.com") == user
        assert await again.revoked_sessions(0) == {"j"}
        assert await again.session_cutoffs(0) == {"u1": 200}
        assert await again.insert_trades([TradeRecord("BTCUSDT", 1, BIG, 1, 5)]) == []
        assert await again.candles("BTCUSDT", "1s", None, None, 5) == [bar]
        assert await again.get_meta("k") == "v"
        assert await again.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert await again.consume_magic_token("h", 0) == "a@example.com"
    finally:
        await again.close()


@pytest.mark.parametrize("writer", [True, False])
async def test_a_newer_schema_version_is_refused(db_url: str, writer: bool) -> None:
    store = open_store_for(db_url)
    await store.open()
    await store.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    await store.close()
    with pytest.raises(SchemaVersionError):
        await open_store_for(db_url).open(writer=writer)


@pytest.mark.parametrize("older", ["2", "3", "4", "5"])
async def test_an_older_database_is_upgraded_by_the_writer_only(db_url: str, older: str) -> None:
    """Version 2 lacks what version 3 adds (the deposits table, events a version 2 binary
    cannot decode), version 3 what version 4 adds (event fields a version 3 binary cannot
    decode), version 4 what version 5 adds (the orders' time in force: the column, here
    already made, and event fields), version 5 what version 6 adds (the stops' ids in
    events, the stop_orders table): the writer records 6, after which an older binary
    refuses it; a reader (velox audit) changes nothing. (An orders table without the
    column: tests/upgrade/test_v4_time_in_force.py.)"""
    store = open_store_for(db_url)
    await store.open()
    await store.set_meta("schema_version", older)
    await store.close()
    reader = open_store_for(db_url)
    await reader.open(writer=False)
    assert await reader.get_meta("schema_version") == older
    await reader.close()
    writer = open_store_for(db_url)
    await writer.open()
    assert await writer.get_meta("schema_version") == str(SCHEMA_VERSION) == "6"
    await writer.close()


async def test_using_a_closed_store_raises(db_url: str) -> None:
    store = open_store_for(db_url)
    with pytest.raises(RuntimeError):
        await store.last_seq()
    await store.open()
    with pytest.raises(RuntimeError):
        await store.open()  # a second open would leak the first connection
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(RuntimeError):
        await store.get_meta("k")


async def test_sqlite_creates_directories_and_uses_wal_with_full_sync(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "velox.db"
    store = SqliteStore(path)
    await store.open()
    try:
        conn = store._db()
        assert list(await conn.execute_fetchall("PRAGMA synchronous")) == [(2,)]  # FULL
        await store.set_meta("k", "v")
    finally:
        await store.close()
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)


async def test_sqlite_in_memory_works() -> None:
    store = open_store_for("sqlite:///:memory:")
    await store.open()
    try:
        await store.set_meta("k", "v")
        assert await store.get_meta("k") == "v"
    finally:
        await store.close()


def test_factory_picks_the_store_by_url(tmp_path: Path) -> None:
    absolute = open_store_for(f"sqlite:///{tmp_path}/v.db")
    assert isinstance(absolute, SqliteStore) and absolute.path == f"{tmp_path}/v.db"
    relative = open_store_for("sqlite:///data/v.db")
    assert isinstance(relative, SqliteStore) and relative.path == "data/v.db"
    for url in ("postgresql://u@h/db", "postgres://u:p@h:5433/db?options=-csearch_path%3Ds"):
        pg = open_store_for(url)
        assert isinstance(pg, PostgresStore) and pg.url == url


@pytest.mark.parametrize(
    "url", ["", "sqlite://", "sqlite:///", "sqlite:relative.db", "mysql://u:secret@h/db", "x.db"]
)
def test_factory_refuses_other_urls(url: str) -> None:
    with pytest.raises(ValueError) as caught:
        open_store_for(url)
    assert "secret" not in str(caught.value)


def test_schema_file_ships_in_the_package_and_at_the_top_level() -> None:
    packaged = resources.files("velox.store").joinpath("schema.sql").read_text(encoding="utf-8")
    assert (ROOT / "schema.sql").read_text(encoding="utf-8") == packaged
    dialects: list[tuple[Dialect, str, str, str]] = [
        ("postgres", r"NUMERIC\(38, 0\)", "BYTEA", "BIGINT PRIMARY KEY"),
        ("sqlite", "TEXT", "BLOB", "INTEGER PRIMARY KEY"),
    ]
    for dialect, money, blob, seq in dialects:
        sql = schema_sql(dialect)
        assert not re.search(r"\{\w+\}", sql)
        assert re.search(rf"\n    pnl +{money} NOT NULL,\n", sql)
        assert re.search(rf"\n    payload {blob} NOT NULL\n", sql)
        assert re.search(rf"\n    seq +{seq},\n", sql)


async def test_one_writer_per_database(db_url: str) -> None:
    first = open_store_for(db_url)
    await first.open()
    second = open_store_for(db_url)
    try:
        with pytest.raises(WriterLockHeld) as refused:
            await second.open()
        assert refused.value.holder == f"host {socket.gethostname()} pid {os.getpid()}"
        assert refused.value.holder in str(refused.value)
        with pytest.raises(RuntimeError):
            await second.last_seq()  # the refused store stays closed
        await first.append_batch([JournalRecord(1, 1, "T", b"x")], [])  # the writer goes on
    finally:
        await first.close()
    await second.open()  # closing released the lock
    try:
        assert await second.last_seq() == 1
    finally:
        await second.close()


async def test_a_reader_opens_beside_the_writer_and_writes_nothing(db_url: str) -> None:
    writer = open_store_for(db_url)
    await writer.open()
    reader = open_store_for(db_url)
    try:
        await writer.append_batch([JournalRecord(1, 1, "T", b"x")], [closed_order("1")])
        await reader.open(writer=False)
        assert await reader.last_seq() == 1
        assert await reader.closed_order("1") == closed_order("1")
        await writer.append_batch([JournalRecord(2, 2, "T", b"y")], [])
        assert await reader.last_seq() == 2  # it reads what the writer commits
        writes = [
            lambda: reader.append_batch([JournalRecord(3, 3, "T", b"z")], []),
            lambda: reader.save_snapshot(SnapshotRecord(2, 2, b"s")),
            lambda: reader.set_meta("k", "v"),
            lambda: reader.forget_expired_auth(10**15),
            lambda: reader.insert_trades([TradeRecord("BTCUSDT", 1, 1, 1, 1)]),
        ]
        for write in writes:
            with pytest.raises(RuntimeError, match="read-only"):
                await write()
        assert await reader.consume_magic_token("h", 0) is None  # unknown: a read refuses it
        assert await writer.last_seq() == 2
        assert await writer.get_meta("k") is None
    finally:
        await reader.close()
        await writer.close()


async def test_a_reader_never_creates_a_database(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(DatabaseNotFound):  # an empty schema, or no file at all
        await open_store_for(db_url).open(writer=False)
    if db_url.startswith("sqlite:///"):
        assert list(tmp_path.iterdir()) == []
        with pytest.raises(DatabaseNotFound):
            await open_store_for("sqlite:///:memory:").open(writer=False)
    else:
        conn = await asyncpg.connect(db_url)
        try:
            assert await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = "
                                       "current_schema()") == 0  # fmt: skip
        finally:
            await conn.close()


async def test_the_sqlite_lock_file_names_the_holder(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "velox.db")
    await store.open()
    try:
        lock = tmp_path / "velox.db.lock"
        assert lock.read_text() == f"host {socket.gethostname()} pid {os.getpid()}\n"
        assert lock.stat().st_mode & 0o777 == 0o600
    finally:
        await store.close()
