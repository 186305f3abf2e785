"""The gateway's store: PostgreSQL without the writer lock and without the journal.

A gateway writes what is its own (users, sessions, magic links) and reads everything, but
never the journal: that is the engine's, which holds the writer lock. So it opens a pool
like a reader, except that its transactions may write, and any journal commit fails loudly.
It waits for the engine to have created the schema, or upgraded an older one. Its pool is
the main store's, with the same connect and command timeouts (a PostgreSQL that never
answers refuses a start in 10 s).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager

import asyncpg

from velox.store import postgres
from velox.store.base import DatabaseNotFound
from velox.store.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY, checked_version
from velox.store.sqlstore import Tx

log = logging.getLogger(__name__)
SCHEMA_WAIT_S = 0.5


class GatewayStore(postgres.PostgresStore):
    async def open(self, *, writer: bool = False) -> None:
        if writer:
            raise ValueError("a gateway is never the database's writer")
        if self._pool is not None:
            raise RuntimeError("GatewayStore is already open")
        pool = await self._create_pool(read_only=False)  # its timeouts: the writer's
        said: set[str] = set()  # each wait said once, not at every look (twice a second)
        try:
            while (wait := await _wait_reason(pool)) is not None:
                if wait not in said:
                    log.info("gateway: %s", wait)
                    said.add(wait)
                await asyncio.sleep(SCHEMA_WAIT_S)
            self._pool, self._writer = pool, True
            checked_version(await self.get_meta(SCHEMA_VERSION_KEY))
        except BaseException:
            self._forget_connections()
            await pool.close()
            raise

    def _journal_transaction(self) -> AbstractAsyncContextManager[Tx]:
        raise RuntimeError("a gateway never writes the journal (the engine does)")


async def _wait_reason(pool: asyncpg.Pool) -> str | None:
    """Why the gateway cannot start on this database yet, or None. The engine creates the
    schema, and upgrades an older one (version 5 added a column to the orders rows that
    only the writer adds, version 6 the stop_orders table): a gateway of this version
    reading before that fails every read of an order (of a stop). A newer version is
    refused by ``checked_version``, not waited for."""
    if await pool.fetchval("SELECT to_regclass('meta')") is None:
        return "no Velox schema yet; waiting for the engine to create it"
    stored = await pool.fetchval("SELECT value FROM meta WHERE key = $1", SCHEMA_VERSION_KEY)
    if stored is not None and stored.isdigit() and int(stored) < SCHEMA_VERSION:
        return f"the database has schema version {stored}; waiting for the engine to upgrade it"
    return None


def open_gateway_store(url: str) -> GatewayStore:
    if not url.startswith(("postgresql://", "postgres://")):
        raise DatabaseNotFound(
            "a gateway needs the engine's PostgreSQL database (--db postgresql://...)"
        )
    return GatewayStore(url)
