"""The embedded store: one aiosqlite connection in WAL mode with ``synchronous=FULL``.

Everything runs on one event loop, so one connection is enough; an ``asyncio.Lock`` serialises
its use. The lock matters for correctness, not only for SQLite's "no nested BEGIN": on a shared
connection, a read that slipped in between another coroutine's BEGIN and COMMIT would see rows
that are not yet durable (SPEC section 5 forbids showing those).

Money columns are TEXT holding ``str(int)`` (see schema.sql): SQLite's INTEGER is int64 and
silently turns larger values into lossy REALs. So candle merging, the only arithmetic on money,
happens here in Python inside the write transaction instead of in SQL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from velox.store.base import EmailTakenError
from velox.store.records import (
    CandleRecord,
    ClosedOrderRecord,
    JournalRecord,
    SnapshotRecord,
    TradeRecord,
    UserRecord,
)
from velox.store.schema import (
    CLOSED_ORDER_COLUMNS,
    CLOSED_ORDER_MONEY,
    SCHEMA_VERSION_KEY,
    check_events,
    check_keep,
    check_limit,
    checked_version,
    first_of_each,
    merge_candle,
    schema_sql,
)

# RETURNING (used by consume_magic_token and insert_trades) arrived in SQLite 3.35.
MIN_SQLITE = (3, 35, 0)
_COLS = ", ".join(CLOSED_ORDER_COLUMNS)
_UPSERT_CLOSED = (
    f"INSERT INTO closed_orders ({_COLS}) VALUES ({', '.join('?' * len(CLOSED_ORDER_COLUMNS))}) "
    "ON CONFLICT (order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CLOSED_ORDER_COLUMNS[1:])
)
_SET_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_CANDLE_COLS = "symbol, duration, time, open, high, low, close, volume"


def _closed_params(order: ClosedOrderRecord) -> list[Any]:
    values = [getattr(order, c) for c in CLOSED_ORDER_COLUMNS]
    return [
        str(v) if c in CLOSED_ORDER_MONEY and v is not None else v
        for c, v in zip(CLOSED_ORDER_COLUMNS, values, strict=True)
    ]


def _closed_record(row: Iterable[Any]) -> ClosedOrderRecord:
    values: list[Any] = [
        int(v) if c in CLOSED_ORDER_MONEY and v is not None else v
        for c, v in zip(CLOSED_ORDER_COLUMNS, row, strict=True)
    ]
    return ClosedOrderRecord(*values)


def _candle_params(c: CandleRecord) -> tuple[Any, ...]:
    return (c.symbol, c.duration, c.time, str(c.open), str(c.high), str(c.low), str(c.close),
            str(c.volume))  # fmt: skip


def _candle_record(row: Sequence[Any]) -> CandleRecord:
    symbol, duration, time, *prices = row
    return CandleRecord(symbol, duration, time, *(int(p) for p in prices))


class SqliteStore:
    """``Store`` on a single SQLite file (``path`` may be ``":memory:"`` for throwaway use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self._conn is not None:
            raise RuntimeError("SqliteStore is already open")
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is older than 3.35")
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # Owner-only: it holds password hashes. SQLite gives -wal/-shm the same mode.
            Path(self.path).touch(mode=0o600, exist_ok=True)
        # isolation_level=None: no implicit transactions; we issue BEGIN IMMEDIATE ourselves.
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            mode = await conn.execute_fetchall("PRAGMA journal_mode=WAL")
            if self.path != ":memory:" and next(iter(mode))[0] != "wal":
                raise RuntimeError(f"SQLite refused WAL mode for {self.path}")
            await conn.execute("PRAGMA synchronous=FULL")
            await conn.execute("PRAGMA busy_timeout=5000")
            await conn.executescript(schema_sql("sqlite"))
            self._conn = conn
            version = checked_version(await self.get_meta(SCHEMA_VERSION_KEY))
            await self.set_meta(SCHEMA_VERSION_KEY, version)
        except BaseException:
            self._conn = None
            await conn.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            async with self._lock:
                await conn.close()

    def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("SqliteStore is not open")
        return self._conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front."""
        async with self._lock:
            conn = self._db()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await conn.rollback()  # a no-op if SQLite already rolled back
                raise
            await conn.execute("COMMIT")

    async def _run(self, sql: str, params: Sequence[Any]) -> int:
        """One statement in its own write transaction; the number of rows it changed."""
        async with self._write() as conn:
            return (await conn.execute(sql, params)).rowcount

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self._lock:
            return list(await self._db().execute_fetchall(sql, params))

    async def _fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None

    async def _pages(self, sql: str, after: Any, size: int) -> AsyncIterator[Any]:
        """Rows of a keyset query (``key > ? ... LIMIT ?``, key first) a page at a time.

        The lock is taken per page, never held across a yield, so a consumer may use the
        store (or be slow) between rows without blocking every other caller.
        """
        while True:
            rows = await self._fetch(sql, (after, size))
            for row in rows:
                yield row
            if len(rows) < size:
                return
            after = rows[-1][0]

    # -- journal, snapshots, closed orders ----------------------------------------------
    async def append_batch(
        self, events: Sequence[JournalRecord], closed: Sequence[ClosedOrderRecord]
    ) -> None:
        check_events(events)
        async with self._write() as conn:
            await conn.executemany(
                "INSERT INTO journal (seq, ts, type, payload) VALUES (?, ?, ?, ?)",
                [(e.seq, e.ts, e.type, e.payload) for e in events],
            )
            await conn.executemany(_UPSERT_CLOSED, [_closed_params(o) for o in closed])

    async def last_seq(self) -> int:
        row = await self._fetch_one("SELECT COALESCE(MAX(seq), 0) FROM journal")
        return int(row[0])

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        sql = "SELECT seq, ts, type, payload FROM journal WHERE seq > ? ORDER BY seq LIMIT ?"
        async for seq, ts, type_, payload in self._pages(sql, after_seq, batch):
            yield JournalRecord(seq, ts, type_, bytes(payload))

    async def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        await self._run(
            "INSERT INTO snapshots (seq, ts, payload) VALUES (?, ?, ?) ON CONFLICT (seq) "
            "DO UPDATE SET ts = excluded.ts, payload = excluded.payload",
            (snapshot.seq, snapshot.ts, snapshot.payload),
        )

    async def latest_snapshot(self) -> SnapshotRecord | None:
        row = await self._fetch_one(
            "SELECT seq, ts, payload FROM snapshots ORDER BY seq DESC LIMIT 1"
        )
        return None if row is None else SnapshotRecord(row[0], row[1], bytes(row[2]))

    async def snapshots(self) -> list[SnapshotRecord]:
        rows = await self._fetch("SELECT seq, ts, payload FROM snapshots ORDER BY seq")
        return [SnapshotRecord(seq, ts, bytes(payload)) for seq, ts, payload in rows]

    async def prune(self, keep_snapshots: int, prune_journal: bool) -> None:
        check_keep(keep_snapshots)
        async with self._write() as conn:
            await conn.execute(
                "DELETE FROM snapshots WHERE seq NOT IN "
                "(SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                (keep_snapshots,),
            )
            if prune_journal:  # the oldest kept snapshot covers every row up to its seq
                await conn.execute(
                    "DELETE FROM journal WHERE seq <= (SELECT MIN(seq) FROM snapshots)"
                )

    async def closed_order(self, order_id: str) -> ClosedOrderRecord | None:
        row = await self._fetch_one(
            f"SELECT {_COLS} FROM closed_orders WHERE order_id = ?", (order_id,)
        )
        return None if row is None else _closed_record(row)

    async def closed_orders_for_user(self, user_id: str, limit: int) -> list[ClosedOrderRecord]:
        rows = await self._fetch(
            f"SELECT {_COLS} FROM closed_orders WHERE user_id = ? "
            "ORDER BY closed_at DESC, order_id DESC LIMIT ?",
            (user_id, check_limit(limit)),
        )
        return [_closed_record(r) for r in rows]

    async def all_closed_orders(self) -> AsyncIterator[ClosedOrderRecord]:
        """Every closed order by order_id, paged so the whole table is never in memory."""
        sql = f"SELECT {_COLS} FROM closed_orders WHERE order_id > ? ORDER BY order_id LIMIT ?"
        async for row in self._pages(sql, "", 1000):
            yield _closed_record(row)

    # -- users and auth ------------------------------------------------------------------
    async def create_user(self, user: UserRecord) -> None:
        inserted = await self._run(
            "INSERT INTO users (id, email, password_hash, phone, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
            (user.id, user.email.lower(), user.password_hash, user.phone, user.created_at),
        )
        if inserted == 0:  # the UNIQUE(email) constraint decided, so racing signups agree
            raise EmailTakenError(user.email)

    async def user_by_email(self, email: str) -> UserRecord | None:
        return await self._user("email", email.lower())

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        return await self._user("id", user_id)

    async def _user(self, column: str, value: str) -> UserRecord | None:
        row = await self._fetch_one(
            f"SELECT id, email, password_hash, phone, created_at FROM users WHERE {column} = ?",
            (value,),
        )
        return None if row is None else UserRecord(*row)

    async def save_magic_token(self, token_hash: str, email: str, expires_at: int) -> None:
        await self._run(
            "INSERT INTO magic_tokens (token_hash, email, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (token_hash) DO UPDATE SET "
            "email = excluded.email, expires_at = excluded.expires_at",
            (token_hash, email, expires_at),
        )

    async def consume_magic_token(self, token_hash: str, now_ms: int) -> str | None:
        async with self._write() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "DELETE FROM magic_tokens WHERE token_hash = ? RETURNING email, expires_at",
                    (token_hash,),
                )
            )
        if not rows or rows[0][1] <= now_ms:
            return None
        return str(rows[0][0])

    async def revoke_session(self, jti: str, expires_at: int) -> None:
        await self._run(
            "INSERT INTO revoked_sessions (jti, expires_at) VALUES (?, ?) "
            "ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at",
            (jti, expires_at),
        )

    async def forget_expired_auth(self, now_ms: int) -> int:
        tokens = await self._run("DELETE FROM magic_tokens WHERE expires_at <= ?", (now_ms,))
        revoked = await self._run("DELETE FROM revoked_sessions WHERE expires_at <= ?", (now_ms,))
        return tokens + revoked

    async def revoked_sessions(self, now_ms: int) -> set[str]:
        rows = await self._fetch("SELECT jti FROM revoked_sessions WHERE expires_at > ?", (now_ms,))
        return {r[0] for r in rows}

    # -- market data ---------------------------------------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        inserted = []
        async with self._write() as conn:
            for t in first_of_each(trades):
                rows = await conn.execute_fetchall(
                    "INSERT INTO trades (symbol, trade_id, price, qty, ts) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING RETURNING 1",
                    (t.symbol, t.trade_id, str(t.price), str(t.qty), t.ts),
                )
                if list(rows):
                    inserted.append(t)
        return inserted

    async def prune_trades(self, before_ts: int) -> int:
        return await self._run("DELETE FROM trades WHERE ts < ?", (before_ts,))

    async def upsert_candles(self, candles: Sequence[CandleRecord]) -> None:
        async with self._write() as conn:
            for c in candles:  # one at a time, so repeats of a bucket in the batch merge too
                stored = list(
                    await conn.execute_fetchall(
                        f"SELECT {_CANDLE_COLS} FROM candles "
                        "WHERE symbol = ? AND duration = ? AND time = ?",
                        (c.symbol, c.duration, c.time),
                    )
                )
                merged = merge_candle(_candle_record(stored[0]), c) if stored else c
                await conn.execute(
                    f"INSERT OR REPLACE INTO candles ({_CANDLE_COLS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    _candle_params(merged),
                )

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        async with self._write() as conn:
            await conn.executemany(
                f"INSERT OR REPLACE INTO candles ({_CANDLE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [_candle_params(c) for c in candles],
            )

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        params: list[Any] = [symbol, duration]
        where = "symbol = ? AND duration = ?"
        for op, bound in ((">=", start), ("<=", end)):
            if bound is not None:
                params.append(bound)
                where += f" AND time {op} ?"
        # With a start, page forward from it; without, take the newest and flip them.
        order = "ASC" if start is not None else "DESC"
        rows = await self._fetch(
            f"SELECT {_CANDLE_COLS} FROM candles WHERE {where} ORDER BY time {order} LIMIT ?",
            [*params, check_limit(limit)],
        )
        result = [_candle_record(r) for r in rows]
        return result if start is not None else result[::-1]

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        await self._run(
            _SET_META,
            (key, value),
        )
