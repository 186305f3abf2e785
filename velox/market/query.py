"""Candles for the chart: stored rows with the in-memory (unflushed) part merged in.

The writer flushes at most once a second, so the store alone lags the market; the current
candle must be exact for a chart. The aggregator's full candles are exact for every bucket
whose data is not all durable yet, so they simply replace the stored rows for those buckets.
"""

from __future__ import annotations

from velox.market.candles import DURATIONS_MS, CandleAggregator
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
