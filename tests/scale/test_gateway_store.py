"""The gateway's store has the main store's connect and command timeouts: a PostgreSQL that
accepts TCP and never answers refused a gateway's start only after asyncpg's own 60 s, and a
command on a hung one waited for ever."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg
import pytest

from tests.tcpproxy import TcpProxy
from velox.bus.store import GatewayStore
from velox.store import postgres
from velox.store.base import StoreOpenError
from velox.store.opening import open_or_explain

# asyncpg's own timeouts (1 s, below) must end each wait well before this
GIVE_UP_S = 8.0


@pytest.fixture
def proxy(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    monkeypatch.setattr(postgres, "CONNECT_TIMEOUT_S", 1.0)  # 10 s and 30 s in production
    monkeypatch.setattr(postgres, "COMMAND_TIMEOUT_S", 1.0)
    proxy = TcpProxy(urlsplit(pg_url).port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


async def test_a_gateway_start_on_a_silent_postgresql_is_refused_in_time(
    pg_url: str, proxy: TcpProxy
) -> None:
    proxy.hang()
    url = proxy.url(pg_url)
    async with asyncio.timeout(GIVE_UP_S):  # expired: a TimeoutError out of here, a failure
        with pytest.raises(StoreOpenError) as refused:
            await open_or_explain(GatewayStore(url), url, writer=False)
    assert str(refused.value).endswith(": TimeoutError"), refused.value


async def test_a_command_on_a_hung_postgresql_ends_in_time(pg_url: str, proxy: TcpProxy) -> None:
    writer = postgres.PostgresStore(pg_url)
    await writer.open()  # the engine's part: the schema
    await writer.close()
    store = GatewayStore(proxy.url(pg_url))
    await store.open()
    proxy.hang()
    command = asyncio.ensure_future(store.get_meta("schema_version"))
    try:  # waited on, never cancelled: a cancelled asyncpg command can hang the pool
        done, _ = await asyncio.wait({command}, timeout=GIVE_UP_S)
        assert done, "a command on a hung PostgreSQL did not end"
        with pytest.raises(TimeoutError):  # asyncpg's command timeout
            command.result()
    finally:
        proxy.stop()  # the hung connections reset
        await asyncio.wait({command, asyncio.ensure_future(store.close())}, timeout=GIVE_UP_S)


async def test_waiting_for_the_engine_to_create_the_schema_is_one_line(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A start-up review: a gateway waiting for the schema logged an INFO line twice a
    second, for as long as it waited (for ever, with no engine)."""
    store = GatewayStore(pg_url)
    with caplog.at_level("INFO", logger="velox.bus.store"):
        waiting = asyncio.create_task(store.open())
        await asyncio.sleep(1.8)  # three waits of 0.5 s or more
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["gateway: no Velox schema yet; waiting for the engine to create it"]


async def test_a_gateway_waits_for_the_engine_to_upgrade_an_older_database(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Schema version 5 added a column to the orders rows, which only the writer adds. A
    gateway of version 5 that opened a version-4 database before its engine did started at
    once and failed every read of an order (the column does not exist) until the engine
    came; it waits for the upgrade instead, as it waits for the schema."""
    writer = postgres.PostgresStore(pg_url)
    await writer.open()
    await writer.set_meta("schema_version", "4")
    await writer.close()
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("ALTER TABLE orders DROP COLUMN time_in_force")
    finally:
        await conn.close()
    store = GatewayStore(pg_url)
    with caplog.at_level("INFO", logger="velox.bus.store"):
        opening = asyncio.create_task(store.open())
        await asyncio.sleep(1.2)
        assert not opening.done(), "the gateway started on a database its engine had not upgraded"
        writer = postgres.PostgresStore(pg_url)
        await writer.open()  # the engine of this version: adds the column, records 6
        await writer.close()
        async with asyncio.timeout(GIVE_UP_S):
            await opening
    try:
        assert await store.order("no-such-order") is None  # the orders rows are readable
        assert await store.stop("no-such-stop") is None  # and the stops' (version 6)
        assert await store.get_meta("schema_version") == "6"
    finally:
        await store.close()
    lines = [r.getMessage() for r in caplog.records]
    waited = "gateway: the database has schema version 4; waiting for the engine to upgrade it"
    assert lines == [waited]
