"""Pure OHLCV aggregation from raw trade prices, for the eight chart durations.

A candle's bucket starts at ``floor(ts / duration) * duration`` (ms since the epoch, UTC;
days therefore start at 00:00 UTC). The aggregator keeps two views of every bucket it touches:

- the FULL candle (what a chart must show), seeded from the store the first time a bucket
  is seen after start-up, then updated by every new trade;
- the DELTA since the last hand-off: a partial candle the store merges with
  ``upsert_candles`` (keep open, high=max, low=min, close=new, volume+=new).

Only the writer task feeds it, one trade at a time in arrival order, so a delta's open and
close are its first and last trade; it assumes this process is the only candle writer, so a
bucket newer than any it has seen cannot already be in the store and needs no seeding.

History (``velox.market.history``) meets the live candles at a symbol's CUT: the aggregator
also keeps, for the bucket of each duration holding the cut, the LIVE PART (the trades at or
after the cut), so the writer can join a history prefix to it; ``replace`` then tells it
which whole rows the store holds now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from velox.store.records import CandleRecord, TradeRecord

DURATIONS_MS: dict[str, int] = {
    "1s": 1_000,
    "30s": 30_000,
    "1m": 60_000,
    "5m": 300_000,
    "15m": 900_000,
    "1h": 3_600_000,
    "4h": 14_400_000,
    "1d": 86_400_000,
}

BucketKey = tuple[str, str, int]  # symbol, duration, bucket start ms


def bucket_start(ts_ms: int, duration_ms: int) -> int:
    """Start of the bucket holding ``ts_ms`` (Python's % floors, so negatives work too)."""
    return ts_ms - ts_ms % duration_ms


def merge(old: CandleRecord, new: CandleRecord) -> CandleRecord:
    """Fold a later partial candle into an earlier one: the store's merge rule, in memory."""
    return CandleRecord(
        old.symbol, old.duration, old.time, old.open, max(old.high, new.high),
        min(old.low, new.low), new.close, old.volume + new.volume,
    )  # fmt: skip


def trade_candle(trade: TradeRecord, duration: str) -> CandleRecord:
    time = bucket_start(trade.ts, DURATIONS_MS[duration])
    p = trade.price
    return CandleRecord(trade.symbol, duration, time, p, p, p, p, trade.qty)


class CandleAggregator:
    """In-memory candles for the buckets being written; see the module docstring."""

    def __init__(self, durations: Sequence[str] = tuple(DURATIONS_MS)) -> None:
        unknown = set(durations) - set(DURATIONS_MS)
        if unknown:
            raise ValueError(f"unknown candle durations {sorted(unknown)}")
        self.durations = tuple(durations)
        self._full: dict[BucketKey, CandleRecord | None] = {}  # None: known to be empty
        self._latest: dict[tuple[str, str], int] = {}
        self._delta: dict[BucketKey, CandleRecord] = {}
        self._inflight: dict[BucketKey, CandleRecord] = {}
        self._cuts: dict[str, int] = {}
        self._live: dict[BucketKey, CandleRecord | None] = {}  # boundary bucket -> live part

    # -- seeding from the store ------------------------------------------------------------
    def missing(self, trades: Iterable[TradeRecord]) -> list[BucketKey]:
        """Buckets these trades touch whose stored part we do not hold yet (fetch, then seed)."""
        wanted: dict[BucketKey, None] = {}
        for trade in trades:
            for duration in self.durations:
                time = bucket_start(trade.ts, DURATIONS_MS[duration])
                key = (trade.symbol, duration, time)
                latest = self._latest.get((trade.symbol, duration))
                if key not in self._full and (latest is None or time <= latest):
                    wanted[key] = None
        return list(wanted)

    def seed(self, key: BucketKey, stored: CandleRecord | None) -> None:
        """Record what the store holds for a bucket (None: nothing) before adding to it."""
        if key in self._full:
            return
        self._full[key] = stored
        symbol, duration, time = key
        self._latest[(symbol, duration)] = max(time, self._latest.get((symbol, duration), time))

    # -- where history meets live trades ----------------------------------------------------
    def cut(self, symbol: str, time_ms: int) -> None:
        """A live session of ``symbol`` starts at ``time_ms``: from now on, count the trades at
        or after it in each boundary bucket (the bucket of each duration holding it)."""
        for key in [k for k in self._live if k[0] == symbol]:
            del self._live[key]
        self._cuts[symbol] = time_ms
        for duration in self.durations:
            self._live[(symbol, duration, bucket_start(time_ms, DURATIONS_MS[duration]))] = None

    def cut_of(self, symbol: str) -> int | None:
        return self._cuts.get(symbol)

    def joined(self, prefix: CandleRecord) -> CandleRecord:
        """A boundary bucket whole: the history ``prefix`` (before the cut), then the live part."""
        live = self._live.get((prefix.symbol, prefix.duration, prefix.time))
        return prefix if live is None else merge(prefix, live)

    def replace(self, rows: Iterable[CandleRecord]) -> None:
        """The store now holds these whole rows (``put_candles``): they become the full candles
        of their buckets, and no delta of them is pending any more (the rows include it)."""
        for row in rows:
            key = (row.symbol, row.duration, row.time)
            if key in self._full:
                self._full[key] = row
            self._delta.pop(key, None)
            latest = self._latest.get((row.symbol, row.duration))
            if latest is None or row.time > latest:  # a later trade there must seed from it
                self._latest[(row.symbol, row.duration)] = row.time

    def forget(self, symbol: str, duration: str, start: int, end: int) -> None:
        """The store's buckets ``start <= time < end`` of the series were replaced: drop what
        is held of them (a pending delta would bring an invented candle back)."""
        for held in (self._full, self._delta, self._inflight):
            for key in [k for k in held if k[:2] == (symbol, duration) and start <= k[2] < end]:
                del held[key]

    # -- trades in -------------------------------------------------------------------------
    def add(self, trade: TradeRecord) -> list[CandleRecord]:
        """Apply one new trade; returns the full candles it changed (one per duration)."""
        updated = []
        for duration in self.durations:
            one = trade_candle(trade, duration)
            key = (trade.symbol, duration, one.time)
            prev = self._full.get(key)
            full = one if prev is None else merge(prev, one)
            self._full[key] = full
            delta = self._delta.get(key)
            self._delta[key] = one if delta is None else merge(delta, one)
            if key in self._live and trade.ts >= self._cuts[trade.symbol]:
                live = self._live[key]
                self._live[key] = one if live is None else merge(live, one)
            latest = self._latest.get((trade.symbol, duration))
            if latest is None or one.time > latest:
                self._latest[(trade.symbol, duration)] = one.time
            updated.append(full)
        return updated

    # -- deltas out ------------------------------------------------------------------------
    def take_deltas(self) -> list[CandleRecord]:
        """The partial candles since the last hand-off; then ``confirm()`` or ``restore()``."""
        if self._inflight:
            raise RuntimeError("previous deltas neither confirmed nor restored")
        self._inflight, self._delta = self._delta, {}
        return list(self._inflight.values())

    def confirm(self) -> None:
        """The store holds the taken deltas: forget buckets that are done and durable."""
        self._inflight = {}
        for key in [k for k in self._full if k not in self._delta]:
            symbol, duration, time = key
            if time < self._latest[(symbol, duration)]:
                del self._full[key]

    def restore(self) -> None:
        """The upsert failed: put the taken deltas back in front of any newer ones."""
        for key, older in self._inflight.items():
            newer = self._delta.get(key)
            self._delta[key] = older if newer is None else merge(older, newer)
        self._inflight = {}

    @property
    def pending(self) -> int:
        return len(self._delta) + len(self._inflight)

    # -- reads -----------------------------------------------------------------------------
    def full_candles(self, symbol: str, duration: str) -> list[CandleRecord]:
        """Exact candles for the buckets held in memory (the current one and any not yet
        durable), oldest first. Every other bucket is complete in the store."""
        found = [c for (s, d, _), c in self._full.items() if s == symbol and d == duration and c]
        return sorted(found, key=lambda c: c.time)

    def current(self, symbol: str, duration: str) -> CandleRecord | None:
        latest = self._latest.get((symbol, duration))
        return None if latest is None else self._full.get((symbol, duration, latest))
