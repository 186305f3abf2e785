"""Binance's stream endpoints: market streams and the user-data stream.

- ``/ws/<stream>[/<stream>...]`` (raw payloads) and ``/stream?streams=a/b`` (each wrapped
  as ``{"stream": name, "data": payload}``); the same under USDⓈ-M's routed paths
  ``/public`` and ``/market`` (``/public/ws/<stream>``, ``/market/stream?streams=``), where
  Velox serves every stream on either route. ``/public/ws`` and ``/market/ws`` alone, or
  followed by a number (``/public/ws/0``, ``/ws/3``: a client's connection index, as
  ccxt.pro opens them), open a socket with no stream yet, for ``SUBSCRIBE`` to fill. Bare
  ``/ws`` stays Velox's own websocket.
- ``/ws/<listenKey>``, ``/private/ws?listenKey=<listenKey>`` (the route ccxt.pro and
  Binance use for USDⓈ-M user data) and ``/private/ws/<listenKey>``: the account's events;
  also beside market streams in ``/stream?streams=<listenKey>/btcusdt@bookTicker``, wrapped
  with the key as the stream's name. ``/stream`` with no ``streams`` opens a socket with
  none yet, like ``/public/ws``.

Stream names are lowercase symbol + ``@`` + kind (``btcusdt@bookTicker``,
``ethusdt@kline_1m``, ``btcusdt@depth@100ms``) or a market-wide array (``!ticker@arr``), as
``names.py`` lists them; a name that is not one of ours refuses the handshake with 400 and
Binance's error body, an unknown listen key with -1125. Control messages after connecting
are ``control.py``'s. The server pings every 3 minutes (aiohttp's heartbeat; clients answer
with pongs). A client whose queue fills up (it reads slower than the market moves) is
closed rather than buffered without bound: at once, with 1013, by the native socket's
``close_or_abort`` (velox/web/ws/connection.py), which aborts the connection when the close
frame cannot get through in 2 s. (The writer waited, stuck in a send to a client that had
stopped reading, for as long as the client lived: rev2 saw such sockets kept 331 s with
2.8 MB unsent each.) A client that goes away while it is written to
(aiohttp raises ``ConnectionResetError`` from the write) has closed its socket, as any
client may: its socket ends like any other, logged at DEBUG only (it was a traceback at
ERROR, ~2.3 kB that anyone could have the server write at will). So does one gone before
its upgrade is answered (velox/web/ws/upgrade.py, shared with ``/ws``). Control messages
are read at most ``CONTROL_RATE`` a second after a burst of ``CONTROL_BURST`` (Binance
allows USDⓈ-M clients 10 a second): a client that floods them is read at that pace, each
still answered, and cannot keep the event loop busy subscribing and unsubscribing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator

from aiohttp import WSCloseCode, WSMsgType, web

from velox.binance.keys import LISTEN_KEYS, MARKET_STREAMS
from velox.binance.streams.control import MAX_CONTROL, MAX_STREAMS, control
from velox.binance.streams.listenbook import Listen
from velox.binance.streams.market import MarketStreams
from velox.binance.streams.names import parse_stream
from velox.listenkey_shape import LISTEN_KEY
from velox.tasks import cancel_and_wait, wait_out
from velox.web.jsonio import json_response
from velox.web.ws.budget import MessageBudget
from velox.web.ws.connection import close_or_abort
from velox.web.ws.counted import RETRY_AFTER, TOO_MANY, counted
from velox.web.ws.upgrade import upgrade

HEARTBEAT_S = 180.0
QUEUE_SIZE = 4096
ROUTES = "public|market"  # USDⓈ-M's routed paths for market streams
CONTROL_RATE = 10.0  # control messages read a second (Binance USDⓈ-M: 10 incoming a second)
CONTROL_BURST = 20  # ... after a burst of this many (a client subscribing as it connects)

log = logging.getLogger(__name__)


@contextlib.contextmanager
def client_may_leave() -> Iterator[None]:
    """A write to a client that has gone (reset, or closed mid-message) ends quietly."""
    try:
        yield
    except ConnectionResetError as exc:
        log.debug("a stream client went away while written to: %s", exc)


class StreamClient:
    """One socket's streams and its bounded outgoing queue (``deliver`` never blocks)."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse, combined: bool) -> None:
        self.ws = ws
        self.combined = combined
        self.streams: set[str] = set()
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(QUEUE_SIZE)
        self.overflowed = False
        self.ending = False
        self._transport = request.transport
        self._dropper: asyncio.Task[None] | None = None

    def deliver(self, stream: str, payload: bytes) -> None:
        self.deliver_raw(wrapped(stream, payload) if self.combined else payload)

    def deliver_raw(self, payload: bytes) -> None:
        if self.overflowed or self.ending:
            return
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self._overflow()

    def end(self, farewell: bytes | None) -> None:
        """Send ``farewell`` (if any) after what is queued, then close (a user stream whose
        listen key expired, was deleted, or whose API key was revoked)."""
        if self.ending:
            return
        if farewell is not None:
            self.deliver_raw(farewell)
        self.ending = True
        self._wake()

    def _wake(self) -> None:
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            self._overflow()

    def _overflow(self) -> None:
        """The client fell too far behind: close it now, not when the writer (perhaps stuck
        in a send the client does not read) gets round to it."""
        if self.overflowed:
            return
        self.overflowed = True
        self._dropper = asyncio.create_task(
            self.close(WSCloseCode.TRY_AGAIN_LATER, b"too slow"), name="binance-stream-drop"
        )

    async def close(self, code: int, message: bytes) -> None:
        """Close the socket; abort the connection if the close frame cannot get through."""
        await close_or_abort(self._close, self._abort, code, message)

    async def _close(self, code: int, message: bytes) -> object:
        return await self.ws.close(code=code, message=message)

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    async def stop(self) -> None:
        """On the handler's way out: a drop under way finishes first."""
        if self._dropper is not None:
            await wait_out(self._dropper)

    async def write(self) -> None:
        with client_may_leave():
            while True:
                data = await self.queue.get()
                if self.overflowed:
                    return  # _overflow closes the socket
                if data is None:
                    if self.ending:
                        await self.close(WSCloseCode.POLICY_VIOLATION, b"ended")
                        return
                    continue
                await self.ws.send_str(data.decode())


