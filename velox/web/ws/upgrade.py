"""Answering a websocket upgrade whose client may be gone already: both stream endpoints'.

A client that resets its connection right after sending the upgrade request makes
``WebSocketResponse.prepare`` raise ``ConnectionResetError`` before the socket is set up.
The handlers caught it and returned that response; aiohttp then finishes a returned
response (``prepare``, ``write_eof``), and ``write_eof`` of a websocket that never got its
writer raised ``RuntimeError: Call .prepare() first``, logged at ERROR with a traceback
(rev2: 10 of 200 such resets on ``/ws/btcusdt@bookTicker``, 1-3 of 1,000 on ``/ws``).
A client's going away is its close: ``upgrade`` logs it at DEBUG and gives the handler a
response that aiohttp finishes as a client's disconnect (its ``prepare`` raises
``ConnectionResetError``, which aiohttp takes quietly), never an error.
"""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


class _Gone(web.StreamResponse):
    """What a handler returns for a client gone before its upgrade was answered."""

    async def prepare(self, request: web.BaseRequest) -> None:
        raise ConnectionResetError("the client went away before its upgrade was answered")


async def upgrade(request: web.Request, ws: web.WebSocketResponse) -> web.StreamResponse | None:
    """Answer the upgrade: None once ``ws`` is open, else (the client is gone) the response
    the handler is to return instead of ``ws``."""
    try:
        await ws.prepare(request)
    except ConnectionResetError as exc:
        log.debug("a websocket client went away before its upgrade was answered: %s", exc)
        return _Gone(status=ws.status)
    return None
