"""The bus connection's log: losing NATS is a warning (the role is reconnecting); closing
the connection at shutdown is not (every gateway and engine stop said it was reconnecting)."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from tests.conftest import require
from tests.scale.cluster import NATS_SERVER, Nats
from velox.bus.connect import connect

WARNING = "bus: disconnected from NATS; reconnecting"


async def test_a_close_is_quiet_and_a_lost_server_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    require(os.access(NATS_SERVER, os.X_OK), f"no nats-server at {NATS_SERVER}")
    nats = Nats(tmp_path)
    await nats.start()
    try:
        with caplog.at_level("INFO", logger="velox.bus.connect"):
            closing = await connect(nats.url, "closing")
            kept = await connect(nats.url, "kept")
            await closing.close()
            assert [r.getMessage() for r in caplog.records] == []
            await nats.stop()
            async with asyncio.timeout(30):
                while WARNING not in [r.getMessage() for r in caplog.records]:
                    await asyncio.sleep(0.05)
            assert [r.levelname for r in caplog.records if r.getMessage() == WARNING] == [
                "WARNING"
            ]  # one, from the connection that lost its server
            await kept.close()
    finally:
        if nats.proc is not None and nats.proc.returncode is None:
            await nats.stop()


async def test_an_unreachable_nats_at_start_is_one_line_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outside review: waiting for a NATS that refuses, the log got 'bus: [Errno 111]
    Connection refused' at INFO twice a second, for ever, and never the URL (nats-py retries
    the first connection itself, so the warning naming it was never reached)."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"nats://velox:secret@127.0.0.1:{probe.getsockname()[1]}"
    with caplog.at_level("INFO", logger="velox.bus.connect"):
        waiting = asyncio.create_task(connect(url, "waiting"))
        await asyncio.sleep(2.2)  # four retries or more
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert len(lines) == 1, lines
    level, message = lines[0]
    assert (
        level == "WARNING" and f"cannot reach NATS at {url.replace('velox:secret@', '')}" in message
    )
    assert "secret" not in message
