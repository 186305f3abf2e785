"""What the candles were built from, kept next to them: meta rows the trade writer writes in
the same transaction as the candle deltas (``Store.upsert_candles(deltas, meta)``), so a
restart never forgets it and never believes more than the candles hold.

- FOLDED trades of a recorded source (``replay``): the trade ids of each symbol already
  counted in the candles, as spans ``lo-hi``. A replayed file's trades are older than the raw
  trades' retention, so the trades table no longer knows them the next time: these spans do,
  and a trade inside one is not counted again (replaying a file again changes no candle; a
  trade outside every span, from another file or past where the last run stopped, counts).
  A span runs from the first to the last trade id of a session: ids skipped by the file
  (or trades dropped by a full queue) inside it are taken as seen. A span only grows by
  trades whose candle deltas are written with it: a batch the writer retries is admitted
  afresh, and one the store never took ends the span before it (replaying the file again
  counts its trades).
- INVENTED candles (the simulator's): per duration, the spans of time ``lo-hi`` of the
  simulated trades (and seeded history) not yet replaced, each ending where its session
  ended (``velox.market.invented``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from velox.market.candles import DURATIONS_MS, bucket_start
from velox.store.base import Store
from velox.store.records import TradeRecord

FOLDED_SOURCES = frozenset({"replay"})
INVENTED_SOURCES = frozenset({"sim"})
Span = tuple[int, int]
Marks = dict[str, list[Span]]  # duration -> spans of invented times, inclusive
Held = Callable[[str, str, int], Awaitable[bool]]


def folded_key(source: str, symbol: str) -> str:
    return f"folded:{source}:{symbol}"


def invented_key(symbol: str) -> str:
    return f"invented:{symbol}"


def parse_marks(text: str | None) -> Marks:
    """``1m:lo-hi,lo-hi;5m:lo-hi`` -> {duration: spans}."""
    marks: Marks = {}
    for part in (text or "").split(";"):
        if part:
            duration, spans = part.split(":")
            marks[duration] = parse_spans(spans)
    return marks


def format_marks(marks: Marks) -> str:
    return ";".join(f"{d}:{format_spans(spans)}" for d, spans in marks.items() if spans)


def parse_spans(text: str | None) -> list[Span]:
    spans = []
    for part in (text or "").split(","):
        if part:
            lo, hi = part.split("-")
            spans.append((int(lo), int(hi)))
    return sorted(spans)


def format_spans(spans: Sequence[Span]) -> str:
    return ",".join(f"{lo}-{hi}" for lo, hi in spans)


def covers(spans: Sequence[Span], trade_id: int) -> bool:
    at = bisect_right(spans, trade_id, key=lambda s: s[0]) - 1  # the last starting by it
    return at >= 0 and spans[at][0] <= trade_id <= spans[at][1]


def with_span(spans: Sequence[Span], lo: int, hi: int) -> list[Span]:
    """``spans`` and [lo, hi], merged where they overlap or touch."""
    merged: list[Span] = []
    for a, b in sorted([*spans, (lo, hi)]):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


@dataclass
class _Counted:
    """What the aggregator has counted: spans and marks, and the sessions they grow in."""

    spans: dict[tuple[str, str], list[Span]] = field(default_factory=dict)
    session_lo: dict[tuple[str, str], int] = field(default_factory=dict)  # first trade id
    invented: dict[str, Marks] = field(default_factory=dict)
    # this sim session's span start per duration: its first trade's bucket when that bucket
    # held nothing before (wholly invented), else the trade itself (the bucket is mixed)
    invented_lo: dict[str, dict[str, int]] = field(default_factory=dict)
    last_source: dict[str, str] = field(default_factory=dict)

    def copy(self) -> _Counted:  # the lists are never changed in place
        return _Counted(
            dict(self.spans), dict(self.session_lo),
            {symbol: dict(marks) for symbol, marks in self.invented.items()},
            dict(self.invented_lo), dict(self.last_source),
        )  # fmt: skip

    def meta(self) -> dict[str, str]:
        meta = {folded_key(*key): format_spans(spans) for key, spans in self.spans.items()}
        meta.update({invented_key(s): format_marks(m) for s, m in self.invented.items()})
        return meta


@dataclass
class Admitted:
    """``admit``'s answer: the trades to count, and what counting them makes the meta."""

    trades: list[TradeRecord]
    counted: _Counted


