"""The whole process under load (SPEC: 200 traders, 500 websocket listeners, the sim feed at
1,000 ticks/s per asset), asserting correctness only: speed is in bench/soak.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.checks import check_durable, check_live, check_no_lost_requests
from tests.system.run import drive
from tests.system.server import ServerProcess


@pytest.mark.slow
async def test_thirty_seconds_of_load_lose_nothing(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'load.db'}"
    server = ServerProcess(db_url, tmp_path)
    await server.start()
    try:
        record = await drive(server, traders=200, listeners=500, seconds=30)
        check_no_lost_requests(record)
        await check_live(server, record)
        assert sum(record.sent.values()) > 2000  # the load really ran
        assert len(record.acked_closes) > 100
        assert record.ws_messages > 10_000 and record.ws_connects >= 500
    finally:
        assert await server.stop() == 0, server.log_tail()
    await check_durable(db_url, record)
