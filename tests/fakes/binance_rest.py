"""A fake Binance REST server: ``GET /api/v3/klines`` over real HTTP on 127.0.0.1.

Klines come from a formula (``kline``), so a test knows every value the server can send
without a data file: for the kline of ``interval`` opening at ``t`` (n = t // interval)::

    open = base + (n % 7) units, high = open + 3, low = open - 2, close = open + 1,
    volume = 0.01 per second of the interval (a 1m kline has 0.6, a 1d kline 864)

with base 95000 (BTCUSDT), 3300 (ETHUSDT), 180 (SOLUSDT). As on Binance, only klines that
have opened by ``now_ms`` exist (the current one included), ``startTime``/``endTime`` bound
the open time (both inclusive), ``limit`` defaults to 500 and may not exceed 1000, and errors
are ``{"code": ..., "msg": ...}`` with HTTP 400. Test controls: ``block()``/``release()``
hold every request until released; ``queue_reply(status, headers)`` answers the next
request with that error instead (429 with ``Retry-After``, 418, 500...). Usage::

    rest = FakeBinanceRest(now_ms=T)
    url = await rest.start()          # pass as --binance-rest-url
    ...
    await rest.stop()
"""

from __future__ import annotations

import asyncio

import orjson
from aiohttp import web

from velox.money import SCALE, format_units
from velox.store.records import CandleRecord

INTERVALS_MS = {
    "1s": 1_000, "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000,
    "30m": 1_800_000, "1h": 3_600_000, "2h": 7_200_000, "4h": 14_400_000,
    "6h": 21_600_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
}  # fmt: skip
DURATION_MS = {**INTERVALS_MS, "30s": 30_000}  # Velox's durations include 30s
BASES = {"BTCUSDT": 95_000 * SCALE, "ETHUSDT": 3_300 * SCALE, "SOLUSDT": 180 * SCALE}


def kline(symbol: str, interval: str, t: int) -> CandleRecord:
    """The kline the fake serves, as the candle Velox should store for it."""
    size = INTERVALS_MS[interval]
    o = BASES[symbol] + (t // size % 7) * SCALE
    volume = size // 1000 * SCALE // 100
    return CandleRecord(symbol, interval, t, o, o + 3 * SCALE, o - 2 * SCALE, o + SCALE, volume)


def stored(symbol: str, duration: str, start: int, end: int) -> CandleRecord:
    """What Velox should store for the bucket of ``duration`` at ``start`` from this server's
    klines in ``[start, end)`` (``end`` short of the bucket's end: a prefix before a cut):
    the kline itself for a whole bucket of a Binance interval, else 1m klines for the whole
    minutes (when the duration has them) then 1s klines, folded by plain arithmetic."""
    size = DURATION_MS[duration]
    if duration in INTERVALS_MS and end - start == size:
        return kline(symbol, duration, start)
    minute = end - end % 60_000 if size >= 60_000 else start
    parts = [kline(symbol, "1m", t) for t in range(start, minute, 60_000)]
    parts += [kline(symbol, "1s", t) for t in range(max(start, minute), end, 1000)]
    return CandleRecord(
        symbol, duration, start, parts[0].open, max(p.high for p in parts),
        min(p.low for p in parts), parts[-1].close, sum(p.volume for p in parts),
    )  # fmt: skip


def with_trades(c: CandleRecord, *trades: tuple[int, int]) -> CandleRecord:
    """``c`` with live trades ``(price, qty)`` after it."""
    high, low = max([c.high] + [p for p, _ in trades]), min([c.low] + [p for p, _ in trades])
    volume = c.volume + sum(q for _, q in trades)
    return CandleRecord(c.symbol, c.duration, c.time, c.open, high, low, trades[-1][0], volume)


def _row(c: CandleRecord, size: int) -> list[object]:
    """Binance's 12 columns; money as 8-decimal strings."""
    quote = format_units(c.volume * c.close // SCALE)
    return [
        c.time, format_units(c.open), format_units(c.high), format_units(c.low),
        format_units(c.close), format_units(c.volume), c.time + size - 1, quote, 42,
        format_units(c.volume // 2), format_units(c.volume * c.close // SCALE // 2), "0",
    ]  # fmt: skip


def _error(code: int, msg: str) -> web.Response:
    return web.json_response({"code": code, "msg": msg}, status=400)


class FakeBinanceRest:
    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms
        self.requests: list[dict[str, str]] = []  # query of every request, in order
        self.waiting = 0  # requests held by block() right now
        self._open = asyncio.Event()
        self._open.set()
        self._replies: list[tuple[int, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/api/v3/klines", self._klines)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- test controls ---------------------------------------------------------------------
    def block(self) -> None:
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def queue_reply(self, status: int, headers: dict[str, str] | None = None) -> None:
        self._replies.append((status, headers or {}))

    def served(self, symbol: str, interval: str) -> list[dict[str, str]]:
        return [q for q in self.requests if q["symbol"] == symbol and q["interval"] == interval]

    # -- the endpoint ----------------------------------------------------------------------
    async def _klines(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.requests.append(query)
        self.waiting += 1
        try:
            await self._open.wait()
        finally:
            self.waiting -= 1
        if self._replies:
            status, headers = self._replies.pop(0)
            body = {"code": -1003, "msg": "Too many requests."}
            return web.json_response(body, status=status, headers=headers)
        symbol, interval = query.get("symbol", ""), query.get("interval", "")
        if symbol not in BASES:
            return _error(-1121, "Invalid symbol.")
        if interval not in INTERVALS_MS:
            return _error(-1120, "Invalid interval.")
        try:
            limit = int(query.get("limit", "500"))
            start = int(query["startTime"]) if "startTime" in query else None
            end = min(int(query.get("endTime", self.now_ms)), self.now_ms)
        except ValueError:
            return _error(-1100, "Illegal characters found in a parameter.")
        if not 1 <= limit <= 1000:
            return _error(-1130, "Data sent for parameter 'limit' is not valid.")
        size = INTERVALS_MS[interval]
        last = end - end % size
        if start is None:
            times = range(max(0, last - (limit - 1) * size), last + 1, size)
        else:
            first = -(-start // size) * size
            times = range(first, min(last, first + (limit - 1) * size) + 1, size)
        rows = [_row(kline(symbol, interval, t), size) for t in times]
        return web.Response(body=orjson.dumps(rows), content_type="application/json")
