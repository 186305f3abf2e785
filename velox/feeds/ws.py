"""The reconnecting websocket loop shared by the Binance and Backpack clients.

The client only does I/O: connect, read, hand each text frame to the exchange's pure parser,
await the sink, and decide when to reconnect. Reasons to reconnect, and how soon:

- connect failure, server close, socket error, or a stall (no tick reached the engine for
  ``stall_timeout_s`` while the socket looks open, or every tick of one symbol came back
  refused by the sink for that long): exponential backoff with jitter. The backoff resets
  only once a connection has stayed up and delivered for ``stall_timeout_s`` (30 s), so a
  server that drops us soon after each connect, even with ticks flowing meanwhile, is
  retried with growing waits (Binance allows 300 connections per 5 minutes per IP and bans
  repeat offenders);
- ``serverShutdown``: the normal backoff (short after a healthy connection);
- age ``max_age_s`` (default 23 h, under Binance's 24 h limit): reconnect at once. The gap is
  one handshake (well under a second), far below the 10 s price staleness limit.

Logging stays at about one line per reconnect or less, since a flapping link repeats: the
disconnect line at most once per 10 s with a count (once a minute with ``quiet_retries``),
"receiving ticks" at the first tick of a connection unless it comes amid a run of failed
ones, which ends with one "steady again" line; exchange error replies and malformed frames
are rate-limited too. Connects and losses are DEBUG: the disconnect line says why.

Pings: aiohttp's ``autoping`` answers each ping frame with a pong echoing its payload (the
fake servers' tests check the echo), so a slow sink never delays keep-alive beyond one tick.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Iterable

import aiohttp
import orjson

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.backoff import Backoff
from velox.feeds.base import FeedTick, TickSink
from velox.feeds.messages import ExchangeError, FeedParseError, Parsed, ServerShutdown
from velox.feeds.ratelog import RateLimitedLog
from velox.feeds.symbols import DEFAULT_SYMBOLS, SymbolMap

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0
CLOSE_TIMEOUT_S = 2.0
QUIET_RETRY_LOG_S = 60.0
RETRY_LOG_S = 10.0


class WebsocketFeed(abc.ABC):
    """Base for exchange clients: subclasses give the URL, the subscription and the parser."""

    name: str = "websocket"
    default_url: str = ""

    def __init__(
        self,
        base_url: str | None = None,
        symbols: Iterable[str] | SymbolMap = DEFAULT_SYMBOLS,
        *,
        backoff: Backoff | None = None,
        connect_timeout_s: float = 10.0,
        stall_timeout_s: float = 30.0,
        max_age_s: float = 23 * 3600.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.base_url = (base_url or self.default_url).rstrip("/")
        self.symbols = symbols if isinstance(symbols, SymbolMap) else self.symbol_map(symbols)
        self.backoff = backoff or Backoff()
        self.connect_timeout_s = connect_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.max_age_s = min(max_age_s, DAY_S)
        self._clock = clock
        self.connected = False
        self.last_tick_ms: dict[str, int] = {}
        self.attempts = 0  # connection attempts, failed or not
        self.connections = 0
        self.ticks = 0
        self._live = False  # this connection has delivered a tick
        self._connected_at = 0.0  # loop time
        self._fresh_at = 0.0  # loop time of the connection's start or last tick taken
        self._dropping_since: dict[str, float] = {}  # symbol -> first drop since one taken
        self._bad_message = RateLimitedLog(log)
        self._exchange_error = RateLimitedLog(log, logging.ERROR)
        self._retries = self._retry_log(RETRY_LOG_S)

    def quiet_retries(self, interval_s: float = QUIET_RETRY_LOG_S) -> None:
        """Log failed reconnects once per ``interval_s`` instead of every 10 s at most.

        For background retries nobody waits on (the auto feed runs on the simulator): an
        offline machine would otherwise log a warning every 30 s for as long as Velox runs.
        ``loud_retries`` restores the 10 s.
        """
        self._retries = self._retry_log(interval_s)

    def loud_retries(self) -> None:
        self._retries = self._retry_log(RETRY_LOG_S)

    def _retry_log(self, interval_s: float) -> RateLimitedLog:
        return RateLimitedLog(
            log, logging.WARNING, interval_s, clock=lambda: self._clock.now_ms() / 1000
        )

    @property
    def simulated(self) -> bool:
        return False

    @property
    def parse_errors(self) -> int:
        return self._bad_message.total

    @property
    def exchange_errors(self) -> int:
        return self._exchange_error.total

    @abc.abstractmethod
    def symbol_map(self, symbols: Iterable[str]) -> SymbolMap:
        """The exchange's default spelling of the Velox symbols."""

    @abc.abstractmethod
    def url(self) -> str:
        """The full websocket URL to connect to."""

    @abc.abstractmethod
    def parse(self, message: object, received_ms: int, connection: int) -> Parsed:
        """The exchange's pure parser bound to our symbol map; ticks carry ``connection``."""

    async def on_connected(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Hook run after each (re)connect, e.g. to (re)send SUBSCRIBE."""
        return None  # optional: Binance subscribes through the URL

    async def run(self, sink: TickSink) -> None:
        """Connect, read and reconnect until cancelled."""
        async with aiohttp.ClientSession() as session:
            while True:
                reason, immediate = await self._one_connection(session, sink)
                delay = 0.0 if immediate else self.backoff.next_delay()
                message = "%s: disconnected (%s); reconnecting in %.2f s"
                if immediate:
                    log.info(message, self.name, reason, delay)
                else:
                    self._retries(message, self.name, reason, delay)
                await asyncio.sleep(delay)

    async def _one_connection(
        self, session: aiohttp.ClientSession, sink: TickSink
    ) -> tuple[str, bool]:
        url = self.url()
        self.attempts += 1
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                ws = await session.ws_connect(
                    url,
                    autoping=True,
                    max_msg_size=1 << 20,
                    # A dead peer never answers our close frame: do not wait 10 s for it.
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT_S),
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return f"connect to {self.base_url} failed: {describe(exc)}", False
        try:
            self.connections += 1
            self._live = False
            self._connected_at = asyncio.get_running_loop().time()
            self._set_connected(True)
            await self.on_connected(ws)
            return await self._read(ws, sink)
        except (aiohttp.ClientError, OSError) as exc:
            return f"socket error: {describe(exc)}", False
        finally:
            self._set_connected(False)
            await ws.close()

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, sink: TickSink) -> tuple[str, bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_age_s
        self._fresh_at = loop.time()  # the stall window starts with the connection
        self._dropping_since.clear()
        while True:
            now = loop.time()
            if now >= deadline:
                return f"rotating after {self.max_age_s:.0f} s, before the 24 h limit", True
            stall_at = self._fresh_at + self.stall_timeout_s
            if now >= stall_at:
                return f"stalled: no tick reached the engine for {self.stall_timeout_s} s", False
            try:
                msg = await ws.receive(timeout=min(stall_at, deadline) - now)
            except TimeoutError:
                continue  # the checks above say which deadline passed
            if msg.type is aiohttp.WSMsgType.TEXT:
                stop = await self._handle(msg.data, sink)
                if stop is not None:
                    return stop, False
            elif msg.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                return f"closed by server (code {ws.close_code})", False
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"websocket error: {ws.exception()!r}", False

    async def _handle(self, text: str, sink: TickSink) -> str | None:
        """Parse one frame and deliver it; returns a reason when the connection must end."""
        received_ms = self._clock.now_ms()
        try:
            parsed = self.parse(orjson.loads(text), received_ms, self.connections)
        except (orjson.JSONDecodeError, FeedParseError) as exc:
            self._bad_message("%s: skipping malformed message: %s", self.name, exc)
            return None
        if isinstance(parsed, FeedTick):
            self.ticks += 1
            if await sink(parsed):
                self._fresh(parsed.symbol, received_ms)
            else:
                return self._dropped(parsed.symbol)
        elif isinstance(parsed, ServerShutdown):
            return "serverShutdown announced by the exchange"
        elif isinstance(parsed, ExchangeError):
            self._exchange_error(
                "%s: exchange error %s: %s", self.name, parsed.code, parsed.message
            )
        return None

    def _fresh(self, symbol: str, received_ms: int) -> None:
        """A tick reached the engine: only such ticks make the symbol and the feed fresh.
        The backoff resets once the connection has been up for the stall window: a tick
        alone proves nothing about a server that drops us half a second later."""
        now = asyncio.get_running_loop().time()
        failures = self.backoff.attempts  # reconnects since the last steady connection
        if not self._live:
            self._live = True
            if failures <= 1:  # not amid a run of failures: those end with "steady again"
                log.info("%s: receiving ticks from %s", self.name, self.base_url)
        if failures and now - self._connected_at >= self.stall_timeout_s:
            if failures > 1:
                log.info("%s: steady again after %d reconnects", self.name, failures)
            self.backoff.reset()
        self.last_tick_ms[symbol] = received_ms
        self._fresh_at = now
        self._dropping_since.pop(symbol, None)

    def _dropped(self, symbol: str) -> str | None:
        """The sink dropped a tick (late, by its ids). A symbol whose ticks keep coming but
        are all dropped for the stall window is frozen: end the connection, since a new one
        starts the sink's ordering afresh."""
        now = asyncio.get_running_loop().time()
        since = self._dropping_since.setdefault(symbol, now)
        if now - since < self.stall_timeout_s:
            return None
        return f"stalled: every {symbol} tick dropped for {self.stall_timeout_s} s"

    def _set_connected(self, value: bool) -> None:
        if value != self.connected:
            log.debug("%s: %s %s", self.name, "connected to" if value else "lost", self.base_url)
        self.connected = value


def describe(exc: BaseException) -> str:
    """An error in one short line. Never the request URL: a combined-stream URL lists every
    stream, and a reconnect loop would print it at each attempt."""
    if isinstance(exc, aiohttp.ClientResponseError):
        text = f"HTTP {exc.status} {exc.message}"
    else:
        text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