class Provenance:
    """The writer's side: ``admit`` a batch (nothing changes), ``count`` it once its trades
    reached the aggregator, then write ``pending()`` with the deltas and report it
    ``written``. Spans only grow by trades counted in the candles: a batch retried or given up
    leaves them as they were."""

    def __init__(self, store: Store, held: Held) -> None:
        self.store = store
        self.held = held  # whether a candle of (symbol, duration) at a time is stored yet
        self._held: dict[str, dict[str, bool]] = {}
        self._counted = _Counted()
        self._durable: dict[str, str] = {}  # meta rows as the store holds them

    async def admit(self, batch: Sequence[tuple[TradeRecord, str]]) -> Admitted:
        """The trades of ``batch`` not yet counted, in order, and what they come from."""
        await self._load(batch)
        counted = self._counted.copy()
        admitted: list[TradeRecord] = []
        for trade, source in batch:
            if counted.last_source.get(trade.symbol) != source:  # a new session of the symbol
                counted.last_source[trade.symbol] = source
                counted.invented_lo.pop(trade.symbol, None)
                for key in [k for k in counted.session_lo if k[1] == trade.symbol]:
                    del counted.session_lo[key]
            if source in FOLDED_SOURCES:
                if not _folded(counted, source, trade):
                    admitted.append(trade)
                continue
            if source in INVENTED_SOURCES:  # the session's span grows to this trade
                starts = counted.invented_lo.get(trade.symbol)
                if starts is None:
                    starts = counted.invented_lo[trade.symbol] = self._starts(trade)
                marks = counted.invented[trade.symbol]
                for duration in DURATIONS_MS:
                    lo = min(starts[duration], trade.ts)
                    marks[duration] = with_span(marks.get(duration, []), lo, trade.ts)
            admitted.append(trade)
        return Admitted(admitted, counted)

    def _starts(self, trade: TradeRecord) -> dict[str, int]:
        """Where a simulator session beginning with ``trade`` starts inventing, per
        duration: at the bucket's start when the bucket held no candle before it (replacing
        it loses nothing real), else at the trade (``invented.invented_range`` then keeps
        that bucket unless the exchange's kline replaces it)."""
        held = self._held.get(trade.symbol, {})
        return {
            d: trade.ts if held.get(d) else bucket_start(trade.ts, size)
            for d, size in DURATIONS_MS.items()
        }

    async def _load(self, batch: Sequence[tuple[TradeRecord, str]]) -> None:
        """Read what the store holds of the batch's symbols (all the awaits of ``admit``)."""
        starting: set[str] = set()
        for trade, source in batch:
            if (
                source in INVENTED_SOURCES
                and self._counted.last_source.get(trade.symbol) != source
                and trade.symbol not in starting
            ):  # a simulator session begins: which of its first buckets hold candles?
                starting.add(trade.symbol)
                self._held[trade.symbol] = {
                    d: await self.held(trade.symbol, d, bucket_start(trade.ts, size))
                    for d, size in DURATIONS_MS.items()
                }
            if source in FOLDED_SOURCES and (source, trade.symbol) not in self._counted.spans:
                key = folded_key(source, trade.symbol)
                text = await self.store.get_meta(key)
                self._counted.spans[(source, trade.symbol)] = parse_spans(text)
                self._durable[key] = format_spans(parse_spans(text))
            if source in INVENTED_SOURCES:
                await self.marks(trade.symbol)

    async def marks(self, symbol: str) -> Marks:
        """The invented spans of ``symbol`` the candles hold (a copy)."""
        if symbol not in self._counted.invented:
            marks = parse_marks(await self.store.get_meta(invented_key(symbol)))
            self._counted.invented[symbol] = marks
            self._durable[invented_key(symbol)] = format_marks(marks)
        return dict(self._counted.invented[symbol])

    def marked(self, symbol: str, marks: Marks) -> dict[str, str]:
        """The meta row that says ``marks`` are ``symbol``'s."""
        return {invented_key(symbol): format_marks(marks)}

    def marks_written(self, symbol: str, marks: Marks) -> None:
        """The store holds ``marked(symbol, marks)`` (with the candles it goes with)."""
        self._counted.invented[symbol] = dict(marks)
        self._durable.update(self.marked(symbol, marks))

    def count(self, admitted: Admitted) -> None:
        """The admitted trades are in the aggregator: their deltas go out with the next
        ``upsert_candles``, and ``pending()`` with them."""
        self._counted = admitted.counted

    def lost(self, batch: Sequence[tuple[TradeRecord, str]]) -> None:
        """The store never took ``batch``: a later trade of its symbols starts a new span, so
        no span covers the lost ones (replaying the file again counts them)."""
        symbols = {trade.symbol for trade, _ in batch}
        for key in [k for k in self._counted.session_lo if k[1] in symbols]:
            del self._counted.session_lo[key]

    def pending(self) -> dict[str, str]:
        """The meta rows to write with the next candle deltas."""
        meta = self._counted.meta()
        return {key: value for key, value in meta.items() if self._durable.get(key) != value}

    def written(self, meta: dict[str, str]) -> None:
        """``meta`` (from ``pending``) is durable with the deltas it went out with."""
        self._durable.update(meta)


def _folded(counted: _Counted, source: str, trade: TradeRecord) -> bool:
    """Whether ``trade`` was counted before; either way it is counted from now on."""
    key = (source, trade.symbol)
    spans = counted.spans[key]
    seen = covers(spans, trade.trade_id)
    lo = counted.session_lo.setdefault(key, trade.trade_id)
    if not seen or lo < trade.trade_id:
        counted.spans[key] = with_span(spans, min(lo, trade.trade_id), trade.trade_id)
    return seen
