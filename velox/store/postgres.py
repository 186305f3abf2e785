"""The deployment store: an asyncpg pool over PostgreSQL.

Money columns are ``NUMERIC(38, 0)``: exact for every value Velox allows (up to 10^23 units),
which ``BIGINT`` is not. Each pooled connection gets a text codec for ``numeric`` that maps
straight to and from Python ``int``, so no ``Decimal`` (and never a float) crosses this module.

The URL is handed to asyncpg unchanged. asyncpg forwards query parameters it does not know as
startup settings, so ``?options=-csearch_path%3Dmyschema`` (libpq's form, used by the tests to
give each test its own schema) works as it does with libpq.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

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
    SCHEMA_VERSION_KEY,
    check_events,
    check_keep,
    check_limit,
    checked_version,
    first_of_each,
    schema_sql,
)

# Serialises schema creation across processes: concurrent CREATE ... IF NOT EXISTS can race.
_SCHEMA_LOCK_KEY = 0x76656C6F78  # "velox"
_COLS = ", ".join(CLOSED_ORDER_COLUMNS)
_UPSERT_CLOSED = (
    f"INSERT INTO closed_orders ({_COLS}) "
    f"VALUES ({', '.join(f'${i}' for i in range(1, len(CLOSED_ORDER_COLUMNS) + 1))}) "
    "ON CONFLICT (order_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in CLOSED_ORDER_COLUMNS[1:])
)
_SET_META = (
    "INSERT INTO meta (key, value) VALUES ($1, $2) "
    "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
)
_CANDLE_COLS = "symbol, duration, time, open, high, low, close, volume"
# executemany runs this once per row, in order, so repeats of a key within a batch merge too.
_UPSERT_CANDLE = (
    f"INSERT INTO candles ({_CANDLE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (symbol, duration, time) DO UPDATE SET "
    "high = GREATEST(candles.high, EXCLUDED.high), low = LEAST(candles.low, EXCLUDED.low), "
    "close = EXCLUDED.close, volume = candles.volume + EXCLUDED.volume"
)
_PUT_CANDLE = (
    f"INSERT INTO candles ({_CANDLE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (symbol, duration, time) DO UPDATE SET open = EXCLUDED.open, "
    "high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume"
)
_INSERT_TRADES = (
    "INSERT INTO trades (symbol, trade_id, price, qty, ts) "
    "SELECT * FROM unnest($1::text[], $2::bigint[], $3::numeric[], $4::numeric[], $5::bigint[]) "
    "ON CONFLICT DO NOTHING RETURNING symbol, trade_id"
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """numeric <-> int via text: exact at any size, and ``int`` is what the records hold."""
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=int, schema="pg_catalog", format="text"
    )


def _count(status: str) -> int:
    """Rows affected, from a command tag such as ``"INSERT 0 1"`` or ``"DELETE 3"``."""
    return int(status.rsplit(" ", 1)[-1])


class PostgresStore:
    """``Store`` on PostgreSQL; ``url`` is a ``postgresql://`` (or ``postgres://``) DSN."""

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self._pool is not None:
            raise RuntimeError("PostgresStore is already open")
        pool = await asyncpg.create_pool(
            self.url, min_size=self._min_size, max_size=self._max_size, init=_init_connection
        )
        try:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK_KEY)
                await conn.execute(schema_sql("postgres"))
                stored = await conn.fetchval(
                    "SELECT value FROM meta WHERE key = $1", SCHEMA_VERSION_KEY
                )
                await conn.execute(_SET_META, SCHEMA_VERSION_KEY, checked_version(stored))
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _db(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("PostgresStore is not open")
        return self._pool

    async def _run(self, sql: str, args: Sequence[Any]) -> int:
        return _count(await self._db().execute(sql, *args))

    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return list(await self._db().fetch(sql, *args))

    async def _fetch_one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return await self._db().fetchrow(sql, *args)

    async def _pages(self, sql: str, after: Any, size: int) -> AsyncIterator[Any]:
        """Rows of a keyset query (``key > $1 ... LIMIT $2``, key first) a page at a time.

        No connection is held across a yield, so a slow consumer never pins one of the pool's.
        """
        while True:
            rows = await self._db().fetch(sql, after, size)
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
        async with self._db().acquire() as conn, conn.transaction():
            if events:
                await conn.executemany(
                    "INSERT INTO journal (seq, ts, type, payload) VALUES ($1, $2, $3, $4)",
                    [(e.seq, e.ts, e.type, e.payload) for e in events],
                )
            if closed:
                await conn.executemany(
                    _UPSERT_CLOSED, [[getattr(o, c) for c in CLOSED_ORDER_COLUMNS] for o in closed]
                )

    async def last_seq(self) -> int:
        return int(await self._db().fetchval("SELECT COALESCE(MAX(seq), 0) FROM journal"))

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        sql = "SELECT seq, ts, type, payload FROM journal WHERE seq > $1 ORDER BY seq LIMIT $2"
        async for seq, ts, type_, payload in self._pages(sql, after_seq, batch):
            yield JournalRecord(seq, ts, type_, bytes(payload))

    async def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        await self._run(
            "INSERT INTO snapshots (seq, ts, payload) VALUES ($1, $2, $3) ON CONFLICT (seq) "
            "DO UPDATE SET ts = EXCLUDED.ts, payload = EXCLUDED.payload",
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
        async with self._db().acquire() as conn, conn.transaction():
            await conn.execute(
                "DELETE FROM snapshots WHERE seq NOT IN "
                "(SELECT seq FROM snapshots ORDER BY seq DESC LIMIT $1)",
                keep_snapshots,
            )
            if prune_journal:  # the oldest kept snapshot covers every row up to its seq
                await conn.execute(
                    "DELETE FROM journal WHERE seq <= (SELECT MIN(seq) FROM snapshots)"
                )

    async def closed_order(self, order_id: str) -> ClosedOrderRecord | None:
        row = await self._fetch_one(
            f"SELECT {_COLS} FROM closed_orders WHERE order_id = $1", (order_id,)
        )
        return None if row is None else ClosedOrderRecord(*row)

    async def closed_orders_for_user(self, user_id: str, limit: int) -> list[ClosedOrderRecord]:
        rows = await self._fetch(
            f"SELECT {_COLS} FROM closed_orders WHERE user_id = $1 "
            "ORDER BY closed_at DESC, order_id DESC LIMIT $2",
            (user_id, check_limit(limit)),
        )
        return [ClosedOrderRecord(*r) for r in rows]

    async def all_closed_orders(self) -> AsyncIterator[ClosedOrderRecord]:
        """Every closed order by order_id, paged so the whole table is never in memory."""
        sql = f"SELECT {_COLS} FROM closed_orders WHERE order_id > $1 ORDER BY order_id LIMIT $2"
        async for row in self._pages(sql, "", 1000):
            yield ClosedOrderRecord(*row)

    # -- users and auth ------------------------------------------------------------------
    async def create_user(self, user: UserRecord) -> None:
        inserted = await self._run(
            "INSERT INTO users (id, email, password_hash, phone, created_at) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (email) DO NOTHING",
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
            f"SELECT id, email, password_hash, phone, created_at FROM users WHERE {column} = $1",
            (value,),
        )
        return None if row is None else UserRecord(*row)

    async def save_magic_token(self, token_hash: str, email: str, expires_at: int) -> None:
        await self._run(
            "INSERT INTO magic_tokens (token_hash, email, expires_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (token_hash) DO UPDATE SET "
            "email = EXCLUDED.email, expires_at = EXCLUDED.expires_at",
            (token_hash, email, expires_at),
        )

    async def consume_magic_token(self, token_hash: str, now_ms: int) -> str | None:
        row = await self._fetch_one(
            "DELETE FROM magic_tokens WHERE token_hash = $1 RETURNING email, expires_at",
            (token_hash,),
        )
        if row is None or row["expires_at"] <= now_ms:
            return None
        return str(row["email"])

    async def revoke_session(self, jti: str, expires_at: int) -> None:
        await self._run(
            "INSERT INTO revoked_sessions (jti, expires_at) VALUES ($1, $2) "
            "ON CONFLICT (jti) DO UPDATE SET expires_at = EXCLUDED.expires_at",
            (jti, expires_at),
        )

    async def forget_expired_auth(self, now_ms: int) -> int:
        tokens = await self._run("DELETE FROM magic_tokens WHERE expires_at <= $1", (now_ms,))
        revoked = await self._run("DELETE FROM revoked_sessions WHERE expires_at <= $1", (now_ms,))
        return tokens + revoked

    async def revoked_sessions(self, now_ms: int) -> set[str]:
        rows = await self._fetch(
            "SELECT jti FROM revoked_sessions WHERE expires_at > $1", (now_ms,)
        )
        return {r["jti"] for r in rows}

    # -- market data ---------------------------------------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        unique = first_of_each(trades)
        if not unique:
            return []
        columns = zip(*((t.symbol, t.trade_id, t.price, t.qty, t.ts) for t in unique), strict=True)
        rows = await self._fetch(_INSERT_TRADES, [list(c) for c in columns])
        inserted = {(r["symbol"], r["trade_id"]) for r in rows}
        return [t for t in unique if (t.symbol, t.trade_id) in inserted]

    async def prune_trades(self, before_ts: int) -> int:
        return await self._run("DELETE FROM trades WHERE ts < $1", (before_ts,))

    async def upsert_candles(self, candles: Sequence[CandleRecord]) -> None:
        await self._candles_many(_UPSERT_CANDLE, candles)

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        await self._candles_many(_PUT_CANDLE, candles)

    async def _candles_many(self, sql: str, candles: Sequence[CandleRecord]) -> None:
        if not candles:
            return
        async with self._db().acquire() as conn, conn.transaction():
            await conn.executemany(
                sql,
                [(c.symbol, c.duration, c.time, c.open, c.high, c.low, c.close, c.volume)
                 for c in candles],
            )  # fmt: skip

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        args: list[Any] = [symbol, duration]
        where = "symbol = $1 AND duration = $2"
        for op, bound in ((">=", start), ("<=", end)):
            if bound is not None:
                args.append(bound)
                where += f" AND time {op} ${len(args)}"
        # With a start, page forward from it; without, take the newest and flip them.
        order = "ASC" if start is not None else "DESC"
        rows = await self._fetch(
            f"SELECT {_CANDLE_COLS} FROM candles WHERE {where} "
            f"ORDER BY time {order} LIMIT ${len(args) + 1}",
            (*args, check_limit(limit)),
        )
        result = [CandleRecord(*r) for r in rows]
        return result if start is not None else result[::-1]

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetch_one("SELECT value FROM meta WHERE key = $1", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        await self._run(
            _SET_META,
            (key, value),
        )
