"""Which candles the simulator invented, durably, so real history can replace them.

One meta row per symbol, ``invented:SYMBOL``, holds per duration the spans of time the
simulator made candles for (``velox.market.provenance``): the trade writer grows the span of
a simulator session with each batch, in the same transaction as the candles, and
``SimulatedHistory`` adds its seeded history's span (through the writer) before writing it.
A span ends where its session ended, so it never covers a real candle: the candles of a span
are the buckets from its start's to its end's, cut at the boundary of the real session that
replaces them (the boundary bucket is that session's: its part before the cut is the
exchange's prefix, or stays as it was when there is none). A span begins at its first
bucket's start when that bucket held no candle before the simulator's first trade; else at
the trade, and that bucket, which holds real trades too, is left as it is.

When a Binance session starts, ``RestHistory`` replaces, for each duration, each span that
began before the session's cut: the exchange's klines where it fetched them (at most
``count`` candles back), nothing where it did not, and, when the klines cannot be had
(``HistoryUnavailable`` / ``HistoryRefused``), nothing at all: a gap is honest, invented
prices are not. Each span goes in one transaction with its candles (``Store.replace_candles``
with the meta row), so a crash at any point leaves every span either replaced and forgotten
or still marked, and a restart's session replaces those still marked. Spans that began after
the cut (the simulator again, while the history was fetched) wait for the next real session.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from velox.market.backfill import HistoryWriter
from velox.market.candles import DURATIONS_MS, bucket_start
from velox.market.provenance import Span


class MarkingWriter(HistoryWriter, Protocol):
    """``TradeWriter``: also marks the history the simulator is about to write."""

    async def mark_invented(self, symbol: str, spans: Mapping[str, Span]) -> None: ...


def invented_range(span: Span, duration: str, end: int) -> tuple[int, int]:
    """The candle times ``start <= time < stop`` of ``span``, up to the boundary ``end``. A
    span that begins inside a bucket (one that held real trades before the simulator's:
    ``provenance.Provenance._starts``) leaves that bucket out: it is not wholly invented."""
    size = DURATIONS_MS[duration]
    start = -(-span[0] // size) * size
    return start, max(start, min(bucket_start(span[1], size) + size, end))
