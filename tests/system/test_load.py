"""The whole process under load (SPEC: 200 traders, 500 websocket listeners, the sim feed at
1,000 ticks/s per asset), asserting correctness only: no request lost, nobody starved, and
what was acknowledged is what is stored. Speed (how many, how fast) is in bench/soak.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.checks import check_durable, check_live, check_no_lost_requests
from tests.system.run import drive
from tests.system.server import ServerProcess


@pytest.mark.slow
async def test_twenty_seconds_of_load_lose_nothing(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'load.db'}"
    server = ServerProcess(db_url, tmp_path)
    await server.start()
    try:
        record = await drive(server, traders=200, listeners=500, seconds=20)
        check_no_lost_requests(record)
        await check_live(server, record)
        # Everyone was served: each trader signed up and had an order acknowledged, closes
        # went through, and every listener connected and got prices.
        assert len(record.traders) == 200
        assert [t.email for t in record.traders if not t.token or t.opens_acked == 0] == []
        assert record.acked_closes
        assert record.ws_connects >= 500 and record.ws_listeners_priced == 500
    finally:
        assert await server.stop() == 0, server.log_tail()
    await check_durable(db_url, record)
