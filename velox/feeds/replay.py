"""``replay:PATH``: a Binance public trade CSV played back as ticks (data.binance.vision).

Columns: id, price, qty, quoteQty, time, isBuyerMaker, isBestMatch (only the first six are
read). Spot files have no header, futures files may: a first row whose id is not an integer
is taken as a header. ``time`` is µs when it has 16+ digits (spot files from 2025 on), else
ms. Booleans may be ``True`` or ``true``; they are checked, not used. The file holds one
symbol, taken from the constructor or from a name like ``BTCUSDT-trades-2025-01.csv``
(``aggTrades`` files have other columns and are refused).

``speed`` scales the gaps between trade times (2 = twice as fast); 0 plays as fast as the
sink takes it, yielding to the loop every few hundred ticks. Each tick is due at its trade
time's offset from the first trade, divided by ``speed``, in engine time from the first
tick, so waits never add up to a drift. Two rows more than ``MAX_JUMP_MS`` (1 hour) of trade
time apart, either way, are a gap in the data (a corrupt or stray row, like one dated 1970
before rows of today, which made the replay wait 56 years / speed), not trading to wait out:
the later row is played at once and the rows after it are timed from it (logged at most once
per 10 s). Crypto trades round the clock, so a real hour without a trade is rare, and waiting
it out at speed 1 would only leave the prices stale for that hour.

The file is read in chunks in a thread, so a multi-gigabyte CSV never blocks the event loop,
and decoded line by line: a row that is not UTF-8 is skipped like any malformed row. At the
end of the file the feed stays idle (``finished`` is set) until cancelled: prices then go
stale, as they would if an exchange went quiet, rather than looping back in time.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.base import FeedTick, TickSink
from velox.feeds.messages import FeedParseError
from velox.feeds.ratelog import RateLimitedLog
from velox.money import MoneyError, parse_units

log = logging.getLogger(__name__)

_US_THRESHOLD = 10**15  # 16 digits: microseconds since the epoch
_MAX_INT64 = 2**63 - 1  # what a store's integer column holds (ids, times)
MAX_JUMP_MS = 3_600_000  # a longer gap between two rows is not waited out (module docstring)
_SYMBOL_RE = re.compile(r"^([A-Z0-9]+)-trades-")
_BOOLS = {"true", "false"}
SOURCE = "replay"


def symbol_from_path(path: str | Path) -> str:
    """``BTCUSDT-trades-2025-01.csv`` -> ``BTCUSDT``."""
    name = Path(path).name
    if "-aggTrades-" in name:
        raise ValueError(f"{name!r} is an aggTrades file; replay reads trades files only")
    match = _SYMBOL_RE.match(name)
    if match is None:
        raise ValueError(
            f"cannot tell the symbol from {name!r}: name it like BTCUSDT-trades-2025-01.csv"
        )
    return match.group(1)


def _is_integer(text: str) -> bool:
    return text.isascii() and text.isdigit()


def csv_time_ms(raw: int) -> int:
    return raw // 1000 if raw >= _US_THRESHOLD else raw


def is_header(fields: Sequence[str]) -> bool:
    return bool(fields) and not _is_integer(fields[0].strip())


def parse_trade_row(fields: Sequence[str], symbol: str, received_ms: int) -> FeedTick:
    """One CSV row -> a trade tick. Raises FeedParseError for anything malformed."""
    if len(fields) < 6:
        raise FeedParseError(f"expected at least 6 columns, got {len(fields)}")
    trade_id, price, qty, _quote, time, buyer_maker = (f.strip() for f in fields[:6])
    if not _is_integer(trade_id) or not _is_integer(time):
        raise FeedParseError(f"id {trade_id!r} or time {time!r} is not an integer")
    if int(trade_id) > _MAX_INT64 or int(time) > _MAX_INT64:
        raise FeedParseError(f"id {trade_id!r} or time {time!r} is beyond 2**63 - 1")
    if buyer_maker.lower() not in _BOOLS:
        raise FeedParseError(f"isBuyerMaker {buyer_maker!r} is not a boolean")
    try:
        price_units = parse_units(price, allow_zero=False)
        qty_units = parse_units(qty, allow_zero=False)
    except MoneyError as exc:
        raise FeedParseError(f"price {price!r} / qty {qty!r}: {exc}") from exc
    return FeedTick(
        symbol=symbol,
        received_ms=received_ms,
        trade_price=price_units,
        trade_qty=qty_units,
        trade_id=int(trade_id),
        exchange_ms=csv_time_ms(int(time)),
        source=SOURCE,
    )


class ReplayFeed:
    """Replays one trade CSV: ``ReplayFeed(path, symbol=None, speed=1.0)``.

    ``sleep`` is how the feed waits for a tick's due time (tests pass one that records).
    """

    name = "replay"
    recorded = True  # its trades are from the past: candles filed whatever their age
    chunk_bytes = 1 << 16

    def __init__(
        self,
        path: str | Path,
        *,
        symbol: str | None = None,
        speed: float = 1.0,
        clock: Clock = SYSTEM_CLOCK,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self.path = Path(path)
        if not self.path.is_file():  # at start-up, not as a feed that fails at every restart
            raise ValueError(f"replay file {str(self.path)!r} does not exist or is no file")
        self.symbol = symbol or symbol_from_path(self.path)
        self.speed = speed
        self._clock = clock
        self._sleep = sleep
        self.last_tick_ms: dict[str, int] = {}
        self.connected = False
        self.finished = asyncio.Event()
        self.skipped = 0
        self._bad_row = RateLimitedLog(log)
        self._jump = RateLimitedLog(log)

    @property
    def simulated(self) -> bool:
        return True  # recorded prices, not live ones: the UI shows the banner

    async def run(self, sink: TickSink) -> None:
        self.connected = True
        try:
            await self._play(sink)
            log.info("replay: %s finished", self.path)
            self.finished.set()
            await asyncio.Event().wait()  # idle until cancelled
        finally:
            self.connected = False

    async def _play(self, sink: TickSink) -> None:
        start_ms: int | None = None  # engine time the current stretch of rows started
        start_trade_ms = last_trade_ms = 0
        delivered = 0
        async for tick in self._ticks():
            trade_ms = tick.exchange_ms or 0
            if start_ms is None or abs(trade_ms - last_trade_ms) > MAX_JUMP_MS:
                if start_ms is not None:
                    self._jump("replay: trade %s's time jumps %+d s from the row before it; "
                               "played at once, the rows after it timed from it",
                               tick.trade_id, (trade_ms - last_trade_ms) // 1000)  # fmt: skip
                start_ms, start_trade_ms = self._clock.now_ms(), trade_ms
            last_trade_ms = trade_ms
            if self.speed > 0:
                due_ms = start_ms + (trade_ms - start_trade_ms) / self.speed
                wait_ms = due_ms - self._clock.now_ms()
                if wait_ms > 0:
                    await self._sleep(wait_ms / 1000)
            elif delivered % 256 == 255:
                await self._sleep(0)
            tick = replace(tick, received_ms=self._clock.now_ms())  # stamped when sent
            if await sink(tick):  # only a tick that priced the engine makes a symbol fresh
                self.last_tick_ms[tick.symbol] = tick.received_ms
            delivered += 1

    async def _ticks(self) -> AsyncIterator[FeedTick]:
        """The file's trades in order, read in chunks in a thread. Lines are decoded one by
        one: a row that is not UTF-8 is a malformed row like any other, skipped and logged
        (decoding the file as a whole raised at the first bad byte, and the feed failed at
        every restart)."""
        with self.path.open("rb") as handle:
            first = True
            while lines := await asyncio.to_thread(handle.readlines, self.chunk_bytes):
                for raw in lines:
                    try:
                        line = raw.decode("utf-8")
                    except UnicodeDecodeError as exc:
                        self._skip(raw, f"not UTF-8 ({exc.reason} at byte {exc.start})")
                        first = False
                        continue
                    fields = line.rstrip("\r\n").split(",")
                    if first:
                        first = False
                        if is_header(fields):
                            continue
                    if fields == [""]:
                        continue
                    try:
                        tick = parse_trade_row(fields, self.symbol, 0)
                    except FeedParseError as exc:
                        self._skip(raw, str(exc))
                        continue
                    yield tick
        self._bad_row.flush()
        self._jump.flush()

    def _skip(self, raw: bytes, why: str) -> None:
        self.skipped += 1
        self._bad_row("replay: skipping malformed row %r: %s", raw[:80], why[:200])  # one line
