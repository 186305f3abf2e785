"""Fixtures for the scale-out tests: a real deployment (nats-server, one engine, two
gateways) on a scratch PostgreSQL schema. A missing nats-server or PostgreSQL skips locally
and fails with CI=true."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import drop_pg_schema, fresh_pg_url, require
from tests.scale.cluster import NATS_SERVER, Cluster


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    require(os.access(NATS_SERVER, os.X_OK), f"no nats-server at {NATS_SERVER}")
    url = await fresh_pg_url()
    deployment = Cluster(url, tmp_path)
    try:
        await deployment.start()
        yield deployment
    finally:
        try:
            codes = await deployment.stop()
            assert codes == [0] * len(codes), deployment.logs()
        finally:
            await drop_pg_schema(url)
