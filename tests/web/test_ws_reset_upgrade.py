"""A client that resets right after its upgrade request is a close, logged at DEBUG only, on
``/ws`` and on every Binance stream endpoint (velox/web/ws/upgrade.py).

rev2's D4: ``RuntimeError: Call .prepare() first`` at ERROR with a traceback, for 10 of 200
such resets on ``/ws/btcusdt@bookTicker``. Made deterministic here: the upgrade's
``prepare`` is held until the client has sent RST (SO_LINGER 0) and the server has seen it,
then goes on as aiohttp's own."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import struct
import time
import weakref
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.binance.helpers import make_key
from tests.web.helpers import signup

PATHS = ["/ws", "/ws/btcusdt@bookTicker", "/stream?streams=btcusdt@bookTicker", "/public/ws"]


async def _listen_key(client: TestClient[Any, Any]) -> str:
    key = await make_key(await signup(client))
    headers = {"X-MBX-APIKEY": key.api_key}
    response = await client.post("/fapi/v1/listenKey", headers=headers)
    return str((await response.json())["listenKey"])


Go = asyncio.Future[bool]  # set by the test: True when its client has reset
closing: list[bool] = []  # per reset: whether the upgrade met a closing transport


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> asyncio.Queue[Go]:
    """Each upgrade's ``prepare`` announces itself and waits for the test's go-ahead; after
    a reset, also until the server has seen it."""
    prepare = web.WebSocketResponse.prepare
    arrivals: asyncio.Queue[Go] = asyncio.Queue()
    met: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
    closing.clear()

    async def held_prepare(self: web.WebSocketResponse, request: web.BaseRequest) -> Any:
        if self in met:  # aiohttp's own call as it finishes the response
            return await prepare(self, request)
        met.add(self)
        go: Go = asyncio.get_running_loop().create_future()
        arrivals.put_nowait(go)
        if await go:
            # One loop turn at a time, so as to go on in the turn where the server has read
            # the reset (its transport is closing) and before aiohttp's connection_lost,
            # queued for the next turn, has run: rev2's case, where the 101 is written to a
            # closing transport (once the transport is gone, aiohttp refuses earlier, quietly).
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                await asyncio.sleep(0)
            closing.append(request.transport is not None)
        return await prepare(self, request)

    monkeypatch.setattr(web.WebSocketResponse, "prepare", held_prepare)
    return arrivals


async def _reset_after_request(
    client: TestClient[Any, Any], path: str, arrivals: asyncio.Queue[Go]
) -> None:
    key = base64.b64encode(os.urandom(16)).decode()
    _reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.get_extra_info("socket").setsockopt(
        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
    )
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    await writer.drain()
    go = await asyncio.wait_for(arrivals.get(), 10)  # the handler is at the upgrade
    writer.transport.abort()  # RST, the request unanswered
    go.set_result(True)


async def test_a_reset_right_after_the_upgrade_request_is_no_error(
    client: TestClient[Any, Any],
    held: asyncio.Queue[Go],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # as `velox run` serves (aiohttp's default): a handler is not cancelled when its client
    # goes; the test server's own default cancels it, and the upgrade is never answered
    server = client.server.runner.server
    assert server is not None
    server.handler_cancellation = False
    listen_key = await _listen_key(client)
    paths = [*PATHS, f"/ws/{listen_key}", f"/private/ws?listenKey={listen_key}"]
    caplog.set_level(logging.DEBUG)
    for path in paths:
        await _reset_after_request(client, path, held)
    for path in paths:  # and a socket after them is served as ever
        go_ahead = asyncio.create_task(held.get())
        connecting = asyncio.create_task(client.ws_connect(path))
        (await go_ahead).set_result(False)
        ws = await connecting
        await ws.close()
    await asyncio.sleep(0.2)  # aiohttp finishes the handlers' responses
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [(r.name, r.getMessage(), r.exc_info) for r in errors]
    gone = [r for r in caplog.records if "went away before its upgrade" in r.getMessage()]
    assert len(gone) == len(paths)
    assert closing == [True] * len(paths)  # each reset met the case rev2 saw
