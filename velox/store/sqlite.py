"""The embedded store: aiosqlite in WAL mode with ``synchronous=FULL``.

One write connection, serialised by an ``asyncio.Lock`` (SQLite has one writer anyway; the
lock keeps one coroutine's statements out of another's transaction), and a few reader
connections for every read (``reader_pool.py``: first come, first served, and a
websocket's reads in the side lane of ``lanes.py`` never hold the last one). In WAL mode a
reader sees exactly the committed, synced transactions and never waits for the writer, so
a chart or a sign-in never queues behind a journal commit, and a read never shows rows that
are not yet durable (SPEC section 5).
``":memory:"`` is one private database per connection, so there the writer serves reads too.

As the writer, the store holds ``FileLock`` on ``<file>.lock`` while open. A read-only store
(``open(writer=False)``) opens the file with ``mode=ro``: it cannot write, even by mistake.

Money columns are TEXT holding ``str(int)`` (see schema.sql): SQLite's INTEGER is int64 and
silently turns larger values into lossy REALs. So candle merging, the only arithmetic on money,
happens here in Python inside the write transaction instead of in SQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from velox.foreground import Foreground
from velox.store.base import DatabaseNotFound
from velox.store.lanes import in_side_lane
from velox.store.reader_pool import ReaderPool
from velox.store.records import CandleRecord, TradeRecord
from velox.store.schema import (
    SCHEMA_VERSION_KEY,
    add_columns,
    checked_version,
    first_of_each,
    log_version_change,
    merge_candle,
    schema_sql,
)
from velox.store.sqlstore import (
    CANDLE_COLUMNS,
    SET_META,
    SqlStore,
    Statement,
    Tx,
    candle_params,
    candle_record,
)
from velox.store.writer_lock import FileLock

# RETURNING (used by consume_magic_token and insert_trades) arrived in SQLite 3.35.
MIN_SQLITE = (3, 35, 0)
MEMORY = ":memory:"
_BUSY_TIMEOUT_MS = 5000
_THREAD_END_S = 10.0  # a failed connect's aiosqlite thread: how long to wait for its end
T = TypeVar("T")


class _SqliteTx:
    """``Tx`` over an aiosqlite connection (``?`` is SQLite's own placeholder)."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return (await self.conn.execute(sql, args)).rowcount

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.conn.executemany(sql, rows)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return list(await self.conn.execute_fetchall(sql, args))


def _in_one_transaction(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """On aiosqlite's thread: BEGIN IMMEDIATE, ``work``, COMMIT; or nothing at all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()  # a no-op if SQLite already rolled back (or the COMMIT did not begin)
        raise
    return result


def _run_statements(statements: Sequence[Statement], db: sqlite3.Connection) -> None:
    for sql, rows in statements:
        if rows:
            db.executemany(sql, rows)


def _insert_trades(trades: Sequence[TradeRecord], db: sqlite3.Connection) -> list[TradeRecord]:
    inserted = []
    for t in trades:
        cursor = db.execute(
            "INSERT INTO trades (symbol, trade_id, price, qty, ts) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (t.symbol, t.trade_id, str(t.price), str(t.qty), t.ts),
        )
        if cursor.fetchall():
            inserted.append(t)
    return inserted


def _upsert_candles(
    candles: Sequence[CandleRecord], meta: Mapping[str, str], db: sqlite3.Connection
) -> None:
    db.executemany(SET_META, list(meta.items()))
    for c in candles:  # one at a time, so repeats of a bucket in the batch merge too
        stored = db.execute(
            f"SELECT {CANDLE_COLUMNS} FROM candles WHERE symbol = ? AND duration = ? AND time = ?",
            (c.symbol, c.duration, c.time),
        ).fetchall()
        merged = merge_candle(candle_record(stored[0]), c) if stored else c
        db.execute(
            f"INSERT OR REPLACE INTO candles ({CANDLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            candle_params(merged),
        )


async def _connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """``aiosqlite.connect``, whose worker thread has ended when the connect fails.

    A failed connect only queues the thread's stop; the thread then hands its answer to the
    event loop, and if ``velox run`` has closed the loop by then (it exits at once after the
    one-line refusal) it dies with "RuntimeError: Event loop is closed" tracebacks. So wait
    for it (``_thread`` is aiosqlite's own, private: see the version bound in pyproject.toml;
    before 0.21 the connection was the thread itself).
    """
    conn = aiosqlite.connect(database, **kwargs)
    try:
        return await conn
    except Exception:
        thread = getattr(conn, "_thread", conn)
        if isinstance(thread, threading.Thread) and thread.is_alive():
            await asyncio.to_thread(thread.join, _THREAD_END_S)
        raise


class SqliteStore(SqlStore):
    """``Store`` on a single SQLite file (``path`` may be ``":memory:"`` for throwaway use)."""

    def __init__(self, path: str | Path, *, readers: int = 2) -> None:
        self.path = str(path)
        # A read runs on a reader's thread, which needs the GIL to start and to hand back
        # its rows: while the hub's writer keeps the loop busy it waited up to 20 ms for it
        # (bench/hub.py, a close's read of its order row). A read is foreground work: the
        # writer gives way to it as to an engine batch (velox/foreground.py).
        self.foreground: Foreground | None = None
        self._reader_count = readers
        self._conn: aiosqlite.Connection | None = None  # the writer's (None when read-only)
        self._readers: list[aiosqlite.Connection] = []
        self._pool: ReaderPool[aiosqlite.Connection] = ReaderPool([])
        self._lock = asyncio.Lock()
        self._file_lock: FileLock | None = None
        self._open = False

    async def open(self, *, writer: bool = True) -> None:
        if self._open:
            raise RuntimeError("SqliteStore is already open")
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is older than 3.35")
        async with AsyncExitStack() as undo:  # closes what was opened if a step fails
            undo.callback(self._forget_connections)
            if writer:
                await self._open_writer(undo)
            elif self.path == MEMORY or not Path(self.path).is_file():
                raise DatabaseNotFound(f"no Velox database at {self.path}")
            if self.path != MEMORY:
                for _ in range(self._reader_count):
                    reader = await self._connect_reader(writer)
                    undo.push_async_callback(reader.close)
                    self._readers.append(reader)
            self._pool = ReaderPool(self._readers)
            self._open, self._writer = True, writer
            if not writer and not await self._fetch(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
            ):
                raise DatabaseNotFound(f"{self.path} is not a Velox database")
            stored = await self.get_meta(SCHEMA_VERSION_KEY)
            version = checked_version(stored)
            await add_columns(self._fetch, self._execute, "sqlite", stored, writer=writer)
            if writer:
                await self.set_meta(SCHEMA_VERSION_KEY, version)
                log_version_change(stored, version)
            undo.pop_all()

    async def _open_writer(self, undo: AsyncExitStack) -> None:
        if self.path != MEMORY:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Owner-only: it holds password hashes. SQLite gives -wal/-shm the same mode.
            Path(self.path).touch(mode=0o600, exist_ok=True)
            self._file_lock = FileLock(Path(self.path + ".lock"))
            self._file_lock.acquire()  # before touching the database: WriterLockHeld
            undo.callback(self._file_lock.release)
        # isolation_level=None: no implicit transactions; we issue BEGIN IMMEDIATE ourselves.
        conn = await _connect(self.path, isolation_level=None)
        undo.push_async_callback(conn.close)
        mode = await conn.execute_fetchall("PRAGMA journal_mode=WAL")
        if self.path != MEMORY and next(iter(mode))[0] != "wal":
            raise RuntimeError(f"SQLite refused WAL mode for {self.path}")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        if await conn.execute_fetchall(  # an older or newer database: refuse before writing
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ):
            rows = list(
                await conn.execute_fetchall(
                    "SELECT value FROM meta WHERE key = ?", (SCHEMA_VERSION_KEY,)
                )
            )
            checked_version(str(rows[0][0]) if rows else None)
        await conn.executescript(schema_sql("sqlite"))
        self._conn = conn

    async def _connect_reader(self, writer: bool) -> aiosqlite.Connection:
        if writer:
            conn = await _connect(self.path, isolation_level=None)
            await conn.execute("PRAGMA query_only=ON")  # reads only, by construction
        else:  # read-only at the file level: beside a running writer, write nothing ever
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            conn = await _connect(uri, uri=True, isolation_level=None)
        await conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        return conn

    def _forget_connections(self) -> None:
        self._open, self._conn, self._readers = False, None, []
        self._pool = ReaderPool([])

    async def close(self) -> None:
        if not self._open:
            return
        self._open = False
        if self._conn is not None:
            async with self._lock:  # after the transaction in progress, if any
                await self._conn.close()
        for _ in self._readers:  # each reader once it is back from the read in progress
            await (await self._pool.take()).close()
        self._forget_connections()
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None

    def _db(self) -> aiosqlite.Connection:
        """The write connection."""
        if not self._open:
            raise RuntimeError("SqliteStore is not open")
        self._check_writable()
        assert self._conn is not None
        return self._conn

    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        if not self._open:
            raise RuntimeError("SqliteStore is not open")
        if not self._readers:  # in memory: the one connection, between transactions
            async with self._lock:
                return list(await self._db().execute_fetchall(sql, args))
        side = in_side_lane()
        conn = await self._pool.take(side)
        foreground = self.foreground
        if foreground is not None:
            foreground.enter()
        try:
            return list(await conn.execute_fetchall(sql, args))
        finally:
            self._pool.give_back(conn, side)
            if foreground is not None:
                foreground.leave()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Tx]:
        """One write transaction; BEGIN IMMEDIATE takes SQLite's write lock up front.

        The BEGIN is inside the part that rolls back: a task cancelled while its BEGIN is on
        aiosqlite's thread (which runs it anyway) must not leave the connection inside a
        transaction, or every later BEGIN fails. The rollback is queued behind the BEGIN on
        that thread, and is a no-op if no transaction is open."""
        async with self._lock:
            conn = self._db()
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield _SqliteTx(conn)
            except BaseException:
                await conn.rollback()  # a no-op if SQLite already rolled back
                raise
            await conn.execute("COMMIT")

    def _transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self._write()

    def _journal_transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self._write()  # SQLite has one writer: the journal shares it

    async def _journal_statements(self, statements: Sequence[Statement]) -> None:
        await self._one_trip(partial(_run_statements, statements))

    async def _one_trip(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """A write transaction in ONE trip to aiosqlite's thread instead of one per statement.

        Why: each ``await`` on aiosqlite is a hand-off to its thread and back through the
        event loop, and under load a loop turn takes milliseconds. The trade writer inserted
        each trade (and read and wrote each candle) in a trip of its own, holding the write
        lock across hundreds of loop turns, and the journal's group commit (about 1 ms of
        SQLite) waited 14 ms on average for it (measured under bench/http.py's opens): opens
        were bound by that wait. ``Connection._execute`` is aiosqlite's own way to run a
        function on its thread (private, hence the version bound in pyproject.toml)."""
        async with self._lock:
            conn = self._db()
            job = partial(_in_one_transaction, conn._conn, work)
            result: T = await conn._execute(job)  # type: ignore[no-untyped-call]
            return result

    # -- market data whose SQL is SQLite's own -------------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        return await self._one_trip(partial(_insert_trades, first_of_each(trades)))

    async def upsert_candles(
        self, candles: Sequence[CandleRecord], meta: Mapping[str, str] | None = None
    ) -> None:
        await self._one_trip(partial(_upsert_candles, candles, meta or {}))
