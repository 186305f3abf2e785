"""Binance's kline intervals that Velox does not store, built from one it does (pure).

Velox keeps candles of eight durations (``velox.market.candles``). Binance's bots also ask
for 3m, 30m, 2h, 6h, 8h, 12h, 3d, 1w and 1M klines; storing nine more series would cost a
write per trade each, so each is folded, when asked, from the largest stored duration whose
buckets tile it exactly (30m from 15m, 12h from 4h, 1w from 1d, ...).

Buckets are Binance's: fixed spans from the epoch (UTC), except that a week starts on Monday
00:00 UTC (the epoch was a Thursday) and a month on its first day, 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from velox.market.candles import merge
from velox.store.records import CandleRecord

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
MONDAY_MS = 4 * DAY_MS  # 1970-01-05, the first Monday after the epoch


@dataclass(frozen=True, slots=True)
class Derived:
    """An interval folded from the stored ``base`` duration: ``span_ms`` wide, starting
    ``offset_ms`` after a multiple of it; ``span_ms`` 0 is a calendar month."""

    base: str
    span_ms: int
    offset_ms: int = 0


DERIVED: dict[str, Derived] = {
    "3m": Derived("1m", 180_000),
    "30m": Derived("15m", 1_800_000),
    "2h": Derived("1h", 7_200_000),
    "6h": Derived("1h", 21_600_000),
    "8h": Derived("4h", 28_800_000),
    "12h": Derived("4h", 43_200_000),
    "3d": Derived("1d", 3 * DAY_MS),
    "1w": Derived("1d", WEEK_MS, MONDAY_MS),
    "1M": Derived("1d", 0),
}


def _year_month(days: int) -> tuple[int, int]:
    """(year, month) of the day ``days`` after 1970-01-01, in the proleptic Gregorian
    calendar of any year (H. Hinnant's civil_from_days: ``datetime`` stops at year 9999,
    and a request may name any time up to 10^15 ms)."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month


def _first_day(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of ``month`` (days_from_civil)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _month_start(ts_ms: int, months_later: int = 0) -> int:
    year, month = _year_month(ts_ms // DAY_MS)
    index = year * 12 + month - 1 + months_later
    return _first_day(index // 12, index % 12 + 1) * DAY_MS


def span_ms(interval: str) -> int:
    """The longest an ``interval`` bucket lasts (a month: 31 days)."""
    return DERIVED[interval].span_ms or 31 * DAY_MS


def bucket_start(interval: str, ts_ms: int) -> int:
    """Start of the ``interval`` bucket holding ``ts_ms``."""
    derived = DERIVED[interval]
    if derived.span_ms == 0:
        return _month_start(ts_ms)
    return ts_ms - (ts_ms - derived.offset_ms) % derived.span_ms


def next_start(interval: str, start_ms: int) -> int:
    """Start of the bucket after the one starting at ``start_ms`` (its close time + 1)."""
    derived = DERIVED[interval]
    if derived.span_ms == 0:
        return _month_start(start_ms, 1)
    return start_ms + derived.span_ms


def fold(interval: str, base: Iterable[CandleRecord]) -> list[CandleRecord]:
    """The ``interval`` candles of consecutive ``base`` candles (oldest first): open of the
    first, close of the last, the extremes, the summed volume."""
    folded: list[CandleRecord] = []
    for c in base:
        start = bucket_start(interval, c.time)
        if folded and folded[-1].time == start:
            folded[-1] = merge(folded[-1], c)
        else:
            first = CandleRecord(c.symbol, interval, start, c.open, c.high, c.low, c.close, 0)
            folded.append(merge(first, c))
    return folded
