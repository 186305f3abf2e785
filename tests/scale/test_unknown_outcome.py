"""A 503 from a gateway says nothing was done, except when the outcome is unknown, and then
it says so. The engine took the command in time, and its commit (the database stalled for a
moment) outlasted the gateway's wait: the gateway answered the plain 503 ENGINE_NOT_READY
"not ready" and the command was committed a moment later (the review of this session's
diff). A retry without a clientOrderId then opened a second position. The gateway now says
the request may have been carried out (Binance's -1007, "execution status unknown")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.service.test_service import Clock, GatedStore, started
from velox.bus.client import BusEngineClient
from velox.bus.connect import connect
from velox.bus.server import EngineBusServer
from velox.bus.subjects import Subjects
from velox.engine.commands import OpenAccount
from velox.engine.settings import EngineSettings
from velox.published import EngineTimeout
from velox.service import EngineService
from velox.store.base import Store

Answer = Callable[[Any], Awaitable[None]]


@asynccontextmanager
async def engine_and_gateway(
    nats_url: str, store: Store, clock: Clock, *, service_store: Store | None = None,
    timeout_s: float, answer: Callable[[Answer], Answer] | None = None,
) -> AsyncIterator[tuple[EngineService, BusEngineClient]]:  # fmt: skip
    """An engine service (on ``service_store``, else ``store``) behind a real bus server,
    and a gateway's client of it, once the engine's first heartbeat is heard; ``answer``
    wraps the server's command handler."""
    service = await started(service_store or store, clock)
    subjects = Subjects("outcome")
    engine_nc, gateway_nc = await connect(nats_url, "engine"), await connect(nats_url, "gw")
    server = EngineBusServer(engine_nc, service, subjects)
    if answer is not None:
        server._answer = answer(server._answer)  # type: ignore[method-assign]
    await server.start()
    client = BusEngineClient(gateway_nc, store, EngineSettings(), subjects, timeout_s=timeout_s)
    await client.start()
    try:
        while client._live_instance() is None:  # the engine's first heartbeat
            await asyncio.sleep(0.05)
        yield service, client
    finally:
        await client.stop()
        await server.stop()
        await service.stop()
        await gateway_nc.close()
        await engine_nc.close()


async def test_a_commit_that_outlasts_the_wait_is_an_unknown_outcome(
    sqlite_store: Store, nats_url: str
) -> None:
    clock = Clock()
    gated = GatedStore(sqlite_store)
    async with engine_and_gateway(
        nats_url, sqlite_store, clock, service_store=gated, timeout_s=1.0
    ) as (service, client):
        try:
            gated.gate.clear()  # the next commit stalls
            with pytest.raises(EngineTimeout) as unknown:
                await client.submit(OpenAccount("alice", clock()))
            assert str(unknown.value).startswith("the engine did not answer in time: the request")
            gated.gate.set()
            for _ in range(100):
                if "alice" in service.engine.user_accounts:
                    break
                await asyncio.sleep(0.02)
            assert "alice" in service.engine.user_accounts  # it was carried out: "unknown"
        finally:
            gated.gate.set()


async def test_a_command_that_reached_a_stalled_engine_late_is_asked_again(
    sqlite_store: Store, nats_url: str
) -> None:
    """The engine stalled for 0.8 s (a pause, a burst of load) as a command came: it took the
    command after the moment the gateway's attempt said it must start by, so it refused it,
    unrun ("too late"), and the gateway answered 503 "the engine is starting or stopping"
    with 4 of its 5 s still to wait (rev2: 1-20 such answers per pause, and 18 under load
    alone). A refusal for lateness says nothing ran: the gateway asks again (the same
    request id) until its own deadline, as one process would simply have waited."""
    stalls: list[Any] = []

    def stalled_once(answer: Answer) -> Answer:
        async def run(msg: Any) -> None:
            if not stalls:
                stalls.append(msg)
                await asyncio.sleep(0.8)  # past the attempt's start-by (0.5 s of its 1 s)
            await answer(msg)

        return run

    clock = Clock()
    async with engine_and_gateway(
        nats_url, sqlite_store, clock, timeout_s=5.0, answer=stalled_once
    ) as (service, client):
        outcome = await client.submit(OpenAccount("alice", clock()))
        assert outcome.refusal is None and stalls
        assert len(service.engine.user_accounts["alice"]) == 1  # run once
