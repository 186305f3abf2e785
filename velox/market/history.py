"""Where live candles meet history: the cut, and folding finer candles into coarser ones.

When a live source starts delivering a symbol's trades (at start-up, after a reconnect, or
when the auto feed switches source), the writer sets a CUT: the start of the second of that
first trade. From then on candles are split at the cut:

- every bucket that ends by the cut is HISTORY: complete, and written whole from the
  exchange's klines (or the simulator's history) with ``put_candles``, replacing whatever the
  store held (partial live candles from before an outage, or the same history written last
  time), so re-running a backfill never duplicates or double-counts anything;
- the bucket holding the cut (one per duration, the BOUNDARY) is both: its part before the
  cut comes from history (the PREFIX, folded from 1m and 1s klines that all ended by the
  cut), its part from the cut on from the live trades. The writer joins the two
  (``merge(prefix, live part)``), so the current candle keeps every live trade's volume and
  never takes a stale exchange value;
- later buckets are live only.

Trades inside the cut's own second but before the first live trade are in neither part: the
klines' resolution is one second, and a second's kline would count live trades twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from velox.frozen import frozen
from velox.market.candles import DURATIONS_MS, bucket_start, merge
from velox.store.records import CandleRecord

SECOND_MS = 1_000
MINUTE_MS = 60_000


@frozen
class LiveCut:
    """A live source's first trade of a symbol: ``time`` is the start of its second (ms)."""

    symbol: str
    source: str  # the feed that made it ("binance", "sim", ...)
    time: int
    price: int  # that trade's price (the simulator's history walks back from it)


def boundary(cut_ms: int, duration: str) -> int:
    """Start of the bucket of ``duration`` holding the cut."""
    return bucket_start(cut_ms, DURATIONS_MS[duration])


def is_prefix(candle: CandleRecord, cut: LiveCut) -> bool:
    """True for a boundary prefix, False for a whole history candle; ValueError for anything
    else (another symbol, or a bucket from the cut on)."""
    start = boundary(cut.time, candle.duration)
    if candle.symbol != cut.symbol or candle.time > start or candle.time == start == cut.time:
        raise ValueError(f"{candle} is not history before {cut}")
    return candle.time == start


def fold(parts: Iterable[CandleRecord], duration: str) -> list[CandleRecord]:
    """Candles of ``duration`` from finer candles (or one-trade candles), oldest first.

    ``parts`` must be in time order: a bucket's open is its first part's, its close its last's.
    """
    size = DURATIONS_MS[duration]
    buckets: dict[int, CandleRecord] = {}
    for p in parts:
        time = p.time - p.time % size
        one = CandleRecord(p.symbol, duration, time, p.open, p.high, p.low, p.close, p.volume)
        held = buckets.get(time)
        buckets[time] = one if held is None else merge(held, one)
    return list(buckets.values())


def window_start(cut_ms: int, duration: str, count: int, newest: int | None) -> int:
    """Where history for ``duration`` starts: the newest stored candle before the boundary
    (it may be a partial one, cut off by a stop or an outage: it is fetched again), but no
    more than ``count`` candles back (a longer gap is left, the chart shows the newest)."""
    start = boundary(cut_ms, duration) - count * DURATIONS_MS[duration]
    return start if newest is None else max(newest, start)


def prefix(
    cut_ms: int, duration: str, minutes: Iterable[CandleRecord], seconds: Iterable[CandleRecord]
) -> CandleRecord | None:
    """The boundary bucket's part before the cut, from 1m klines up to the cut's minute and 1s
    klines from there; None when the boundary starts at the cut (nothing before it)."""
    start = boundary(cut_ms, duration)
    minute = bucket_start(cut_ms, MINUTE_MS)
    parts = [m for m in minutes if start <= m.time < minute]
    parts += [s for s in seconds if max(start, minute) <= s.time < cut_ms]
    folded = fold(parts, duration)
    return folded[0] if folded else None
