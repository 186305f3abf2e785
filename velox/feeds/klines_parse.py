"""Binance REST klines (``GET /api/v3/klines``) -> ``Kline`` (pure; recorded payloads in tests).

A reply is a JSON array of rows ``[open time, open, high, low, close, volume, close time,
quote volume, trade count, taker-buy base, taker-buy quote, "0"]`` (EXCHANGE-PROTOCOLS.md).
Only the first six columns are read. Prices and the volume are decimal strings, parsed
straight to integer units (never through a float); a kline of an interval without trades
has volume ``"0.00000000"``, which is kept. A malformed reply raises ``FeedParseError`` as a
whole: a page with one bad row cannot be trusted to be a contiguous history.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from velox.feeds.messages import FeedParseError, units_of
from velox.frozen import frozen

ROW_COLUMNS = 6  # open time, open, high, low, close, volume


@frozen
class Kline:
    """One exchange candle: ``time`` is its open time (ms, UTC); money in units of 10^-8."""

    time: int
    open: int
    high: int
    low: int
    close: int
    volume: int


def parse_klines(payload: object) -> list[Kline]:
    """The rows of one klines reply, oldest first. Raises FeedParseError when malformed."""
    if not isinstance(payload, list):
        raise FeedParseError("klines reply is not a JSON array")
    klines = [_row(row, i) for i, row in enumerate(payload)]
    for before, after in pairwise(klines):
        if after.time <= before.time:
            raise FeedParseError(f"kline open times do not increase at {after.time}")
    return klines


def _row(row: object, index: int) -> Kline:
    if not isinstance(row, Sequence) or isinstance(row, str) or len(row) < ROW_COLUMNS:
        raise FeedParseError(f"kline row {index} is not an array of at least {ROW_COLUMNS}")
    time = row[0]
    if not isinstance(time, int) or isinstance(time, bool) or time < 0:
        raise FeedParseError(f"kline row {index}: open time {time!r} is not a time")
    o, h, lo, c = (units_of(row[i], f"kline row {index} column {i}") for i in range(1, 5))
    volume = units_of(row[5], f"kline row {index} volume", allow_zero=True)
    if lo > min(o, c) or h < max(o, c):
        raise FeedParseError(f"kline row {index}: open/close outside low..high")
    return Kline(time, o, h, lo, c, volume)
