"""Books every gateway keeps over NATS (listen keys, websocket tickets), on a real
nats-server: a key or ticket made on one gateway, whose reply the client has read, is found
on another at once, with no window in which the other has not yet heard of it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from types import SimpleNamespace

import pytest
from nats.aio.client import Client

from velox.binance.keyring import Credential
from velox.bus.broadcast import Broadcast
from velox.bus.connect import connect
from velox.bus.gateway import GatewayHub
from velox.bus.keyring import SharedKeyRing
from velox.bus.listenkeys import SharedListenKeys
from velox.bus.roster import Roster
from velox.bus.server import EngineBusServer
from velox.bus.subjects import Subjects
from velox.bus.tickets import SharedTickets
from velox.engine.engine import Engine
from velox.published import EngineState
from velox.web.auth.sessions import Session, SessionManager

CREDENTIAL = Credential("key1", "u1", "7", "api", "secret", ("read",))


@pytest.fixture
async def gateways(nats_url: str) -> AsyncIterator[list[Client]]:
    """Two gateways' NATS connections to a real nats-server."""
    connections = [await connect(nats_url, name) for name in ("a", "b")]
    try:
        yield connections
    finally:
        for nc in connections:
            await nc.close()


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


async def test_a_listen_key_made_on_one_gateway_is_found_on_another_at_once(
    gateways: list[Client],
) -> None:
    a, b = (SharedListenKeys(lambda: Engine(), wall_ms, nc, Subjects()) for nc in gateways)
    for book in (a, b):
        await book.start()
    for _ in range(20):  # the reply goes once caught up; the client comes to B
        listen_key = a.create(CREDENTIAL).listen_key
        await a.catch_up()
        found = await b.find(listen_key)  # the user-stream socket
        assert found is not None and found.account_id == "7"
        assert a.close(CREDENTIAL)
        await a.catch_up()
        listen_key = a.create(CREDENTIAL).listen_key
        await a.catch_up()
        live = await b.find_live(CREDENTIAL)  # a keepalive, a close or a second create
        assert live is not None and live.listen_key == listen_key
        assert b.create(CREDENTIAL).listen_key == listen_key  # the same key, extended
        assert b.close(CREDENTIAL)
        await b.catch_up()
        assert await a.find_live(CREDENTIAL) is None
    assert await b.find("x" * 64) is None  # a key nobody made: refused after one trip


async def test_a_ticket_issued_on_one_gateway_opens_a_socket_on_another_at_once(
    gateways: list[Client],
) -> None:
    a, b = (SharedTickets(30, nc, Subjects()) for nc in gateways)
    for book in (a, b):
        await book.start()
    for i in range(20):
        session = Session("u1", f"jti{i}", wall_ms() + 60_000, False)
        ticket = a.issue(session)
        await a.issued_on_bus()  # the ticket response waits for this
        await b.claim(ticket)  # ticket_middleware, before the handshake on B
        assert b.redeem(ticket) == session
        assert a.redeem(ticket) is None  # one socket in the whole deployment


class _IdleService:
    """Just enough of an engine service for the bus server's heartbeat."""

    state = EngineState.READY
    seq = 0

    def subscribe_staged(self, listener: object) -> None:
        pass


async def test_history_written_on_the_engine_is_told_to_a_gateways_charts(
    gateways: list[Client],
) -> None:
    """The engine's trade writer filled in history (``candles_filled``): every gateway tells
    the charts subscribed to that series, as the single process does."""
    engine_nc, gateway_nc = gateways
    server = EngineBusServer(engine_nc, _IdleService(), Subjects())  # type: ignore[arg-type]
    hub = GatewayHub(lambda: Engine(), gateway_nc, Subjects(), Roster(gateway_nc, "roster"),
                     SessionManager("s" * 32, 60), 60_000, 0.05)  # fmt: skip
    told: list[tuple[str, str]] = []
    hub.publish_history = lambda symbol, duration: told.append((symbol, duration))  # type: ignore[method-assign]
    await hub.start()
    await server.start()
    try:
        async with asyncio.timeout(5):
            while not told:  # again until the gateway's subscription is on the server
                server.on_history("BTCUSDT", "1m")
                await asyncio.sleep(0.05)
        assert set(told) == {("BTCUSDT", "1m")}
    finally:
        await server.stop()


async def test_a_confirmed_broadcast_returns_once_every_live_gateway_applied_it(
    gateways: list[Client],
) -> None:
    """``confirmed`` waits for each gateway in the roster (not for NATS to take it), and a
    gateway that never confirms is waited for once, briefly, then dropped from the roster."""
    a_nc = gateways[0]
    rosters = [Roster(nc, "roster") for nc in gateways]
    for roster in rosters:
        await roster.start(greet_s=0.2)
    a, b = (
        Broadcast(nc, "revoked", "test", r.instance)
        for nc, r in zip(gateways, rosters, strict=True)
    )
    applied: list[str] = []

    def slow_apply(message: dict[str, object]) -> None:
        time.sleep(0.2)  # B is busy: a reply that did not wait would beat this
        applied.append(str(message["x"]))

    await a.listen(lambda message: None)
    await b.listen(slow_apply)
    await b.caught_up()  # B's subscription is on the server (as a gateway's start waits)
    try:
        assert rosters[0].others() == {rosters[1].instance}
        await a.confirmed({"x": "one"}, rosters[0])
        assert applied == ["one"]
        mute = Roster(a_nc, "roster")  # "live" (its hello was heard) but never confirms
        await mute.start(greet_s=0.1)
        assert mute.instance in rosters[0].others()
        started = time.monotonic()
        await a.confirmed({"x": "two"}, rosters[0], timeout_s=0.5)
        assert applied == ["one", "two"]
        assert 0.4 < time.monotonic() - started < 2
        assert rosters[0].others() == {rosters[1].instance}  # the mute one is not waited for
        await mute.stop()
    finally:
        for roster in rosters:
            await roster.stop()


def test_a_key_deleted_while_this_gateway_starts_drops_its_listen_keys() -> None:
    """Before the Binance API's context has made the key ring, a gateway may already hold
    listen keys (its peers told it at its hello): a key deletion confirmed then must drop
    them too (it returned early, keeping a deleted key's listen key streaming here)."""
    gone: list[str] = []
    roster = SimpleNamespace(instance="me")
    ring = SharedKeyRing(None, Subjects(), roster, gone.append)  # type: ignore[arg-type]
    ring._apply({"revoke": "api-key", "id": "key-7"})
    assert gone == ["key-7"]
