"""A request aiohttp's parser refuses leaves no token in the log (SPEC 10), and at most one
WARNING line per second: aiohttp logged each at ERROR with a traceback quoting the bytes
(a whole session cookie or bearer token, the start of a URL carrying a webhook token)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import pytest
from aiohttp.http_exceptions import BadHttpMessage
from aiohttp.test_utils import TestClient

from tests.web.helpers import signup
from velox.web.badrequests import MalformedRequestLog


async def raw(client: TestClient[Any, Any], data: bytes) -> bytes:
    assert client.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)
    writer.write(data)
    await writer.drain()
    line = await reader.readline()
    writer.close()
    return line


async def test_a_malformed_request_logs_no_token_and_one_line(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    user = await signup(client)
    token = user.token
    caplog.set_level(logging.INFO)
    requests = [
        b"GET /api/v1/user/me HTTP/1.1\r\nHost: x\r\nCookie: token=" + token.encode()
        + b"\x01\r\n\r\n",
        b"GET /api/v1/user/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode()
        + b"\x7f\r\n\r\n",
        b"POST /api/v1/webhooks/tradingview?token=" + token.encode() + b"&" + b"p" * 9000
        + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ]  # fmt: skip
    for request in requests:
        assert b" 400 " in await raw(client, request)
    logged = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert token[:40] not in caplog.text
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in logged)
    assert len(logged) == 1  # the next two within the second were held back
    assert logged[0].getMessage().startswith("refused a malformed HTTP request from 127.0.0.1")


def test_the_filter_lets_one_line_a_second_and_counts_the_rest() -> None:
    now = [100.0]
    log = MalformedRequestLog(lambda: now[0])

    def record() -> logging.LogRecord:
        try:
            raise BadHttpMessage("b'Cookie: token=secret'")
        except BadHttpMessage:
            return logging.LogRecord(
                "aiohttp.server", logging.ERROR, __file__, 1,
                "Error handling request from %s", ("10.0.0.1",), sys.exc_info(),
            )  # fmt: skip

    first = record()
    assert log.filter(first) and "secret" not in first.getMessage()
    assert not log.filter(record()) and not log.filter(record())
    now[0] += 1.0
    third = record()
    assert log.filter(third)
    assert third.getMessage() == (
        "refused a malformed HTTP request from 10.0.0.1: BadHttpMessage 400 (2 more held back)"
    )
    other = logging.LogRecord("aiohttp.server", logging.ERROR, __file__, 1, "x", (), None)
    assert log.filter(other)  # anything else passes untouched
