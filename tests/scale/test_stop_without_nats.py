"""SIGTERM while NATS is gone: every role still stops cleanly (status 0), the engine with
its final snapshot. nats-py's ``close`` wrote the unsent messages to the dead socket and
raised, which ended the process with a traceback and status 1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.scale.conftest import deployment
from tests.scale.helpers import signup

pytestmark = pytest.mark.slow


async def test_sigterm_with_nats_gone_stops_every_role_with_status_0(tmp_path: Path) -> None:
    async with deployment(tmp_path) as cluster:
        await signup(cluster.bases[0], "gone@scale.example")
        await cluster.nats.kill9()
        await asyncio.sleep(1.5)  # every role has seen the link go and is reconnecting
        for gateway in cluster.gateways:
            assert await gateway.stop() == 0, gateway.log_tail()
        assert await cluster.engine.stop() == 0, cluster.engine.log_tail()
        for role in (cluster.engine, *cluster.gateways):
            assert "Traceback" not in role.log_tail(), role.log_tail()
        assert "final snapshot at journal" in cluster.engine.log_tail()