def wrapped(stream: str, payload: bytes) -> bytes:
    """A combined stream's message: ``{"stream": name, "data": payload}``."""
    return b'{"stream":"' + stream.encode() + b'","data":' + payload + b"}"


class UserPart:
    """A listen key's events on a combined socket (``/stream?streams=<listenKey>/...``),
    wrapped like its market streams, the key as the stream's name. When the key ends, the
    socket ends, as ``/ws/<listenKey>`` does."""

    def __init__(self, client: StreamClient, listen_key: str) -> None:
        self.client = client
        self.listen_key = listen_key

    def deliver_raw(self, payload: bytes) -> None:
        self.client.deliver_raw(wrapped(self.listen_key, payload))

    def end(self, farewell: bytes | None) -> None:
        self.client.end(None if farewell is None else wrapped(self.listen_key, farewell))


def _refuse(msg: str, code: int = -1121) -> web.Response:
    return json_response({"code": code, "msg": msg}, status=400)


def _too_many() -> web.Response:
    """Binance's "too many requests"."""
    return json_response({"code": -1003, "msg": TOO_MANY}, status=429, headers=RETRY_AFTER)


def _names(raw: list[str], market: MarketStreams) -> list[str] | None:
    names = [n for n in raw if n]
    if not names or len(names) > MAX_STREAMS:
        return None
    parsed = [parse_stream(n, market.symbols) for n in names]
    return None if any(p is None for p in parsed) else [p for p in parsed if p]


@counted(_too_many)
async def raw_streams(request: web.Request) -> web.StreamResponse:
    """``[/public|/market]/ws/<streams>``: streams, a connection index, or a listen key."""
    path = request.match_info["streams"]
    if path.isascii() and path.isdigit():
        return await _serve(request, [], combined=False)
    if LISTEN_KEY.fullmatch(path):
        return await _user_stream(request, path)
    names = _names(path.split("/"), request.app[MARKET_STREAMS])
    if names is None:
        return _refuse("Invalid stream name.")
    return await _serve(request, names, combined=False)


