"""Binance REST klines: paging, pacing, and backoff on 429/418 and network errors.

Chart history is fetched in the background (``velox.market.backfill``), so this client is
gentle rather than fast, and never the reason Binance bans the host (its REST limits are per
IP, shared with anything else on it):

- at most ``requests_per_second`` requests (default 2), each for up to 1000 klines (the
  maximum ``limit``); a range longer than that is fetched page by page;
- 429 (rate limited) and 418 (banned after ignoring 429s): no request at all before the
  reply's ``Retry-After`` seconds have passed (the backoff when it has none), for every caller;
- a network error, a timeout or a 5xx: retried after an exponential backoff that starts at
  one request interval;
- after ``attempts`` failures in a row, or when the wait would exceed ``max_wait_s`` (a long
  ban), ``KlinesUnavailable``: the caller gives up quietly; any other 4xx (an unknown symbol
  or interval) is ``KlinesRejected`` at once. Retries log at DEBUG only: an offline machine
  must not fill its log because a chart has no history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

import aiohttp
import orjson

from velox.feeds.backoff import Backoff
from velox.feeds.klines_parse import Kline, parse_klines
from velox.feeds.messages import FeedParseError
from velox.feeds.symbols import DEFAULT_SYMBOLS, SymbolMap, binance_symbols
from velox.feeds.ws import describe

log = logging.getLogger(__name__)

DEFAULT_BINANCE_REST_URL = "https://api.binance.com"
KLINES_PATH = "/api/v3/klines"
MAX_LIMIT = 1000
RATE_LIMITED = (429, 418)


class KlinesUnavailable(Exception):
    """The exchange cannot be reached now, or keeps refusing us: try again another time."""


class KlinesRejected(Exception):
    """The exchange refused the request itself (an unknown symbol or interval)."""


class BinanceKlines:
    """``await klines.klines("BTCUSDT", "1m", start_ms, end_ms)``; ``await klines.close()``.

    ``sleep`` and ``monotonic`` are the waiting and the clock the pacing uses (tests pass
    fakes to see the waits without waiting).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BINANCE_REST_URL,
        symbols: Iterable[str] | SymbolMap = DEFAULT_SYMBOLS,
        *,
        requests_per_second: float = 2.0,
        attempts: int = 4,
        max_wait_s: float = 120.0,
        timeout_s: float = 10.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.base_url = base_url.rstrip("/")
        self.symbols = symbols if isinstance(symbols, SymbolMap) else binance_symbols(symbols)
        self.interval_s = 1.0 / requests_per_second
        self.attempts = attempts
        self.max_wait_s = max_wait_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.backoff = backoff or Backoff(base_s=self.interval_s, max_s=60.0)
        self._sleep = sleep
        self._monotonic = monotonic
        self._next_at = 0.0  # earliest start of the next request (pacing)
        self._not_before = 0.0  # no request before this (Retry-After, backoff)
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def klines(self, symbol: str, interval: str, start_ms: int, end_ms: int) -> list[Kline]:
        """Every kline of ``interval`` opening in ``[start_ms, end_ms)``, oldest first."""
        try:
            exchange_symbol = self.symbols.exchange(symbol).upper()
        except KeyError as exc:
            raise KlinesRejected(f"no Binance symbol for {symbol}") from exc
        rows: list[Kline] = []
        start = start_ms
        while start < end_ms:
            page = await self._page(exchange_symbol, interval, start, end_ms - 1)
            rows.extend(k for k in page if start <= k.time < end_ms)
            if len(page) < MAX_LIMIT:
                break
            if page[-1].time < start:  # a server ignoring startTime would loop forever
                raise KlinesUnavailable("klines reply went backwards; startTime ignored?")
            start = page[-1].time + 1
        return rows

    async def _page(self, symbol: str, interval: str, start: int, end: int) -> list[Kline]:
        params = {
            "symbol": symbol, "interval": interval, "startTime": str(start),
            "endTime": str(end), "limit": str(MAX_LIMIT),
        }  # fmt: skip
        payload = await self._get(params)
        try:
            return parse_klines(payload)
        except FeedParseError as exc:
            raise KlinesRejected(f"malformed klines reply: {exc}") from exc

    async def _get(self, params: dict[str, str]) -> object:
        reason = ""
        for attempt in range(1, self.attempts + 1):
            await self._pace()
            self.requests += 1
            try:
                async with self._client().get(self.base_url + KLINES_PATH, params=params) as r:
                    if r.status == 200:
                        self.backoff.reset()
                        return orjson.loads(await r.read())
                    body = (await r.text())[:200]
                    reason = f"HTTP {r.status} {body}".strip()
                    if r.status in RATE_LIMITED:
                        delay = _retry_after(r.headers.get("Retry-After"))
                    elif r.status >= 500:
                        delay = None
                    else:
                        raise KlinesRejected(reason)
            except (aiohttp.ClientError, OSError, TimeoutError, orjson.JSONDecodeError) as exc:
                reason, delay = describe(exc), None
            wait = self.backoff.next_delay() if delay is None else delay
            self._not_before = self._monotonic() + wait
            log.debug("klines %s: %s (attempt %d); waiting %.2f s", params, reason, attempt, wait)
        raise KlinesUnavailable(f"{reason} ({self.attempts} attempts)")

    async def _pace(self) -> None:
        now = self._monotonic()
        at = max(self._next_at, self._not_before)
        if at - now > self.max_wait_s:
            raise KlinesUnavailable(f"asked to wait {at - now:.0f} s before the next request")
        if at > now:
            await self._sleep(at - now)
        self._next_at = max(at, now) + self.interval_s

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session


def _retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (Binance sends whole seconds); None if unusable."""
    try:
        seconds = float(header) if header is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
