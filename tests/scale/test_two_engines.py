"""One engine per bus prefix for the engine's whole life, and gateways that trust neither of
two (found by the outside review, defect 1).

The check at start ran once: with the engine frozen (SIGSTOP: a paused VM), a second engine
on the same prefix with another database (a misconfigured second deployment) started, and
when the first woke up both ran, the gateways switching between them on every heartbeat:
acknowledged orders came back 500, closes 404, signups landed in the other database, and
neither engine noticed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from tests.scale.cluster import Cluster, Proc, Role
from tests.scale.helpers import call, healthy, open_order, signup, until
from velox.bus import wire
from velox.bus.subjects import Subjects

pytestmark = pytest.mark.slow
EXIT_S = 60.0  # generous: only a broken build waits this long


async def _exit_status(proc: Proc) -> int:
    assert proc.proc is not None
    return await asyncio.wait_for(proc.proc.wait(), EXIT_S)


def _last_line(proc: Proc) -> str:
    return proc.log_tail().strip().splitlines()[-1]


async def _not_ready(base: str, token: str, why: str = "") -> bool:
    status, data = await open_order(base, token, margin="1")
    return status == 503 and data["error"]["code"] == "ENGINE_NOT_READY" and why in str(data)


async def test_an_engine_woken_next_to_another_on_its_prefix_stops_and_so_does_the_other(
    cluster: Cluster, tmp_path: Path
) -> None:
    a, b = cluster.bases
    token, _ = await signup(a, "two-engines@example.com")
    status, kept = await open_order(a, token, margin="1")
    assert status == 201, kept
    first = cluster.engine.proc
    assert first is not None
    stray = Role(
        "engine", "stray", f"sqlite:///{tmp_path / 'stray.db'}", cluster.nats.url, tmp_path, ()
    )
    os.kill(first.pid, signal.SIGSTOP)
    try:
        for base in (a, b):
            await until(lambda base=base: _not_ready(base, token), f"{base} sees no engine")
        await stray.start()  # nobody answers its question at start: it serves
    finally:
        os.kill(first.pid, signal.SIGCONT)
    try:
        assert await _exit_status(stray) == 1, stray.log_tail()
        assert await _exit_status(cluster.engine) == 1, cluster.engine.log_tail()
    finally:
        await stray.stop()
    assert stray.proc is not None
    for other, seen_by in ((first.pid, stray), (stray.proc.pid, cluster.engine)):
        line = _last_line(seen_by)
        assert line.startswith("velox: the engine stopped: another velox engine answers"), line
        assert f"pid {other} " in line, line
    for base in (a, b):
        assert await _not_ready(base, token)
    # nothing acknowledged is lost: the deployment's engine, started again, has it all
    await cluster.engine.start()
    for base in (a, b):
        await until(lambda base=base: healthy(base), f"{base} READY again")
        status, orders = await call(base, "GET", "/api/v1/order/user/orders", token)
        assert status == 200, orders
        assert [o["orderId"] for o in orders["orders"]] == [kept["orderId"]]


@contextlib.asynccontextmanager
async def _another_engines_heartbeat(url: str) -> AsyncIterator[None]:
    """A second engine run's READY heartbeat on the deployment's prefix, twice a second."""
    nc = await nats.connect(url)
    status = wire.encode_status(wire.Status("READY", 0, "f" * 32))

    async def beat() -> None:
        while True:
            await nc.publish(Subjects().status, status)
            await asyncio.sleep(0.5)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await nc.close()


async def test_a_gateway_hearing_two_engines_answers_503_until_it_hears_one_alone(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases
    token, _ = await signup(a, "two-heartbeats@example.com")
    async with _another_engines_heartbeat(cluster.nats.url):
        for base in (a, b):
            await until(lambda base=base: _not_ready(base, token, "two engines"),
                        f"{base} trusts neither")  # fmt: skip
            for _ in range(3):
                assert await _not_ready(base, token, "two engines")
            assert not await healthy(base)
    for base in (a, b):  # the deployment's engine alone again: served as before
        await until(lambda base=base: healthy(base), f"{base} READY again")
        status, data = await open_order(base, token, margin="1")
        assert status == 201, data
