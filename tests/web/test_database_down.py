"""A database that cannot be reached, or cannot write, is an outage, not a bug.

Before, with PostgreSQL refusing connections, signup, signin and the position history each
answered 500 INTERNAL with a traceback in the log, the trade writer dropped every batch while
``/healthz`` listed it ``up``, and ``/healthz`` answered 200 for as long as no order was placed
(only a failed commit marked the journal down). Now such a request answers 503
DATABASE_UNAVAILABLE and logs one line without a traceback, the ``database`` part (a probe) is
``down`` and ``/healthz`` 503 within seconds, the writer is ``down`` while its writes fail, and
all of it comes back by itself. A genuine bug is still 500 INTERNAL with a requestId.

Real PostgreSQL, made unreachable by stopping a TCP proxy in front of it (``tests.tcpproxy``);
real SQLite, made read-only under the running app (``PRAGMA query_only``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from tests.tcpproxy import TcpProxy
from tests.web.conftest import FAST
from tests.web.helpers import PASSWORD, signup
from velox.config import Settings
from velox.store import postgres
from velox.store.sqlite import SqliteStore
from velox.web import middleware
from velox.web.app import create_app
from velox.web.keys import STORE

Client = TestClient[Any, Any]
WAIT_S = 60.0  # generous: a loaded machine may take a while, the test never waits idle


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(int(WAIT_S / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {WAIT_S} s: {what}")


async def health(client: Client) -> tuple[int, Any]:
    response = await client.get("/healthz")
    return response.status, await response.json()


def part_is(client: Client, name: str, state: str, status: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        code, body = await health(client)
        return code == status and body["parts"].get(name, {}).get("state") == state

    return check


def feed_ticking(client: Client) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        _, body = await health(client)
        return bool(body["feed"]["lastTickAgeMs"])

    return check


async def error_of(client: Client, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
    response = await client.request(method, path, **kwargs)
    body = await response.json()
    return response.status, body["error"]["code"]


@pytest.fixture
def proxy(pg_url: str) -> Iterator[TcpProxy]:
    proxy = TcpProxy(urlsplit(pg_url).port or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def one_line_per_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    """The refusals' log line once per test run (the default: once every 10 s)."""
    said = getattr(middleware, "_unavailable_log", None)  # (None before it existed)
    if said is not None:
        monkeypatch.setattr(said, "_interval_s", 3600.0)
        monkeypatch.setattr(said, "_last", None)


