"""Row builders shared by the store tests."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

from velox.store.records import ClosedOrderRecord
from velox.store.schema import placeholders

# What each backend raises for a primary-key clash the store does not translate.
DUPLICATE_KEY = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)
BIG = 10**20  # beyond int64 (about 9.2 * 10^18): catches any lossy integer path


def closed_order(order_id: str, **changes: Any) -> ClosedOrderRecord:
    """A fully populated closed order; tests override only the fields they look at."""
    base = ClosedOrderRecord(
        order_id=order_id,
        parent_order_id=None,
        user_id="u1",
        asset="BTCUSDT",
        side="LONG",
        leverage=10,
        margin=100 * 10**8,
        qty=1_234_567,
        open_price=92_000_50_000_000,
        liquidation_price=83_000_00_000_000,
        stop_loss=None,
        take_profit=None,
        trailing_stop=None,
        close_price=93_000_00_000_000,
        close_reason="USER",
        pnl=-12_345_678,
        settlement=99 * 10**8,
        opened_at=1_700_000_000_000,
        closed_at=1_700_000_100_000,
    )
    return replace(base, **changes)


# Every table: a hold locks them all against writers (never against plain reads).
TABLES = ("meta", "users", "magic_tokens", "revoked_sessions", "session_cutoffs", "journal",
          "snapshots", "closed_orders", "trades", "candles")  # fmt: skip
# A PostgreSQL hold ends itself after this long, so a store call that wrongly waits for it
# fails the test (the hold's end finds the session gone) instead of hanging it.
PG_HOLD_LIMIT = "10s"


class WriteHold:
    """Another connection holding the database's write lock; reads stay possible (WAL, MVCC).

    SQLite: ``BEGIN IMMEDIATE`` on a second connection (a blocked store write fails after the
    store's busy timeout). PostgreSQL: every table locked ``IN EXCLUSIVE MODE``, which admits
    ``SELECT`` and nothing else.
    """

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._sqlite: sqlite3.Connection | None = None
        self._pg: Any = None

    async def __aenter__(self) -> WriteHold:
        if self.db_url.startswith("sqlite:///"):
            self._sqlite = sqlite3.connect(self.db_url[len("sqlite:///") :], isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
        else:
            self._pg = await asyncpg.connect(self.db_url)
            await self._pg.execute(f"SET idle_in_transaction_session_timeout = '{PG_HOLD_LIMIT}'")
            await self._pg.execute("BEGIN")
            await self._pg.execute(f"LOCK TABLE {', '.join(TABLES)} IN EXCLUSIVE MODE")
        return self

    async def wait_for_a_blocked_writer(self) -> None:
        """Return once some store write is waiting for the hold."""
        if self._sqlite is not None:
            for _ in range(5):  # let the writer task run up to its first real wait
                await asyncio.sleep(0)
            return
        while await sessions_blocked_by(self.db_url, self._pg.get_server_pid()) == 0:
            await asyncio.sleep(0.01)

    async def __aexit__(self, *exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("ROLLBACK")
            self._sqlite.close()
            return
        try:
            await self._pg.execute("ROLLBACK")
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as err:
            raise AssertionError(
                f"the hold ended by itself after {PG_HOLD_LIMIT}: a store call waited for it"
            ) from err
        finally:
            await self._pg.close()


async def sessions_blocked_by(db_url: str, server_pid: int) -> int:
    """How many PostgreSQL sessions wait for a lock the session ``server_pid`` holds."""
    conn = await asyncpg.connect(db_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
                server_pid,
            )
        )
    finally:
        await conn.close()


async def query_plan(db_url: str, sql: str, args: Sequence[Any]) -> str:
    """The plan the database picks for ``sql`` (``?`` placeholders), as one string.

    PostgreSQL is told to avoid sequential scans and sorts wherever an index can serve, so
    the plan of a tiny test table shows whether an index can (a big table would use it).
    """
    if db_url.startswith("sqlite:///"):
        with sqlite3.connect(db_url[len("sqlite:///") :]) as conn:
            rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall()
        return "\n".join(str(r[-1]) for r in rows)
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("SET enable_seqscan = off")
        await conn.execute("SET enable_sort = off")
        async with conn.transaction():  # EXPLAIN of a DELETE plans it, never runs it
            rows = await conn.fetch(f"EXPLAIN {placeholders(sql, 'postgres')}", *args)
        return "\n".join(r[0] for r in rows)
    finally:
        await conn.close()
