"""A Binance stream client that stopped reading is dropped once its queue fills (rev2 D2).

rev2 saw such sockets kept 331 s with ~2.8 MB unsent each (100 of them: +183 MiB): the
writer was stuck in a send the client never read, and the close waited behind it. Now the
overflow closes the socket at once, aborting the connection when the close frame cannot get
through (the native socket's ``close_or_abort``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.test_stream_drops import MARKET, user_stream_path
from tests.web.dropped import all_closed, until, upgraded
from velox.binance.keys import MARKET_STREAMS
from velox.binance.streams import endpoint
from velox.binance.streams.endpoint import StreamClient
from velox.web.ws import connection

BIG = b'"' + b"x" * 65536 + b'"'  # one message of 64 kB
MESSAGES = 300  # ~20 MB: more than the socket buffers on both sides take


async def test_a_client_that_stopped_reading_is_closed(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "QUEUE_SIZE", 16)
    monkeypatch.setattr(connection, "CLOSE_TIMEOUT_S", 0.5)  # the close frame's chance
    streams = client.app[MARKET_STREAMS]
    for path in (*MARKET, await user_stream_path(client)):
        writer = await upgraded(client, path)  # and never read again
        stream: StreamClient = await until(lambda: next(iter(streams.clients), None))
        for _ in range(MESSAGES):
            stream.deliver_raw(BIG)
            await asyncio.sleep(0)  # the writer sends what the buffers take
        assert stream.overflowed, path
        await all_closed(client)  # the handler returned: the socket is closed
        assert not streams.clients, path
        writer.close()


async def test_shutdown_does_not_wait_for_a_client_that_stopped_reading(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "CLOSE_TIMEOUT_S", 0.5)
    streams = client.app[MARKET_STREAMS]
    writer = await upgraded(client, MARKET[0])
    stream: StreamClient = await until(lambda: next(iter(streams.clients), None))
    for _ in range(MESSAGES):  # the writer stuck in a send, the queue far from full
        stream.deliver_raw(BIG)
        await asyncio.sleep(0)
    assert not stream.overflowed
    async with asyncio.timeout(10):  # a failure detector: it waited for ever
        await endpoint.close_stream_sockets(client.app)
    await all_closed(client)
    writer.close()