async def test_postgresql_unreachable_is_503_and_healthz_says_so_then_recovers(
    pg_url: str,
    proxy: TcpProxy,
    aiohttp_client: Any,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the simulated feed: the trade writer writes a batch every second
    settings = settings.with_(db=proxy.url(pg_url), feed="sim", history_candles=0)
    client: Client = await aiohttp_client(create_app(settings, options=FAST))
    user = await signup(client)
    await until(part_is(client, "writer", "up", 200), "healthz 200 with the writer up")
    # the sim feed reads its last prices before its first tick: on a loaded machine that read
    # may still be waiting, and a feed cut off before it ticks gives the writer nothing to fail
    await until(feed_ticking(client), "the feed ticking")
    _, body = await health(client)
    assert body["parts"]["database"]["state"] == "up"

    caplog.clear()
    with caplog.at_level(logging.INFO):
        proxy.stop()  # PostgreSQL is gone; no order is placed from here on
        await until(part_is(client, "database", "down", 503), "healthz 503, database down")
        credentials = {"email": user.email, "password": PASSWORD}
        refused = [
            await error_of(client, "POST", "/api/v1/user/signup",
                           json={"email": "late@example.com", "password": PASSWORD}),
            await error_of(client, "POST", "/api/v1/user/signin", json=credentials),
            await error_of(client, "GET", "/api/v1/history/positions",
                           headers={"Authorization": f"Bearer {user.token}"}),
        ]  # fmt: skip
        assert refused == [(503, "DATABASE_UNAVAILABLE")] * 3
        await until(part_is(client, "writer", "down", 503), "the trade writer down")
        _, body = await health(client)
        assert body["engine"] == "READY"
        assert body["parts"]["journal"]["state"] == "up"  # no order: no commit failed

        web_lines = [r for r in caplog.records if r.name == "velox.web"]
        assert len(web_lines) == 1, [r.getMessage() for r in web_lines]
        assert "the database is unavailable" in web_lines[0].getMessage()
        velox_tracebacks = [r for r in caplog.records if r.name.startswith("velox") and r.exc_info]
        assert not velox_tracebacks, [r.getMessage() for r in velox_tracebacks]

        proxy.start()  # back: healthz, the writer and signup recover by themselves
        await until(part_is(client, "database", "up", 200), "healthz 200, database up")
        await until(part_is(client, "writer", "up", 200), "the trade writer up again")

    async def signed_up() -> bool:  # the first commit may meet the journal's closed session
        late = {"email": "late@example.com", "password": PASSWORD}
        response = await client.post("/api/v1/user/signup", json=late)
        assert response.status in (201, 503), await response.text()
        return response.status == 201

    await until(signed_up, "signup works again")


async def test_postgresql_that_never_answers_is_503_in_bounded_time_then_recovers(
    pg_url: str,
    proxy: TcpProxy,
    aiohttp_client: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A PostgreSQL that accepts TCP and never answers (hung, a half-open partition): asyncpg
    waited for ever (no command timeout), and once bounded its ``TimeoutError`` was a 500
    INTERNAL with a traceback (on Python 3.11 it is no ``ConnectionError``)."""
    monkeypatch.setattr(postgres, "COMMAND_TIMEOUT_S", 1.0)  # 30 s and 10 s in production
    monkeypatch.setattr(postgres, "CONNECT_TIMEOUT_S", 1.0)
    settings = settings.with_(db=proxy.url(pg_url))
    client: Client = await aiohttp_client(create_app(settings, feed=None, options=FAST))
    user = await signup(client)

    caplog.clear()
    credentials = {"email": user.email, "password": PASSWORD}
    try:
        with caplog.at_level(logging.INFO):
            proxy.hang()
            requests = asyncio.gather(
                error_of(client, "POST", "/api/v1/user/signup",
                         json={"email": "late@example.com", "password": PASSWORD}),
                error_of(client, "POST", "/api/v1/user/signin", json=credentials),
                error_of(client, "GET", "/api/v1/history/positions",
                         headers={"Authorization": f"Bearer {user.token}"}),
            )  # fmt: skip
            # the limit stops a broken build from hanging; it times nothing
            refused = await asyncio.wait_for(requests, WAIT_S)
        assert list(refused) == [(503, "DATABASE_UNAVAILABLE")] * 3
        web_lines = [r for r in caplog.records if r.name == "velox.web"]
        assert len(web_lines) == 1, [r.getMessage() for r in web_lines]
        assert "the database is unavailable" in web_lines[0].getMessage()
        velox_tracebacks = [r for r in caplog.records if r.name.startswith("velox") and r.exc_info]
        assert not velox_tracebacks, [r.getMessage() for r in velox_tracebacks]
    finally:  # the database answers again (the hung connections are reset), pass or fail
        proxy.stop()
        proxy.start()

    async def signed_in() -> bool:
        response = await client.post("/api/v1/user/signin", json=credentials)
        assert response.status in (200, 503), await response.text()
        return response.status == 200

    await until(signed_in, "signin works again")


async def test_sqlite_that_cannot_write_is_503_and_a_bug_is_still_500(
    aiohttp_client: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    client: Client = await aiohttp_client(create_app(settings, feed=None, options=FAST))
    await signup(client)
    store = client.app[STORE]
    assert isinstance(store, SqliteStore)
    writer = store._db()  # every write now fails: "attempt to write a readonly database"
    await writer.execute("PRAGMA query_only = ON")
    signing_up = {"json": {"email": "late@example.com", "password": PASSWORD}}
    assert await error_of(client, "POST", "/api/v1/user/signup", **signing_up) == (
        503, "DATABASE_UNAVAILABLE"
    )  # fmt: skip
    await writer.execute("PRAGMA query_only = OFF")

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(store, "create_user", broken)
    response = await client.post("/api/v1/user/signup", **signing_up)
    body = await response.json()
    assert response.status == 500, body
    assert body["error"]["code"] == "INTERNAL" and body["error"]["requestId"]
    monkeypatch.undo()
    await signup(client, "late@example.com")
