"""Kline streams of the intervals Velox folds from a stored duration (3m, 30m, 2h, ... 1M).

Each is followed only while someone listens: the forming bucket is the base candles already
closed in it (``done``) plus the base candle forming now (``forming``), updated by every base
candle the writer hands on. When the first update of a bucket is not its first base candle
(a subscription made mid-bucket, a process started mid-week), the base candles before it are
read from the store once, and nothing is sent until they are in: a kline stream never shows
a bucket's open, high, low or volume without its earlier part. A stream nobody listens to is
forgotten, so a later subscriber starts from the store again rather than from a stale bucket.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from velox.market.candles import merge
from velox.market.intervals import DERIVED, bucket_start, fold
from velox.store.records import CandleRecord
from velox.web.keys import CandleQuery

log = logging.getLogger(__name__)

BY_BASE: dict[str, tuple[str, ...]] = {}
for _interval, _derived in DERIVED.items():
    BY_BASE[_derived.base] = (*BY_BASE.get(_derived.base, ()), _interval)

# (the kline, closed?) for one stream
Send = Callable[[str, CandleRecord, bool], None]


@dataclass(slots=True)
class _Bucket:
    start: int
    forming: CandleRecord
    done: CandleRecord | None = None  # the base candles before ``forming``, folded
    ready: bool = False  # ``done`` holds every earlier base candle of the bucket

    def candle(self, interval: str) -> CandleRecord:
        parts = [self.forming] if self.done is None else [self.done, self.forming]
        return fold(interval, parts)[0]


class DerivedKlines:
    def __init__(self, wants: Callable[[str], bool], send: Send) -> None:
        self._wants = wants
        self._send = send
        self._candles: CandleQuery | None = None
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def attach(self, candles: CandleQuery) -> None:
        self._candles = candles

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def on_candle(self, candle: CandleRecord) -> None:
        """A base candle's new state (the writer's full candle of its bucket)."""
        for interval in BY_BASE.get(candle.duration, ()):
            stream = f"{candle.symbol.lower()}@kline_{interval}"
            key = (candle.symbol, interval)
            if not self._wants(stream):
                self._buckets.pop(key, None)
                continue
            self._on_base(stream, key, interval, candle)

    def _on_base(self, stream: str, key: tuple[str, str], interval: str, c: CandleRecord) -> None:
        start = bucket_start(interval, c.time)
        bucket = self._buckets.get(key)
        if bucket is None or start > bucket.start:
            if bucket is not None and bucket.ready:
                self._send(stream, bucket.candle(interval), True)
            bucket = self._buckets[key] = _Bucket(start, c, ready=c.time == start)
            if not bucket.ready:
                self._seed(stream, key, interval, bucket)
        elif start < bucket.start or c.time < bucket.forming.time:
            return  # a late trade's older bucket: the stream has moved on
        elif c.time > bucket.forming.time:
            old = bucket.forming
            bucket.done = old if bucket.done is None else merge(bucket.done, old)
            bucket.forming = c
        else:
            bucket.forming = c
        if bucket.ready:
            self._send(stream, bucket.candle(interval), False)

    def _seed(self, stream: str, key: tuple[str, str], interval: str, bucket: _Bucket) -> None:
        if self._candles is None:
            return  # no store (yet): the stream starts with the next bucket
        task = asyncio.create_task(
            self._read_before(stream, key, interval, bucket, self._candles),
            name="binance-kline-seed",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read_before(
        self, stream: str, key: tuple[str, str], interval: str, bucket: _Bucket,
        candles: CandleQuery,
    ) -> None:  # fmt: skip
        first = bucket.forming.time  # the base candles before the first one seen
        try:
            rows = await candles(key[0], DERIVED[interval].base, bucket.start, first - 1, 1000)
        except Exception:  # the store is down: this bucket stays unsent, the next one starts
            log.warning("could not read %s's earlier candles", stream, exc_info=True)
            return
        if self._buckets.get(key) is not bucket:
            return  # forgotten or moved on meanwhile
        earlier = [c for c in rows if bucket.start <= c.time < first]
        if earlier:
            before = fold(interval, earlier)[0]
            bucket.done = before if bucket.done is None else merge(before, bucket.done)
        bucket.ready = True
        self._send(stream, bucket.candle(interval), False)
