"""Chart history from Binance's REST klines, for what came before a live session's cut.

For each cut (``velox.market.history``), in this order:

1. the boundary prefixes, so the current candles are right first: 1m klines from the
   earliest boundary (the day's start) up to the cut's minute, 1s klines from there up to
   the cut, folded into the part before the cut of each duration's current bucket (three
   requests at most);
2. each duration's history, from the newest candle stored before its boundary (fetched
   again: it may be partial) up to the boundary, at most ``count`` candles back: the gap
   after a stop or an outage. Where the simulator invented candles (``velox.market.invented``,
   the auto feed before Binance came up), the history starts at the first of them and
   replaces each invented span, those the exchange has no data for dropped, with its mark in
   the same transaction. 1m comes first (the chart opens on it), 30s last.

When the klines cannot be had, the invented spans are dropped all the same (a gap, not
invented prices in front of real ones) before the pass gives up.

Binance has no 30s klines: 30s candles are folded from 1s klines, 30 rows each (up to 30
requests for 1000 candles, hence last). Requests are paced by the klines client; every
fetch is of closed klines only (they all end by the cut), so no stale value of an unfinished
candle is ever written. A range fetched once per pass is not fetched again (the 1m klines of
step 1 usually cover step 2's 1m gap).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from velox.feeds.klines import KlinesRejected, KlinesUnavailable
from velox.feeds.klines_parse import Kline
from velox.market.backfill import HistoryRefused, HistoryUnavailable, HistoryWriter
from velox.market.candles import DURATIONS_MS, bucket_start
from velox.market.history import MINUTE_MS, LiveCut, boundary, fold, prefix, window_start
from velox.market.invented import invented_range
from velox.market.provenance import Marks, Span
from velox.store.base import Store
from velox.store.records import CandleRecord

ORDER = ("1m", "5m", "15m", "1h", "4h", "1d", "1s", "30s")
KLINE_INTERVAL = {"30s": "1s"}  # Binance has no 30s klines


class ReplacingWriter(HistoryWriter, Protocol):
    """``TradeWriter``: also replaces a range of invented candles."""

    async def invented(self, cut: LiveCut) -> Marks: ...

    async def replace_history(
        self, cut: LiveCut, duration: str, span: Span, candles: Sequence[CandleRecord]
    ) -> None: ...


class KlineSource(Protocol):
    base_url: str

    async def klines(
        self, symbol: str, interval: str, start_ms: int, end_ms: int
    ) -> list[Kline]: ...

    async def close(self) -> None: ...


class _Fetched:
    """One pass's klines of one symbol, so an interval's range is fetched once."""

    def __init__(self, source: KlineSource, symbol: str) -> None:
        self._source = source
        self._symbol = symbol
        self._held: dict[str, tuple[int, int, list[CandleRecord]]] = {}

    async def get(self, interval: str, start: int, end: int) -> list[CandleRecord]:
        held = self._held.get(interval)
        if held is not None and held[0] <= start and end <= held[1]:
            return [c for c in held[2] if start <= c.time < end]
        klines = await self._source.klines(self._symbol, interval, start, end)
        rows = [
            CandleRecord(self._symbol, interval, k.time, k.open, k.high, k.low, k.close, k.volume)
            for k in klines
        ]
        self._held[interval] = (start, end, rows)
        return rows


class RestHistory:
    """The ``binance`` source of ``Backfill``."""

    def __init__(
        self,
        klines: KlineSource,
        store: Store,
        writer: ReplacingWriter,
        *,
        durations: Sequence[str] = tuple(DURATIONS_MS),
        count: int = 1000,
    ) -> None:
        self.klines = klines
        self.store = store
        self.writer = writer
        self.durations = [d for d in ORDER if d in durations]
        self.count = count

    async def close(self) -> None:
        await self.klines.close()

    async def fill(self, cut: LiveCut) -> None:
        fetched = _Fetched(self.klines, cut.symbol)
        try:
            try:
                await self._prefixes(cut, fetched)  # waits for the trades before the cut
                invented = await self.writer.invented(cut)
                for duration in self.durations:
                    await self._history(cut, duration, fetched, invented.get(duration, []))
            except (KlinesUnavailable, KlinesRejected):
                await self._drop_invented(cut)
                raise
        except KlinesUnavailable as exc:
            raise HistoryUnavailable(f"Binance klines at {self.klines.base_url}: {exc}") from exc
        except KlinesRejected as exc:
            raise HistoryRefused(f"Binance klines for {cut.symbol}: {exc}") from exc

    async def _prefixes(self, cut: LiveCut, fetched: _Fetched) -> None:
        minute = bucket_start(cut.time, MINUTE_MS)
        first = min((boundary(cut.time, d) for d in self.durations), default=minute)
        minutes = await fetched.get("1m", first, minute) if first < minute else []
        seconds = await fetched.get("1s", minute, cut.time) if minute < cut.time else []
        found = [prefix(cut.time, d, minutes, seconds) for d in self.durations]
        await self.writer.put_history(cut, [p for p in found if p is not None])

    async def _drop_invented(self, cut: LiveCut) -> None:
        invented = await self.writer.invented(cut)
        for duration in self.durations:
            for span in invented.get(duration, []):
                await self.writer.replace_history(cut, duration, span, [])

    async def _history(
        self, cut: LiveCut, duration: str, fetched: _Fetched, invented: Sequence[Span]
    ) -> None:
        end = boundary(cut.time, duration)
        ranges = [(span, *invented_range(span, duration, end)) for span in invented]
        newest = await self.store.candles(cut.symbol, duration, None, end - 1, 1)
        firsts = [a for _, a, b in ranges if a < b] + ([newest[0].time] if newest else [])
        start = window_start(cut.time, duration, self.count, min(firsts, default=None))
        rows = []
        if start < end:
            rows = await fetched.get(KLINE_INTERVAL.get(duration, duration), start, end)
        candles = fold(rows, duration)
        for span, a, b in ranges:  # the simulator's candles go, all, each with its mark
            replacing = [c for c in candles if a <= c.time < b]
            await self.writer.replace_history(cut, duration, span, replacing)
        rest = [c for c in candles if not any(a <= c.time < b for _, a, b in ranges)]
        if rest:
            await self.writer.put_history(cut, rest)
