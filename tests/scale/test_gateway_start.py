"""A gateway whose start fails half way leaves nothing behind: its NATS connection closed and
no heartbeat running (the other gateways would wait for the confirmations of a gateway that
never serves). It left both when the revoked sessions could not be read (the review of this
session's diff)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from tests.conftest import drop_pg_schema, fresh_pg_url
from velox.bus.store import GatewayStore
from velox.config import Settings
from velox.store.factory import open_store_for
from velox.web import roles


async def test_a_failed_gateway_start_closes_its_bus(
    nats_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await fresh_pg_url()
    made = open_store_for(url)  # the engine's schema: a gateway waits for it
    await made.open()
    await made.close()
    connections: list[Any] = []
    real_connect = roles.connect

    async def connect(*args: Any, **kwargs: Any) -> Any:
        nc = await real_connect(*args, **kwargs)
        connections.append(nc)
        return nc

    async def unreadable(self: Any, now: int) -> Any:
        raise OSError("the database went away")

    monkeypatch.setattr(roles, "connect", connect)
    monkeypatch.setattr(GatewayStore, "revoked_sessions", unreadable)
    settings = Settings(
        db=url, bus=nats_url, data_dir=str(tmp_path), feed="sim",
        jwt_secret="a-gateway-secret-of-32-characters-or-more",
    )  # fmt: skip
    runner = web.AppRunner(roles.gateway_app(settings))
    try:
        with pytest.raises(OSError, match="went away"):
            await runner.setup()
        (nc,) = connections
        assert nc.is_closed
    finally:
        await runner.cleanup()
        await drop_pg_schema(url)
