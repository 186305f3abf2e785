"""--max-connections-per-ip and --first-request-timeout: what a connection may hold before
it asks for anything.

Each connection holds a file descriptor for as long as it stays open, and aiohttp keeps one
that sends nothing for its keep-alive time (75 s), however many there are: one client that
opened idle connections faster than that filled the process's descriptor limit and no one
else was served (the kernel accepted new connections that nobody read). So:

- at most ``limit`` connections are open at once per client address (an IPv6 client's /64,
  ``clientip.bucket_of``), counted as they connect, before aiohttp sees them: one more is
  closed at once, and logged at most once a minute per address with a count;
- a connection must have sent its first request's headers within ``first_request_s`` of
  connecting, else it is closed (silent ones, and ones trickling header lines); after that
  aiohttp's keep-alive applies as before, so a reverse proxy's pooled connections are not
  cut shorter than they used to be.

The address is the peer's: a connection exists before any request, so ``X-Forwarded-For``
cannot name its client. A peer in ``--trusted-proxies`` is not capped: every client comes
through it, so its cap would be the whole venue's (and two clients' websockets could fill
it); the proxy limits its own connections, and the other limits count its clients apart.

How it plugs into aiohttp, all through public names: ``web.Server`` (what an ``AppRunner``
serves) is the protocol factory ``loop.create_server`` takes; ``guarded(server)`` gives one
whose protocol counts the connection and hands everything to the protocol ``server()`` makes
(aiohttp's ``RequestHandler``, which writes to the transport itself). A request's arrival is
seen through ``server.request_factory``, which aiohttp calls with the connection's
protocol once a request's headers are parsed (malformed ones too).
tests/cli/test_connection_cap.py fails if aiohttp stops doing either.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http import RawRequestMessage
from aiohttp.streams import StreamReader

from velox.web.auth.clientip import UNKNOWN, ClientAddresses, bucket_of, parse_address
from velox.web.auth.refusal_log import PerAddressLog
from velox.web.ws.quota import SocketQuota

log = logging.getLogger(__name__)
TOO_MANY = "too many connections open from this address"


class ConnectionCap:
    """Open connections per address; ``limit`` 0: no cap, ``first_request_s`` 0: no
    deadline (the keep-alive's only)."""

    def __init__(
        self, limit: int, first_request_s: float, trusted_proxies: Iterable[str] = ()
    ) -> None:
        self.limit = limit
        self.first_request_s = first_request_s
        self._open = SocketQuota(limit)  # the same count as the websockets' cap
        self._proxies = ClientAddresses(trusted_proxies)
        self._waiting: dict[web.RequestHandler, asyncio.TimerHandle] = {}
        self._refusals = PerAddressLog(what="connection refused to", logger=log)

    def address_of(self, peer: object) -> str | None:
        """The key ``peer`` (a transport's ``peername``) is counted under; None for a
        trusted proxy, which is not counted."""
        host = str(peer[0]) if isinstance(peer, tuple) and peer else None
        if self._proxies.trusts(parse_address(host)):
            return None
        return UNKNOWN if host is None else bucket_of(host)

    def take(self, address: str) -> bool:
        if not self._open.take(address):
            self._refusals(address, TOO_MANY)
            return False
        return True

    def give_back(self, address: str) -> None:
        self._open.give_back(address)

    def open_from(self, address: str) -> int:
        return self._open.open_from(address)

    def await_request(self, handler: web.RequestHandler, close: Callable[[], None]) -> None:
        """``close()`` unless ``handler`` has a request within ``first_request_s``."""
        if self.first_request_s > 0:
            loop = asyncio.get_running_loop()
            self._waiting[handler] = loop.call_later(self.first_request_s, close)

    def requested(self, handler: web.RequestHandler) -> None:
        timer = self._waiting.pop(handler, None)
        if timer is not None:
            timer.cancel()

    def guarded(self, server: web.Server) -> Callable[[], asyncio.Protocol]:
        """The protocol factory serving ``server`` within the cap and the deadline."""
        make_request = server.request_factory

        def noting_requests(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: web.RequestHandler,
            writer: AbstractStreamWriter,
            task: asyncio.Task[None],
        ) -> web.BaseRequest:
            self.requested(protocol)
            return make_request(message, payload, protocol, writer, task)

        server.request_factory = noting_requests
        return lambda: CountedConnection(self, server)


class CountedConnection(asyncio.Protocol):
    """One connection: counted for its address, then served by ``server()``'s protocol."""

    def __init__(self, cap: ConnectionCap, server: web.Server) -> None:
        self._cap = cap
        self._server = server
        self._address: str | None = None  # counted under (None: not counted)
        self._inner: web.RequestHandler | None = None  # None: refused (or not connected)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        address = self._cap.address_of(transport.get_extra_info("peername"))
        if address is not None and not self._cap.take(address):
            transport.close()  # nothing to say, nothing to flush: the descriptor goes now
            return
        self._address = address
        self._inner = self._server()
        self._inner.connection_made(transport)
        self._cap.await_request(self._inner, transport.close)

    def connection_lost(self, exc: BaseException | None) -> None:
        inner, self._inner = self._inner, None
        if inner is None:
            return
        if self._address is not None:
            self._cap.give_back(self._address)
        self._cap.requested(inner)  # its deadline goes with it
        inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> None:  # None: the transport closes (aiohttp's answer too)
        if self._inner is not None:
            self._inner.eof_received()

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
