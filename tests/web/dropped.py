"""Websocket clients that vanish (a TCP reset) at the worst moments, and what was logged.

A client that drops while the server writes to it, or before the server answers its
upgrade, has closed its socket as any client may: the handler must end as on a close, with
nothing at ERROR (aiohttp logs an exception out of a handler as "Error handling request",
a 2.3 kB traceback that one client could repeat to rotate the log away: an outside review).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
import struct
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from velox.web.keys import SOCKET_QUOTA


def handshake(client: TestClient[Any, Any], path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {client.host}:{client.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def reset(writer: asyncio.StreamWriter) -> None:
    """Drop the connection with a TCP reset, at once (SO_LINGER 0), as the review's did."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def upgraded(client: TestClient[Any, Any], path: str) -> asyncio.StreamWriter:
    """A raw connection upgraded to a websocket on ``path``, never read from again."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(handshake(client, path))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head
    return writer


async def reset_before_the_answer(client: TestClient[Any, Any], path: str) -> None:
    """The handshake sent and the connection reset in one go: the server reads the request,
    then finds the connection gone when it answers the upgrade."""
    _, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(handshake(client, path))
    reset(writer)


async def until(check: Callable[[], Any]) -> Any:
    for _ in range(500):
        value = check()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def all_closed(client: TestClient[Any, Any]) -> None:
    """Every socket's handler has returned (each gives its slot back on the way out)."""
    await until(lambda: client.app[SOCKET_QUOTA].open_from("127.0.0.1") == 0)
    await asyncio.sleep(0.05)  # and aiohttp has finished with its request


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
