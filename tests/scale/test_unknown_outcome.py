"""A 503 from a gateway says nothing was done, except when the outcome is unknown, and then
it says so. The engine took the command in time, and its commit (the database stalled for a
moment) outlasted the gateway's wait: the gateway answered the plain 503 ENGINE_NOT_READY
"not ready" and the command was committed a moment later (the review of this session's
diff). A retry without a clientOrderId then opened a second position. The gateway now says
the request may have been carried out (Binance's -1007, "execution status unknown")."""

from __future__ import annotations

import asyncio
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
from velox.store.base import Store


async def test_a_commit_that_outlasts_the_wait_is_an_unknown_outcome(
    sqlite_store: Store, nats_url: str
) -> None:
    clock = Clock()
    gated = GatedStore(sqlite_store)
    service = await started(gated, clock)
    subjects = Subjects("unknown")
    engine_nc, gateway_nc = await connect(nats_url, "engine"), await connect(nats_url, "gw")
    server = EngineBusServer(engine_nc, service, subjects)
    await server.start()
    client = BusEngineClient(gateway_nc, sqlite_store, EngineSettings(), subjects, timeout_s=1.0)
    await client.start()
    try:
        while client._live_instance() is None:  # the engine's first heartbeat
            await asyncio.sleep(0.05)
        gated.gate.clear()  # the next commit stalls
        with pytest.raises(EngineTimeout) as unknown:
            await client.submit(OpenAccount("alice", clock()))
        assert str(unknown.value).startswith("the engine did not answer in time: the request")
        gated.gate.set()
        for _ in range(100):
            if "alice" in service.engine.user_accounts:
                break
            await asyncio.sleep(0.02)
        assert "alice" in service.engine.user_accounts  # it was carried out: hence "unknown"
    finally:
        gated.gate.set()
        await client.stop()
        await server.stop()
        await service.stop()
        await gateway_nc.close()
        await engine_nc.close()


async def test_a_command_that_reached_a_stalled_engine_late_is_asked_again(
    sqlite_store: Store, nats_url: str
) -> None:
    """The engine stalled for 0.8 s (a pause, a burst of load) as a command came: it took the
    command after the moment the gateway's attempt said it must start by, so it refused it,
    unrun ("too late"), and the gateway answered 503 "the engine is starting or stopping"
    with 4 of its 5 s still to wait (rev2: 1-20 such answers per pause, and 18 under load
    alone). A refusal for lateness says nothing ran: the gateway asks again (the same
    request id) until its own deadline, as one process would simply have waited."""
    clock = Clock()
    service = await started(sqlite_store, clock)
    subjects = Subjects("late")
    engine_nc, gateway_nc = await connect(nats_url, "engine"), await connect(nats_url, "gw")
    server = EngineBusServer(engine_nc, service, subjects)
    answer, stalls = server._answer, []

    async def stalled_once(msg: Any) -> None:
        if not stalls:
            stalls.append(msg)
            await asyncio.sleep(0.8)  # past the attempt's start-by (0.5 s of its 1 s)
        await answer(msg)

    server._answer = stalled_once  # type: ignore[method-assign]
    await server.start()
    client = BusEngineClient(gateway_nc, sqlite_store, EngineSettings(), subjects, timeout_s=5.0)
    await client.start()
    try:
        while client._live_instance() is None:  # the engine's first heartbeat
            await asyncio.sleep(0.05)
        outcome = await client.submit(OpenAccount("alice", clock()))
        assert outcome.refusal is None and stalls
        assert len(service.engine.user_accounts["alice"]) == 1  # run once
    finally:
        await client.stop()
        await server.stop()
        await service.stop()
        await gateway_nc.close()
        await engine_nc.close()
