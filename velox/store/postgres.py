"""The deployment store: asyncpg over PostgreSQL.

Two kinds of connection. The writer's own connection holds the writer lock (a session
advisory lock, so it lasts exactly as long as that session) and runs the group commit and
nothing else, so the journal never waits for a free connection. A pool serves reads and the
other writes (auth, market data, snapshots): a burst of chart requests can fill the pool, not
stop the engine. A read-only store has only the pool, with every transaction READ ONLY.

Money columns are ``NUMERIC(38, 0)``: exact for every value Velox allows (up to 10^23 units),
which ``BIGINT`` is not. Each connection gets a text codec for ``numeric`` that maps straight
to and from Python ``int``, so no ``Decimal`` (and never a float) crosses this module.

The URL is handed to asyncpg unchanged. asyncpg forwards query parameters it does not know as
startup settings, so ``?options=-csearch_path%3Dmyschema`` (libpq's form, used by the tests to
give each test its own schema) works as it does with libpq.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

from velox.store.base import DatabaseNotFound, WriterLockHeld
from velox.store.records import CandleRecord, TradeRecord
from velox.store.schema import (
    SCHEMA_VERSION_KEY,
    add_columns,
    checked_version,
    first_of_each,
    log_version_change,
    placeholders,
    schema_sql,
)
from velox.store.sqlstore import CANDLE_COLUMNS, SET_META, SqlStore, Tx, candle_params
from velox.store.writer_lock import this_process

# Serialises schema creation across processes: concurrent CREATE ... IF NOT EXISTS can race.
_SCHEMA_LOCK_KEY = 0x76656C6F78  # "velox"
# The writer lock: advisory lock (_WRITER_CLASS, crc32 of the schema), one per Velox schema.
_WRITER_CLASS = 0x76656C6F  # "velo"
_USER_KEYS_CLASS = 0x6B657973  # "keys": create_api_key's lock of one user's keys
_WRITER_APP = "velox writer "  # application_name prefix; the rest names the holder
# A crashed writer's host sends no FIN: keepalives let the server end its session, and so
# free the lock, in about 25 s instead of the system's default of hours.
_KEEPALIVES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
}
# A database that accepts TCP but never answers (hung, a half-open partition, a stuck proxy)
# must not hold a request, or the journal's commit, forever: a connection attempt ends after
# CONNECT_TIMEOUT_S and a command after COMMAND_TIMEOUT_S, with a TimeoutError (503
# DATABASE_UNAVAILABLE; for a commit, an unknown outcome: the engine is rebuilt from the
# store, as when the connection drops mid-commit). Far above any statement Velox runs on a
# healthy database; asyncpg's own default is 60 s to connect and no limit on a command.
CONNECT_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0
# The session holding this schema's writer lock ($1, $2: ``_writer_key``), with its name.
_LOCK_HOLDER = (
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
    "AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
_HOLDER = f"SELECT l.pid, a.application_name {_LOCK_HOLDER}"
# ended if it is our old one: its pid and the time its backend started ($3, $4; a pid alone
# can be reused, by another Velox's session after a restart)
_END_OWN_WRITER = (
    f"SELECT pg_terminate_backend(l.pid) {_LOCK_HOLDER} AND l.pid = $3 AND a.backend_start = $4"
)
_BACKEND = "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()"
# executemany runs this once per row, in order, so repeats of a key within a batch merge too.
_UPSERT_CANDLE = (
    f"INSERT INTO candles ({CANDLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (symbol, duration, time) DO UPDATE SET "
    "high = GREATEST(candles.high, EXCLUDED.high), low = LEAST(candles.low, EXCLUDED.low), "
    "close = EXCLUDED.close, volume = candles.volume + EXCLUDED.volume"
)
_INSERT_TRADES = (
    "INSERT INTO trades (symbol, trade_id, price, qty, ts) "
    "SELECT * FROM unnest(?::text[], ?::bigint[], ?::numeric[], ?::numeric[], ?::bigint[]) "
    "ON CONFLICT DO NOTHING RETURNING symbol, trade_id"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """numeric <-> int via text: exact at any size, and ``int`` is what the records hold."""
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=int, schema="pg_catalog", format="text"
    )


def _count(status: str) -> int:
    """Rows affected, from a command tag such as ``"INSERT 0 1"`` or ``"DELETE 3"``; 0 for
    one that counts none (``"ALTER TABLE"``: the upgrade's ``schema.add_columns``)."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _PgTx:
    """``Tx`` over an asyncpg connection: ``?`` becomes ``$n`` on the way in."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        return _count(await self.conn.execute(placeholders(sql, "postgres"), *args))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.conn.executemany(placeholders(sql, "postgres"), rows)

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return list(await self.conn.fetch(placeholders(sql, "postgres"), *args))


async def _take_writer_lock(url: str) -> asyncpg.Connection:
    """The writer's connection, holding the schema's writer lock; or ``WriterLockHeld``."""
    settings = {"application_name": _WRITER_APP + this_process(), **_KEEPALIVES}
    conn = await asyncpg.connect(
        url,
        server_settings=settings,
        timeout=CONNECT_TIMEOUT_S,
        command_timeout=COMMAND_TIMEOUT_S,
    )
    try:
        await _init_connection(conn)
        key = await _writer_key(conn)
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *key):
            raise WriterLockHeld(_holder_name(await conn.fetchrow(_HOLDER, *key)))
    except BaseException:
        await conn.close()
        raise
    return conn


async def _backend_of(conn: asyncpg.Connection) -> tuple[int, Any]:
    """(pid, start time) of ``conn``'s backend: which session it is, for good."""
    pid, started = await conn.fetchrow(_BACKEND)
    return int(pid), started


async def _writer_key(conn: asyncpg.Connection) -> tuple[int, int]:
    """The advisory lock key of the schema ``conn`` works in."""
    schema = await conn.fetchval("SELECT current_schema()")
    return (_WRITER_CLASS, zlib.crc32(str(schema).encode()) & 0x7FFFFFFF)


JUST_ENDED = "a session that has just ended; try again"


def _holder_name(row: Any) -> str:
    if row is None:  # released between our attempt and the look-up
        return JUST_ENDED
    pid, app = row
    if app and app.startswith(_WRITER_APP):
        return str(app[len(_WRITER_APP) :])
    return f"PostgreSQL session pid {pid}"


class PostgresStore(SqlStore):
    """``Store`` on PostgreSQL; ``url`` is a ``postgresql://`` (or ``postgres://``) DSN."""

    # a transaction-scoped advisory lock per user, in a key space of its own (the class)
    _LOCK_USER_KEYS = f"SELECT pg_advisory_xact_lock({_USER_KEYS_CLASS}, hashtext(?))"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._journal: asyncpg.Connection | None = None  # the writer's; holds the lock
        # its backend (pid, start time): ours, if it outlives the connection
        self._writer_backend: tuple[int, Any] | None = None
        self._journal_lock = asyncio.Lock()

    async def open(self, *, writer: bool = True) -> None:
        if self._pool is not None:
            raise RuntimeError("PostgresStore is already open")
        async with AsyncExitStack() as undo:  # closes what was opened if a step fails
            journal = None
            if writer:
                journal = await _take_writer_lock(self.url)
                undo.push_async_callback(journal.close)
            pool = await self._create_pool(read_only=not writer)
            undo.push_async_callback(pool.close)
            if journal is not None:
                async with journal.transaction():
                    await journal.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK_KEY)
                    if await journal.fetchval("SELECT to_regclass('meta')") is not None:
                        checked_version(  # older or newer: refuse before writing
                            await journal.fetchval(
                                "SELECT value FROM meta WHERE key = $1", SCHEMA_VERSION_KEY
                            )
                        )
                    await journal.execute(schema_sql("postgres"))
            elif await pool.fetchval("SELECT to_regclass('meta')") is None:
                raise DatabaseNotFound("no Velox database in this PostgreSQL schema")
            self._pool, self._journal, self._writer = pool, journal, writer
            if journal is not None:
                self._writer_backend = await _backend_of(journal)
            undo.callback(self._forget_connections)
            stored = await self.get_meta(SCHEMA_VERSION_KEY)
            version = checked_version(stored)
            await add_columns(self._fetch, self._execute, "postgres", stored, writer=writer)
            if writer:
                await self.set_meta(SCHEMA_VERSION_KEY, version)
                log_version_change(stored, version)
            undo.pop_all()

    async def _create_pool(self, *, read_only: bool) -> asyncpg.Pool:
        """The pool, with the connect and command timeouts every Velox pool has (a database
        that never answers must not hold a start, a request or a commit); ``read_only``:
        every transaction READ ONLY. The gateway's store opens its pool here too."""
        return await asyncpg.create_pool(
            self.url,
            min_size=self._min_size,
            max_size=self._max_size,
            init=_init_connection,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=COMMAND_TIMEOUT_S,
            server_settings={"default_transaction_read_only": "on"} if read_only else None,
        )

    async def reclaim_writer(self) -> None:
        """The writer's session can end under a live process (a PostgreSQL restart or
        failover, an idle-session killer, ``pg_terminate_backend``), and with it the writer
        lock: every later commit on that connection would fail. Take the lock again on a new
        connection, or learn that another writer has it (``WriterLockHeld``)."""
        if not self._writer:
            return
        async with self._journal_lock:
            journal = self._journal
            if journal is not None and not journal.is_closed():
                return
            if journal is not None:
                journal.terminate()
            self._journal = None
            try:
                self._journal = await _take_writer_lock(self.url)
            except WriterLockHeld as held:
                # Our own old session, which the database has not yet seen is gone (a reset
                # on our side only; TCP keepalive would end it in about 25 s)? Known by its
                # backend's pid and start time (application names are cut to 63 characters):
                # end it, and let the rebuild's retry take the lock once it is free.
                ended = None
                if self._writer_backend is not None:
                    async with self._db().acquire() as conn:
                        key = await _writer_key(conn)
                        ended = await conn.fetchval(_END_OWN_WRITER, *key, *self._writer_backend)
                if ended:
                    raise RuntimeError("this process's previous writer session still held "
                                       "the writer lock; it was ended") from held  # fmt: skip
                if held.holder == JUST_ENDED:  # no holder: the lock is being let go (ours,
                    # just ended above, under load): the rebuild's retry takes it
                    raise RuntimeError("the writer lock's holder has just ended") from held
                raise
            self._writer_backend = await _backend_of(self._journal)

    def _forget_connections(self) -> None:
        self._pool, self._journal, self._writer = None, None, False

    async def close(self) -> None:
        pool, journal = self._pool, self._journal
        self._forget_connections()
        if pool is not None:
            await pool.close()
        if journal is not None:
            async with self._journal_lock:  # after the commit in progress, if any
                await journal.close()  # ends the session: the writer lock is free

    def _db(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("PostgresStore is not open")
        return self._pool

    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return list(await self._db().fetch(placeholders(sql, "postgres"), *args))

    @asynccontextmanager
    async def _pooled_transaction(self) -> AsyncIterator[Tx]:
        pool = self._db()
        self._check_writable()
        async with pool.acquire() as conn, conn.transaction():
            yield _PgTx(conn)

    def _transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self._pooled_transaction()

    @asynccontextmanager
    async def _writer_transaction(self) -> AsyncIterator[Tx]:
        self._db()
        self._check_writable()
        async with self._journal_lock:
            journal = self._journal
            if journal is None:  # closed while this commit waited for the one before
                raise RuntimeError("PostgresStore is not open")
            async with journal.transaction():
                yield _PgTx(journal)

    def _journal_transaction(self) -> AbstractAsyncContextManager[Tx]:
        return self._writer_transaction()

    # -- market data whose SQL is PostgreSQL's own ---------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        unique = first_of_each(trades)
        if not unique:
            return []
        columns = zip(*((t.symbol, t.trade_id, t.price, t.qty, t.ts) for t in unique), strict=True)
        async with self._transaction() as tx:
            rows = await tx.fetch(_INSERT_TRADES, [list(c) for c in columns])
        inserted = {(r["symbol"], r["trade_id"]) for r in rows}
        return [t for t in unique if (t.symbol, t.trade_id) in inserted]

    async def upsert_candles(
        self, candles: Sequence[CandleRecord], meta: Mapping[str, str] | None = None
    ) -> None:
        async with self._transaction() as tx:
            await tx.executemany(_UPSERT_CANDLE, [candle_params(c) for c in candles])
            if meta:
                await tx.executemany(SET_META, list(meta.items()))
