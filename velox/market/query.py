"""Candles for the chart: stored rows with the in-memory (unflushed) part merged in.

The writer flushes at most once a second, so the store alone lags the market; the current
candle must be exact for a chart. The aggregator's full candles are exact for every bucket
whose data is not all durable yet, so they simply replace the stored rows for those buckets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from velox.market.candles import DURATIONS_MS, CandleAggregator
from velox.market.intervals import DERIVED, bucket_start, fold, next_start, span_ms
from velox.store.base import Store
from velox.store.records import CandleRecord

MAX_CANDLES = 1000


async def query_candles(
    store: Store,
    aggregator: CandleAggregator | None,
    symbol: str,
    duration: str,
    start: int | None = None,
    end: int | None = None,
    limit: int = MAX_CANDLES,
) -> list[CandleRecord]:
    """At most ``min(limit, 1000)`` candles, oldest first, ``start <= time <= end``.

    With ``start`` the page runs forward from it; without, it is the newest candles up to
    ``end`` (the store's contract). Raises ValueError for an unknown duration or limit < 1.
    """
    if duration not in DURATIONS_MS:
        raise ValueError(f"unknown duration {duration!r}")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    limit = min(limit, MAX_CANDLES)
    rows = await store.candles(symbol, duration, start, end, limit)
    merged = {c.time: c for c in rows}
    if aggregator is not None:
        for candle in aggregator.full_candles(symbol, duration):
            if (start is None or candle.time >= start) and (end is None or candle.time <= end):
                merged[candle.time] = candle
    ordered = [merged[t] for t in sorted(merged)]
    # Rows the store did not return lie beyond its page, so trimming the merged list is exact.
    return ordered[:limit] if start is not None else ordered[-limit:]


BaseQuery = Callable[[str, str, int | None, int | None, int], Awaitable[list[CandleRecord]]]


async def paged_candles(
    query: BaseQuery,
    symbol: str,
    interval: str,
    start: int | None,
    end: int | None,
    limit: int,
) -> list[CandleRecord]:
    """``query_candles``' contract beyond one page, and for the intervals of
    ``velox.market.intervals.DERIVED``: at most ``limit`` candles, oldest first,
    ``start <= time <= end``; a derived one whole (a bucket starting by ``end`` includes its
    base candles after ``end``).

    ``query`` reads the stored duration (a derived interval's base) a page of
    ``MAX_CANDLES`` at a time (less for a small request), forward from ``start`` or back
    from ``end``, until it holds ``limit`` candles (a derived interval: one bucket more, so
    the ``limit`` it returns are whole) or the store runs out.
    """
    derived = interval in DERIVED
    base = DERIVED[interval].base if derived else interval

    def bucket(time: int) -> int:
        return bucket_start(interval, time) if derived else time

    if derived and start is not None and bucket(start) != start:
        start = next_start(interval, bucket(start))  # the first whole bucket
    if derived and end is not None:
        end = next_start(interval, bucket(end)) - 1
    # a derived interval reads one bucket more (the first or last one read may be partial)
    wanted = limit + 1 if derived else limit
    per_bucket = -(-span_ms(interval) // DURATIONS_MS[base]) if derived else 1
    size = min(MAX_CANDLES, wanted * per_bucket)  # a small request reads a small page
    rows: list[CandleRecord] = []
    buckets: set[int] = set()
    cursor_start, cursor_end = start, end
    while len(buckets) < wanted:
        page = await query(symbol, base, cursor_start, cursor_end, size)
        if not page:
            break
        rows = rows + page if start is not None else page + rows
        buckets.update(bucket(c.time) for c in page)
        if len(page) < size:
            break
        if start is not None:
            cursor_start = page[-1].time + 1
        else:
            cursor_end = page[0].time - 1
    folded = fold(interval, rows) if derived else rows
    return folded[:limit] if start is not None else folded[-limit:]


async def last_prices(store: Store, symbols: Sequence[str]) -> dict[str, int]:
    """Each symbol's last known price: the close of its newest stored 1s candle (a symbol
    with none left out). Where a restarted simulator goes on from."""
    found = {}
    for symbol in symbols:
        rows = await store.candles(symbol, "1s", None, None, 1)
        if rows:
            found[symbol] = rows[0].close
    return found
