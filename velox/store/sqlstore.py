"""The ``Store`` methods whose SQL is the same on SQLite and PostgreSQL, written once.

A backend (``sqlite.py``, ``postgres.py``) supplies the connections and the two market writes
whose SQL differs:

- ``_fetch``: a read, on a connection no journal commit holds, so a sign-in or a chart never
  waits behind the group commit (nor the commit behind them);
- ``_transaction``: a write transaction, for everything but the journal;
- ``_journal_transaction``: the group commit's (PostgreSQL: the writer's own connection,
  which holds the writer lock; SQLite: the one write connection, as SQLite has one writer).

Statements take ``?`` parameters; a backend's ``Tx`` numbers them for its database
(``schema.placeholders``). Money goes in as decimal text, which SQLite stores as such and
PostgreSQL's numeric codec parses, and comes back through ``int()``: never a float.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from velox.store.apikeys import ApiKeyRows
from velox.store.deposits import DepositRows
from velox.store.funding import FundingRows
from velox.store.history_rows import HistoryRows
from velox.store.listenkeys import FORGET_EXPIRED_LISTEN_KEYS, ListenKeyRows
from velox.store.pages import PageRows
from velox.store.records import (
    AccountRecord,
    CandleRecord,
    ClosedOrderRecord,
    FillRecord,
    JournalRecord,
    OrderRecord,
    RowWrite,
    SnapshotRecord,
)
from velox.store.rows import (
    account_record,
    closed_record,
    fill_record,
    order_record,
    write_statements,
)
from velox.store.schema import (
    ACCOUNT_COLUMNS,
    CLOSED_ORDER_COLUMNS,
    CLOSED_ORDER_MONEY,
    FILL_COLUMNS,
    ORDER_COLUMNS,
    check_events,
    check_keep,
    check_limit,
)
from velox.store.stops import StopRows
from velox.store.trades import TradeRows
from velox.store.users import UserRows

_COLS = ", ".join(CLOSED_ORDER_COLUMNS)
CANDLE_COLUMNS = "symbol, duration, time, open, high, low, close, volume"
INSERT_JOURNAL = "INSERT INTO journal (seq, ts, type, payload) VALUES (?, ?, ?, ?)"
UPSERT_CLOSED = (
    f"INSERT INTO closed_orders ({_COLS}) VALUES ({', '.join('?' * len(CLOSED_ORDER_COLUMNS))}) "
    "ON CONFLICT (order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in CLOSED_ORDER_COLUMNS[1:])
)
# Ties by order id as a number: the index closed_orders_newest_first serves this order.
CLOSED_FOR_USER = (
    f"SELECT {_COLS} FROM closed_orders WHERE user_id = ? "
    "ORDER BY closed_at DESC, length(order_id) DESC, order_id DESC LIMIT ?"
)
SET_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
DELETE_CANDLES = "DELETE FROM candles WHERE symbol = ? AND duration = ? AND time >= ? AND time < ?"
# The first value kept: processes starting together all read back the one that won.
CLAIM_META = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
# Whole candles (exchange history): the same statement in both dialects; executemany runs it
# row by row, so the last of repeats in a batch wins.
PUT_CANDLE = (
    f"INSERT INTO candles ({CANDLE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (symbol, duration, time) DO UPDATE SET open = excluded.open, "
    "high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume"
)
# Range deletes on the expiry indexes: they touch only what expired.
FORGET_EXPIRED_TOKENS = "DELETE FROM magic_tokens WHERE expires_at <= ?"
_LIVE_TOKEN = "FROM magic_tokens WHERE token_hash = ? AND expires_at > ?"
FORGET_EXPIRED_REVOCATIONS = "DELETE FROM revoked_sessions WHERE expires_at <= ?"
# Rows per DELETE of a prune (journal, trades), each its own transaction: a first prune of a
# long history neither holds SQLite's one write connection (every order's commit) for its whole
# length nor runs into PostgreSQL's command timeout.
PRUNE_STEP = 5_000


Statement = tuple[str, Sequence[Sequence[Any]]]  # one executemany: SQL and its rows


class Tx(Protocol):
    """One open transaction of a backend; statements take ``?`` parameters."""

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
        """Run one statement; the number of rows it changed."""

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...


def money_params(values: Iterable[int | None]) -> list[str | None]:
    return [None if v is None else str(v) for v in values]


def closed_params(order: ClosedOrderRecord) -> list[Any]:
    params = []
    for c in CLOSED_ORDER_COLUMNS:
        value = getattr(order, c)
        params.append(str(value) if c in CLOSED_ORDER_MONEY and value is not None else value)
    return params


def candle_params(c: CandleRecord) -> list[Any]:
    return [c.symbol, c.duration, c.time,
            *money_params((c.open, c.high, c.low, c.close, c.volume))]  # fmt: skip


def candle_record(row: Sequence[Any]) -> CandleRecord:
    symbol, duration, time, *prices = row
    return CandleRecord(symbol, duration, time, *(int(p) for p in prices))


class SqlStore(
    ApiKeyRows,
    DepositRows,
    FundingRows,
    HistoryRows,
    ListenKeyRows,
    PageRows,
    StopRows,
    TradeRows,
    UserRows,
    ABC,
):
    """Everything of ``Store`` but opening, closing and the dialect-specific market writes."""

    _writer: bool = False  # set by ``open``: False for a read-only store

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """A read on a reader connection (never one a journal commit holds)."""

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A write transaction for anything but the journal."""

    @abstractmethod
    def _journal_transaction(self) -> AbstractAsyncContextManager[Tx]:
        """The group commit's transaction."""

    async def reclaim_writer(self) -> None:
        """Nothing to do where the lock cannot be lost while the store is open (SQLite's
        lock file is held by this process)."""

    def _check_writable(self) -> None:
        if not self._writer:
            raise RuntimeError(f"{type(self).__name__} was opened read-only (writer=False)")

    async def _execute(self, sql: str, args: Sequence[Any]) -> int:
        """One statement in its own write transaction; the number of rows it changed."""
        async with self._transaction() as tx:
            return await tx.execute(sql, args)

    async def _fetch_one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        rows = await self._fetch(sql, args)
        return rows[0] if rows else None

    async def _pages(self, sql: str, after: Any, size: int) -> AsyncIterator[Any]:
        """Rows of a keyset query (``key > ? ... LIMIT ?``, key first) a page at a time.

        No connection is held across a yield, so a consumer may use the store (or be slow)
        between rows without holding up anyone else.
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
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[RowWrite] = (),
    ) -> None:
        check_events(events)
        statements: list[Statement] = [
            (INSERT_JOURNAL, [(e.seq, e.ts, e.type, e.payload) for e in events]),
            (UPSERT_CLOSED, [closed_params(o) for o in closed]),
        ]
        statements.extend(write_statements(writes))
        await self._journal_statements(statements)

    async def _journal_statements(self, statements: Sequence[Statement]) -> None:
        """Run ``statements`` (each an executemany) as the group commit's one transaction."""
        async with self._journal_transaction() as tx:
            for sql, rows in statements:
                await tx.executemany(sql, rows)

    async def last_seq(self) -> int:
        return int((await self._fetch_one("SELECT COALESCE(MAX(seq), 0) FROM journal"))[0])

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        sql = "SELECT seq, ts, type, payload FROM journal WHERE seq > ? ORDER BY seq LIMIT ?"
        async for seq, ts, type_, payload in self._pages(sql, after_seq, batch):
            yield JournalRecord(seq, ts, type_, bytes(payload))

    async def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        await self._execute(
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
        await self._execute(
            "DELETE FROM snapshots WHERE seq NOT IN "
            "(SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
            (keep_snapshots,),
        )
        if prune_journal:
            await self._prune_journal()

    async def _prune_journal(self) -> None:
        """The rows the oldest kept snapshot covers, ``PRUNE_STEP`` at a time, oldest first
        (a stop in between leaves rows a snapshot covers, which replay skips)."""
        oldest_kept = await self._fetch_one("SELECT MIN(seq) FROM snapshots")
        if oldest_kept is None or oldest_kept[0] is None:
            return
        upto = int(oldest_kept[0])
        while True:
            first = await self._fetch_one("SELECT MIN(seq) FROM journal")
            if first is None or first[0] is None or first[0] > upto:
                return
            step_end = min(upto, int(first[0]) + PRUNE_STEP - 1)
            await self._execute("DELETE FROM journal WHERE seq <= ?", (step_end,))

    async def closed_order(self, order_id: str) -> ClosedOrderRecord | None:
        row = await self._fetch_one(
            f"SELECT {_COLS} FROM closed_orders WHERE order_id = ?", (order_id,)
        )
        return None if row is None else closed_record(row)

    async def closed_orders_for_user(self, user_id: str, limit: int) -> list[ClosedOrderRecord]:
        rows = await self._fetch(CLOSED_FOR_USER, (user_id, check_limit(limit)))
        return [closed_record(r) for r in rows]

    async def all_closed_orders(self) -> AsyncIterator[ClosedOrderRecord]:
        """Every closed order by order_id, paged so the whole table is never in memory."""
        sql = f"SELECT {_COLS} FROM closed_orders WHERE order_id > ? ORDER BY order_id LIMIT ?"
        async for row in self._pages(sql, "", 1000):
            yield closed_record(row)

    # -- accounts, orders, fills (schema version 2) --------------------------------------
    async def accounts_for_user(self, user_id: str) -> list[AccountRecord]:
        """Oldest first: the first is the one made at signup (the default account)."""
        rows = await self._fetch(
            f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts WHERE user_id = ? "
            "ORDER BY length(account_id), account_id",
            (user_id,),
        )
        return [account_record(r) for r in rows]

    async def account(self, account_id: str) -> AccountRecord | None:
        row = await self._fetch_one(
            f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM accounts WHERE account_id = ?",
            (account_id,),
        )
        return None if row is None else account_record(row)

    async def order(self, order_id: str) -> OrderRecord | None:
        row = await self._fetch_one(
            f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders WHERE order_id = ?", (order_id,)
        )
        return None if row is None else order_record(row)

    async def orders_by_ids(self, order_ids: Iterable[str]) -> dict[str, OrderRecord]:
        """The rows of these orders (absent ids left out), a query per ``IDS_PER_QUERY``."""
        rows = await self._fetch_in(f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders", "order_id",
                                    list(order_ids))  # fmt: skip
        records = (order_record(row) for row in rows)
        return {record.order_id: record for record in records}

    async def order_by_client_id(self, account_id: str, client_order_id: str) -> OrderRecord | None:
        row = await self._fetch_one(
            f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders "
            "WHERE account_id = ? AND client_order_id = ? "
            "ORDER BY created_at DESC, length(order_id) DESC, order_id DESC LIMIT 1",
            (account_id, client_order_id),
        )  # the newest: Binance's API may reuse an id whose order has ended
        return None if row is None else order_record(row)

    async def all_orders(self) -> AsyncIterator[OrderRecord]:
        """Every order row by order_id as text (the audit compares), a page at a time."""
        columns = ", ".join(ORDER_COLUMNS)
        sql = f"SELECT {columns} FROM orders WHERE order_id > ? ORDER BY order_id LIMIT ?"
        async for row in self._pages(sql, "", 1000):
            yield order_record(row)

    async def all_fills(self) -> AsyncIterator[FillRecord]:
        """Every fill by fill_id as text (the audit compares sets), a page at a time."""
        columns = ", ".join(FILL_COLUMNS)
        sql = f"SELECT {columns} FROM fills WHERE fill_id > ? ORDER BY fill_id LIMIT ?"
        async for row in self._pages(sql, "", 1000):
            yield fill_record(row)

    # -- auth (the users are velox/store/users.py) -------------------------------------
    async def save_magic_token(self, token_hash: str, email: str, expires_at: int) -> None:
        await self._execute(
            "INSERT INTO magic_tokens (token_hash, email, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (token_hash) DO UPDATE SET "
            "email = excluded.email, expires_at = excluded.expires_at",
            (token_hash, email, expires_at),
        )

    async def magic_token_email(self, token_hash: str, now_ms: int) -> str | None:
        row = await self._fetch_one(f"SELECT email {_LIVE_TOKEN}", (token_hash, now_ms))
        return None if row is None else str(row[0])

    async def consume_magic_token(self, token_hash: str, now_ms: int) -> str | None:
        # Look first: a junk or expired token (anyone can send those) costs one read.
        if await self.magic_token_email(token_hash, now_ms) is None:
            return None
        async with self._transaction() as tx:  # of racing consumers, one deletes the row
            rows = await tx.fetch(f"DELETE {_LIVE_TOKEN} RETURNING email", (token_hash, now_ms))
        return str(rows[0][0]) if rows else None

    async def revoke_session(self, jti: str, expires_at: int) -> None:
        await self._execute(
            "INSERT INTO revoked_sessions (jti, expires_at) VALUES (?, ?) "
            "ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at",
            (jti, expires_at),
        )

    async def forget_expired_auth(self, now_ms: int) -> int:
        async with self._transaction() as tx:
            gone = await tx.execute(FORGET_EXPIRED_TOKENS, (now_ms,))
            gone += await tx.execute(FORGET_EXPIRED_LISTEN_KEYS, (now_ms,))
            return gone + await tx.execute(FORGET_EXPIRED_REVOCATIONS, (now_ms,))

    async def revoked_sessions(self, now_ms: int) -> set[str]:
        rows = await self._fetch("SELECT jti FROM revoked_sessions WHERE expires_at > ?", (now_ms,))
        return {r[0] for r in rows}

    async def sign_out_everywhere(self, user_id: str, before_ms: int) -> None:
        await self._execute(
            "INSERT INTO session_cutoffs (user_id, before_ms) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET before_ms = excluded.before_ms "
            "WHERE session_cutoffs.before_ms < excluded.before_ms",
            (user_id, before_ms),
        )

    async def session_cutoffs(self, since_ms: int) -> dict[str, int]:
        rows = await self._fetch(
            "SELECT user_id, before_ms FROM session_cutoffs WHERE before_ms > ?", (since_ms,)
        )
        return {str(r[0]): int(r[1]) for r in rows}

    async def revocation_count(self, now_ms: int) -> int:
        row = await self._fetch_one(
            "SELECT COUNT(*) FROM revoked_sessions WHERE expires_at > ?", (now_ms,)
        )
        return int(row[0])

    # -- market data ---------------------------------------------------------------------
    async def prune_trades(self, before_ts: int) -> int:
        """Trades older than ``before_ts``, about ``PRUNE_STEP`` at a time, oldest first (the
        trades of one instant go together, even if they are more)."""
        removed = 0
        while True:
            row = await self._fetch_one(
                "SELECT ts FROM trades WHERE ts < ? ORDER BY ts LIMIT 1 OFFSET ?",
                (before_ts, PRUNE_STEP),
            )
            if row is None:  # one step's worth or fewer left
                return removed + await self._execute(
                    "DELETE FROM trades WHERE ts < ?", (before_ts,)
                )
            step = await self._execute("DELETE FROM trades WHERE ts < ?", (row[0],))
            if step == 0:  # the step's oldest instant holds more than a step of trades
                step = await self._execute("DELETE FROM trades WHERE ts <= ?", (row[0],))
            removed += step

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        async with self._transaction() as tx:
            await tx.executemany(PUT_CANDLE, [candle_params(c) for c in candles])

    async def replace_candles(
        self,
        symbol: str,
        duration: str,
        start: int,
        end: int,
        candles: Sequence[CandleRecord],
        meta: Mapping[str, str] | None = None,
    ) -> None:
        async with self._transaction() as tx:
            await tx.execute(DELETE_CANDLES, (symbol, duration, start, end))
            await tx.executemany(PUT_CANDLE, [candle_params(c) for c in candles])
            if meta:
                await tx.executemany(SET_META, list(meta.items()))

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        args: list[Any] = [symbol, duration]
        where = "symbol = ? AND duration = ?"
        for op, bound in ((">=", start), ("<=", end)):
            if bound is not None:
                args.append(bound)
                where += f" AND time {op} ?"
        # With a start, page forward from it; without, take the newest and flip them.
        order = "ASC" if start is not None else "DESC"
        rows = await self._fetch(
            f"SELECT {CANDLE_COLUMNS} FROM candles WHERE {where} ORDER BY time {order} LIMIT ?",
            [*args, check_limit(limit)],
        )
        result = [candle_record(r) for r in rows]
        return result if start is not None else result[::-1]

    async def ping(self) -> None:
        await self._fetch("SELECT 1")

    async def get_meta(self, key: str) -> str | None:
        row = await self._fetch_one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    async def set_meta(self, key: str, value: str) -> None:
        await self._execute(SET_META, (key, value))

    async def claim_meta(self, key: str, value: str) -> str:
        await self._execute(CLAIM_META, (key, value))
        claimed = await self.get_meta(key)
        return value if claimed is None else claimed  # None: never, meta rows stay
