"""What the candles were built from, kept next to them: meta rows the trade writer writes in
the same transaction as the candle deltas (``Store.upsert_candles(deltas, meta)``), so a
restart never forgets it and never believes more than the candles hold.

- FOLDED trades of a recorded source (``replay``): the trade ids of each symbol already
  counted in the candles, as spans ``lo-hi``. A replayed file's trades are older than the raw
  trades' retention, so the trades table no longer knows them the next time: these spans do,
  and a trade inside one is not counted again (replaying a file again changes no candle; a
  trade outside every span, from another file or past where the last run stopped, counts).
  A span runs from the first to the last trade id of a session: ids skipped by the file
  (or trades dropped by a full queue) inside it are taken as seen.
- INVENTED candles (the simulator's): the time of each symbol's first simulated trade not
  yet replaced by an exchange's history. ``velox.market.rest_history`` replaces what the
  simulator made from there on, then clears the mark (``velox.market.invented``, which also
  marks the seeded history the simulator writes).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from velox.store.base import Store
from velox.store.records import TradeRecord

FOLDED_SOURCES = frozenset({"replay"})
INVENTED_SOURCES = frozenset({"sim"})
Span = tuple[int, int]


def folded_key(source: str, symbol: str) -> str:
    return f"folded:{source}:{symbol}"


def invented_key(symbol: str) -> str:
    return f"invented:{symbol}"


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


class Provenance:
    """The writer's side: ``admit`` each batch, then write ``pending()`` with its deltas."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._spans: dict[tuple[str, str], list[Span]] = {}
        self._session_lo: dict[tuple[str, str], int] = {}  # this session's first trade id
        self._invented: set[str] = set()  # symbols marked in this simulator session
        self._last_source: dict[str, str] = {}
        self._pending: dict[str, str] = {}

    async def admit(self, batch: Sequence[tuple[TradeRecord, str]]) -> list[TradeRecord]:
        """The trades of ``batch`` not yet counted, in order; records what they come from."""
        for trade, source in batch:
            if self._last_source.get(trade.symbol) != source:  # a new session of the symbol
                self._last_source[trade.symbol] = source
                self._invented.discard(trade.symbol)
                self._session_lo = {
                    k: v for k, v in self._session_lo.items() if k[1] != trade.symbol
                }
        admitted: list[TradeRecord] = []
        for trade, source in batch:
            if source in FOLDED_SOURCES:
                if not await self._folded(source, trade):
                    admitted.append(trade)
                continue
            if source in INVENTED_SOURCES and trade.symbol not in self._invented:
                await self._mark_invented(trade)
            admitted.append(trade)
        return admitted

    async def _folded(self, source: str, trade: TradeRecord) -> bool:
        """Whether ``trade`` was counted before; either way it is counted from now on."""
        key = (source, trade.symbol)
        if key not in self._spans:
            self._spans[key] = parse_spans(await self.store.get_meta(folded_key(*key)))
        spans = self._spans[key]
        seen = covers(spans, trade.trade_id)
        lo = self._session_lo.setdefault(key, trade.trade_id)
        if not seen or lo < trade.trade_id:
            spans = with_span(spans, min(lo, trade.trade_id), trade.trade_id)
            self._spans[key] = spans
            self._pending[folded_key(*key)] = format_spans(spans)
        return seen

    async def _mark_invented(self, trade: TradeRecord) -> None:
        key = invented_key(trade.symbol)
        stored = self._pending.get(key) or await self.store.get_meta(key)
        if not stored or trade.ts < int(stored):
            self._pending[key] = str(trade.ts)
        self._invented.add(trade.symbol)

    def pending(self) -> dict[str, str]:
        """The meta rows to write with the next candle deltas."""
        return dict(self._pending)

    def written(self, meta: dict[str, str]) -> None:
        """``meta`` (from ``pending``) is durable with the deltas it went out with."""
        for key, value in meta.items():
            if self._pending.get(key) == value:
                del self._pending[key]
