"""Fixtures for the scale-out tests: a real deployment (nats-server, one engine, two
gateways) on a scratch PostgreSQL schema, or a bare nats-server. A missing nats-server or
PostgreSQL skips locally and fails with CI=true."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.conftest import drop_pg_schema, fresh_pg_url, require
from tests.scale.cluster import NATS_SERVER, Cluster, Nats


def require_nats() -> None:
    require(os.access(NATS_SERVER, os.X_OK), f"no nats-server at {NATS_SERVER}")


@contextlib.asynccontextmanager
async def deployment(
    tmp_path: Path,
    extra: tuple[str, ...] = (),
    prepare: Callable[[Cluster], None] = lambda cluster: None,
) -> AsyncIterator[Cluster]:
    """A started deployment with ``extra`` flags for every role (``prepare`` sees it before
    it starts, e.g. to set one process's environment); stopped after, every process ending
    with status 0, and its schema dropped."""
    require_nats()
    url = await fresh_pg_url()
    started = Cluster(url, tmp_path, extra=extra)
    prepare(started)
    try:
        await started.start()
        yield started
    finally:
        try:
            codes = await started.stop()
            assert codes == [0] * len(codes), started.logs()
        finally:
            await drop_pg_schema(url)


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with deployment(tmp_path) as started:
        yield started


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    """A nats-server of the test's own, alone."""
    require_nats()
    server = Nats(tmp_path)
    await server.start()
    try:
        yield server.url
    finally:
        await server.stop()
