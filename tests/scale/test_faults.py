"""Faults with real processes (issue 16): kill -9 a gateway, kill -9 the engine, restart
NATS, each under load, and nothing acknowledged is lost or done twice."""

from __future__ import annotations

import asyncio
import os
import signal
from types import SimpleNamespace

import pytest

from tests.scale.cluster import Cluster
from tests.scale.helpers import call, healthy, open_order, signup, until
from tests.scale.load import SpreadLoad, check_exactly_once, drive
from tests.system.checks import check_durable, check_live

pytestmark = pytest.mark.slow


async def _not_ready(base: str, token: str) -> bool:
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "5"}
    status, data = await call(base, "POST", "/api/v1/order/open", token, body)
    return status == 503 and data["error"]["code"] == "ENGINE_NOT_READY"


async def test_kill_9_a_gateway_under_load_its_clients_move_and_nothing_is_lost(
    cluster: Cluster,
) -> None:
    dead, alive = cluster.gateways

    def moved(loads: list[SpreadLoad]) -> bool:
        """Every client of the dead gateway has been served by the other one."""
        return all(load.served_by[alive.base] > 0 for load in loads if load.first == dead.base)

    record, loads = await drive(cluster.bases, dead.kill9, settled=moved)
    assert any(load.first == dead.base and load.served_by[dead.base] for load in loads)
    assert moved(loads)
    assert record.opens_acked_by_life[1] > record.opens_acked_by_life[0]
    await check_live(SimpleNamespace(base=alive.base), record)  # type: ignore[arg-type]
    assert await cluster.stop() == [0, 0, 0], cluster.logs()
    await check_durable(cluster.db_url, record)
    await check_exactly_once(cluster.db_url, record, loads)


async def test_kill_9_the_engine_gateways_answer_503_then_resume(cluster: Cluster) -> None:
    a, b = cluster.bases
    token, _ = await signup(a, "probe@scale.example")

    async def kill_and_restart_engine() -> None:
        await cluster.engine.kill9()
        for base in (a, b):
            await until(lambda base=base: _not_ready(base, token), f"{base} answers 503")
            status, health = await call(base, "GET", "/healthz")
            assert status == 503 and health["engine"] != "READY"
        await cluster.engine.start()
        for base in (a, b):
            await until(lambda base=base: healthy(base), f"{base} READY again")

    record, loads = await drive(cluster.bases, kill_and_restart_engine)
    await check_live(SimpleNamespace(base=b), record)  # type: ignore[arg-type]
    assert await cluster.stop() == [0, 0, 0], cluster.logs()
    await check_durable(cluster.db_url, record)  # includes `velox audit`
    await check_exactly_once(cluster.db_url, record, loads)


async def test_orders_answered_503_while_the_engine_is_stalled_are_never_run(
    cluster: Cluster,
) -> None:
    """A 503 says nothing happened. The engine stopped (SIGSTOP) while three opens and a
    close come in through both gateways: each is answered 503, and when the engine runs
    again it must not carry them out from the bus's backlog (it did: the positions opened
    and the position closed seconds later, at another price)."""
    a, b = cluster.bases
    token, _ = await signup(a, "stall@scale.example")
    status, kept = await open_order(a, token)
    assert status == 201
    engine = cluster.engine.proc
    assert engine is not None
    os.kill(engine.pid, signal.SIGSTOP)
    try:
        answers = await asyncio.gather(
            *(open_order(base, token) for base in (a, b, a)),
            call(b, "POST", f"/api/v1/order/close/{kept['orderId']}", token),
        )
    finally:
        os.kill(engine.pid, signal.SIGCONT)
    assert [(s, body["error"]["code"]) for s, body in answers] == [(503, "ENGINE_NOT_READY")] * 4
    for base in (a, b):
        await until(lambda base=base: healthy(base), f"{base} READY again")
    await asyncio.sleep(1.5)  # time for a late command to land, if it were run
    status, orders = await call(b, "GET", "/api/v1/order/user/orders", token)
    assert status == 200
    assert [(o["orderId"], o["status"]) for o in orders["orders"]] == [(kept["orderId"], "OPEN")]


async def test_restart_nats_under_load_everyone_reconnects_nothing_runs_twice(
    cluster: Cluster,
) -> None:
    async def restart_nats() -> None:
        await cluster.nats.kill9()
        await asyncio.sleep(0.5)  # let requests meet the missing bus
        await cluster.nats.start()
        for gateway in cluster.gateways:
            await until(lambda base=gateway.base: healthy(base), f"{gateway.name} READY")

    record, loads = await drive(cluster.bases, restart_nats)
    # both gateways served after the restart (each client stays on its own gateway)
    for gateway in cluster.gateways:
        assert sum(load.served_by[gateway.base] for load in loads) > 0
    await check_live(SimpleNamespace(base=cluster.bases[0]), record)  # type: ignore[arg-type]
    assert await cluster.stop() == [0, 0, 0], cluster.logs()
    await check_durable(cluster.db_url, record)
    await check_exactly_once(cluster.db_url, record, loads)


async def test_a_retry_with_its_client_order_id_after_an_engine_restart_opens_nothing_twice(
    cluster: Cluster,
) -> None:
    """A client that got no answer retries with the same clientOrderId, on another gateway,
    after the engine restarted (whose reply cache is gone): the first order answers."""
    a, b = cluster.bases
    token, _ = await signup(a, "retry@scale.example")
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10",
            "clientOrderId": "retry-1"}  # fmt: skip
    status, first = await call(a, "POST", "/api/v1/order/open", token, body)
    assert status == 201, first
    await cluster.engine.kill9()
    await cluster.engine.start()
    for base in (a, b):
        await until(lambda base=base: healthy(base), f"{base} READY again")
    status, again = await call(b, "POST", "/api/v1/order/open", token, body)
    assert status == 200 and again["orderId"] == first["orderId"], (status, again)
    status, orders = await call(b, "GET", "/api/v1/order/user/orders", token)
    assert status == 200 and [o["orderId"] for o in orders["orders"]] == [first["orderId"]]