@counted(_too_many)
async def no_streams(request: web.Request) -> web.StreamResponse:
    """``/public/ws``, ``/market/ws``: a socket whose streams come by ``SUBSCRIBE``."""
    return await _serve(request, [], combined=False)


@counted(_too_many)
async def private_stream(request: web.Request) -> web.StreamResponse:
    """``/private/ws?listenKey=`` or ``/private/ws/<listenKey>``: the user-data stream."""
    listen_key = request.match_info.get("listenKey") or request.query.get("listenKey", "")
    return await _user_stream(request, listen_key)


async def _user_stream(request: web.Request, listen_key: str) -> web.StreamResponse:
    """The user-data socket: the account's events until the key expires or is revoked."""
    keys = request.app[LISTEN_KEYS]
    listen = await keys.find(listen_key)
    if listen is None:
        return _refuse("This listenKey does not exist.", -1125)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_CONTROL, compress=False)
    gone = await upgrade(request, ws)
    if gone is not None:
        return gone
    with client_may_leave():
        client = StreamClient(request, ws, combined=False)
        keys.attach(listen, client)
        market = request.app[MARKET_STREAMS]
        market.clients.add(client)
        writer = asyncio.create_task(client.write(), name="binance-user-stream-writer")
        try:
            async for _ in ws:
                pass  # nothing to say on a user stream; pings are answered by aiohttp
        finally:
            market.clients.discard(client)
            keys.detach(listen, client)
            await cancel_and_wait(writer)
            await client.stop()
    return ws


@counted(_too_many)
async def combined_streams(request: web.Request) -> web.StreamResponse:
    """``/stream?streams=a/b``: market streams and at most one listen key, or none yet
    (``SUBSCRIBE`` fills it, as on ``/public/ws``)."""
    raw = [n for n in request.query.get("streams", "").split("/") if n]
    keys = [n for n in raw if LISTEN_KEY.fullmatch(n)]
    market_names = [n for n in raw if n not in keys]
    names = _names(market_names, request.app[MARKET_STREAMS]) if market_names else []
    if names is None or len(keys) > 1:
        return _refuse("Invalid stream name.")
    listen = None
    if keys:
        listen = await request.app[LISTEN_KEYS].find(keys[0])
        if listen is None:
            return _refuse("This listenKey does not exist.", -1125)
    return await _serve(request, names, combined=True, listen=listen)


async def _serve(
    request: web.Request, names: list[str], *, combined: bool, listen: Listen | None = None
) -> web.StreamResponse:
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=MAX_CONTROL, compress=False)
    gone = await upgrade(request, ws)
    if gone is not None:
        return gone
    with client_may_leave():
        await _stream(request, ws, names, combined, listen)
    return ws


async def _stream(
    request: web.Request,
    ws: web.WebSocketResponse,
    names: list[str],
    combined: bool,
    listen: Listen | None,
) -> None:
    market = request.app[MARKET_STREAMS]
    client = StreamClient(request, ws, combined)
    market.clients.add(client)
    for name in names:
        client.streams.add(name)
        market.subscribe(client, name)
    user = None if listen is None else UserPart(client, listen.listen_key)
    if listen is not None:
        request.app[LISTEN_KEYS].attach(listen, user)
    writer = asyncio.create_task(client.write(), name="binance-stream-writer")
    pace = MessageBudget(CONTROL_RATE, CONTROL_BURST)  # read at call time (tests lower it)
    try:
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            await pace.take()  # Binance: 10 incoming messages a second per connection
            reply = control(msg.data, client, market)
            await ws.send_str(json.dumps(reply))
    finally:
        market.clients.discard(client)
        for name in client.streams:
            market.unsubscribe(client, name)
        if listen is not None:
            request.app[LISTEN_KEYS].detach(listen, user)
        await cancel_and_wait(writer)
        await client.stop()


async def close_stream_sockets(app: web.Application) -> None:
    """on_shutdown: end every stream socket so the server does not wait on them (all at
    once; one whose client stopped reading is aborted after ``CLOSE_TIMEOUT_S``, as its
    close frame cannot get through)."""
    await asyncio.gather(
        *(client.close(WSCloseCode.GOING_AWAY, b"server shutdown")
          for client in list(app[MARKET_STREAMS].clients))
    )  # fmt: skip
