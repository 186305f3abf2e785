"""Binance stream clients that vanish mid-write, or before their upgrade is answered, end
as a close does: nothing logged at ERROR (see tests/web/dropped.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import make_key
from tests.binance.test_user_stream import listen_key
from tests.web.dropped import all_closed, errors, reset, reset_before_the_answer, until, upgraded
from tests.web.helpers import signup
from velox.binance.keys import MARKET_STREAMS
from velox.binance.streams.endpoint import StreamClient

MARKET = ("/stream?streams=btcusdt@bookTicker/ethusdt@aggTrade", "/ws/btcusdt@bookTicker",
          "/public/ws/0", "/market/stream?streams=btcusdt@depth")  # fmt: skip


async def user_stream_path(client: TestClient[Any, Any]) -> str:
    key = await make_key(await signup(client))
    created = await (await listen_key(client, key)).json()
    return f"/ws/{created['listenKey']}"


async def test_a_client_gone_mid_write_is_a_normal_close(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="velox.binance.streams.endpoint")
    streams = client.app[MARKET_STREAMS]
    for path in (*MARKET, await user_stream_path(client)):
        writer = await upgraded(client, path)
        stream: StreamClient = await until(lambda: next(iter(streams.clients), None))
        reset(writer)
        for _ in range(3):  # the first write finds the reset, the next the socket closing
            stream.deliver_raw(b'{"e":"test"}')
        await all_closed(client)
        assert not streams.clients, path
    assert errors(caplog) == []
    gone = [r for r in caplog.records if r.name == "velox.binance.streams.endpoint"]
    assert gone and all(r.levelno == logging.DEBUG for r in gone)


async def test_a_client_gone_before_its_upgrade_is_answered(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    for path in (*MARKET, await user_stream_path(client)):
        for _ in range(5):
            await reset_before_the_answer(client, path)
        await all_closed(client)
    assert errors(caplog) == []
    assert not client.app[MARKET_STREAMS].clients
