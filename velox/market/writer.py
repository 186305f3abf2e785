"""The trade writer: raw trades to the store in batches, candles from the new ones.

The feed hands every trade tick to ``offer`` on its way to the engine. ``offer`` never
waits: the engine must not slow down because a disk or a database is slow. The queue is
bounded (``queue_size``); when it is full the NEWEST trade is dropped for the writer only
(the engine still got the tick), counted in ``dropped`` and logged at most once per 10 s.
Dropping the newest keeps what is queued a contiguous, already-ordered history, and a
candle missing the last trades of a burst heals on the next trade's close.

The task flushes when ``batch_size`` trades are queued (100) or ``flush_interval_s`` after
the first trade of a batch (1 s), whichever comes first. ``insert_trades`` deduplicates by
(symbol, trade_id) and returns the new ones; only those reach the candle aggregator, so a
replayed or reconnected stream never counts a trade twice. Raw trades are pruned, so the
ids a replay already counted are also kept as spans (``velox.market.provenance``), written
with the candle deltas in one transaction: replaying a file again counts none of them.
Candle deltas are then merged in the store, and ``on_candle`` gets each changed FULL candle
once per batch (for websocket pushes); a callback that raises is logged and does not stop the
writer. Raw trades whose time is older than ``retention_ms`` (24 h) before the wall clock are
pruned every ``prune_interval_s``: trade times are the exchange's, absolute times.

A trade whose exchange time is implausible against the wall clock when it is offered
(``velox.market.plausible``: more than a minute ahead, or more than ``max_behind_ms``
behind; None, the default, for a recorded file) is not filed: counted in ``misdated`` and
logged at most once per 10 s. It would make a permanent candle at that time.

A failing store is retried ``max_attempts`` times with ``retry_delay_s`` between; a batch
that still fails is dropped and logged (``lost``), so one bad batch cannot wedge the writer.
Meanwhile the writer is ``down`` (``store``, an ``Outage``: said once in the log, not at every
retry) until a batch goes through again: its loop never dies of a failing store, so the
supervisor alone showed it ``up`` while candles were lost. ``start()`` runs the loop under a
``Supervisor``: anything else that kills it (a bug) is logged and the loop restarted with
backoff; ``status()`` is the worse of the two, shown by ``/healthz``. Batching and pruning
intervals run on the event loop's monotonic time.

History: the first trade of a symbol from a new live session (a new ``source`` or
``connection``) sets the symbol's cut (``velox.market.history``) and is handed to
``on_session``, which backfills what came before; ``put_history`` writes that history, one
batch at a time with the live candles, so the two never race, and tells ``on_history`` which
series it rewrote: a chart open on one of them reads it again (the bars of an outage filled
in lie behind what it shows, where a live candle never goes).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.base import FeedTick
from velox.feeds.ratelog import RateLimitedLog
from velox.market.candles import BucketKey, CandleAggregator, bucket_start
from velox.market.history import SECOND_MS, LiveCut, boundary, is_prefix
from velox.market.invented import invented_range
from velox.market.plausible import AHEAD_MS, misdated
from velox.market.provenance import Admitted, Marks, Provenance, Span, with_span
from velox.outage import Outage
from velox.store.base import Store
from velox.store.records import CandleRecord, TradeRecord
from velox.supervisor import PartStatus, Supervisor

log = logging.getLogger(__name__)

CandleCallback = Callable[[CandleRecord], None]
SessionCallback = Callable[[LiveCut], None]
HistoryCallback = Callable[[str, str], None]  # (symbol, duration) whose history was written
DAY_MS = 24 * 3600 * 1000
Queued = tuple[TradeRecord, str]  # a trade and the source that made it


class TradeWriter:
    def __init__(
        self,
        store: Store,
        aggregator: CandleAggregator | None = None,
        *,
        batch_size: int = 100,
        flush_interval_s: float = 1.0,
        queue_size: int = 50_000,
        retention_ms: int = DAY_MS,
        prune_interval_s: float = 60.0,
        on_candle: CandleCallback | None = None,
        on_session: SessionCallback | None = None,
        on_history: HistoryCallback | None = None,
        max_behind_ms: int | None = None,
        max_attempts: int = 5,
        retry_delay_s: float = 1.0,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.store = store
        self.aggregator = aggregator or CandleAggregator()
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retention_ms = retention_ms
        self.prune_interval_s = prune_interval_s
        self.on_candle = on_candle
        self.on_session = on_session
        self.on_history = on_history
        self.max_behind_ms = max_behind_ms
        self._bounds = f"at most {AHEAD_MS // 1000} s ahead" + (
            "" if max_behind_ms is None else f", {max_behind_ms // 1000} s behind"
        )
        self.max_attempts = max_attempts
        self.retry_delay_s = retry_delay_s
        self._clock = clock
        self.queue: asyncio.Queue[Queued] = asyncio.Queue(queue_size)
        self._pending: list[Queued] = []
        self.provenance = Provenance(store, self._holds)
        self._writing: asyncio.Future[None] | None = None
        self.supervisor = Supervisor("writer", self.run, clock=clock)
        self.store_health = Outage(
            "writer", clock.now_ms, failing="trade writer: the store fails (%s); retrying",
            working="trade writer: the store takes writes again", logger=log,
        )  # fmt: skip
        self._last_prune: float | None = None
        self._drop_log = RateLimitedLog(log)
        self._misdated_log = RateLimitedLog(log)
        self._sessions: dict[str, tuple[str, int]] = {}  # symbol -> (source, connection)
        self._before_cut: dict[str, int] = {}  # symbol -> trades accepted before its cut
        self._lock = asyncio.Lock()  # one batch or one history write at a time
        self._batch_done = asyncio.Event()
        self.accepted = self.processed = 0  # trades queued / taken through a batch
        self.dropped = self.written = self.duplicates = self.lost = self.batches = 0
        self.misdated = 0  # trades not filed: their exchange time is implausible
        self.prunes = self.pruned = 0

    # -- producer side (the feed's sink) ---------------------------------------------------
    def offer(self, tick: FeedTick) -> bool:
        """Queue the tick's trade, if it has one; never blocks. False when dropped or none."""
        if tick.trade_id is None or tick.trade_price is None or tick.trade_qty is None:
            return False
        ts = tick.exchange_ms if tick.exchange_ms is not None else tick.received_ms
        if tick.exchange_ms is not None and self._misdated(tick, tick.exchange_ms):
            return False
        trade = TradeRecord(tick.symbol, tick.trade_id, tick.trade_price, tick.trade_qty, ts)
        if self._sessions.get(tick.symbol) != (tick.source, tick.connection):
            self._sessions[tick.symbol] = (tick.source, tick.connection)
            self._before_cut[tick.symbol] = self.accepted
            self._cut(LiveCut(tick.symbol, tick.source, bucket_start(ts, SECOND_MS), trade.price))
        try:
            self.queue.put_nowait((trade, tick.source))
            self.accepted += 1
        except asyncio.QueueFull:
            self.dropped += 1
            self._drop_log(
                "trade writer queue full (%d): dropping newest trades, %d dropped so far",
                self.queue.maxsize, self.dropped,
            )  # fmt: skip
            return False
        return True

    def _misdated(self, tick: FeedTick, exchange_ms: int) -> bool:
        """The trade's time is implausible (``velox.market.plausible``): not filed, said in
        the log at most once per 10 s with a count. Judged before the session cut: a trade
        dated in 5138 must not cut the symbol's history there."""
        wall_ms = self._clock.wall_ms()
        if not misdated(exchange_ms, wall_ms, self.max_behind_ms):
            return False
        self.misdated += 1
        self._misdated_log(
            "trade writer: not filing %s trade %s: its time %d is %+d s from the local clock "
            "(plausible: %s); is the clock right?",
            tick.symbol, tick.trade_id, exchange_ms, (exchange_ms - wall_ms) // 1000, self._bounds,
        )  # fmt: skip
        return True

    def _cut(self, cut: LiveCut) -> None:
        self.aggregator.cut(cut.symbol, cut.time)
        if self.on_session is not None:
            try:
                self.on_session(cut)
            except Exception:  # a listener's bug must not stop the trades
                log.exception("trade writer: on_session failed for %s", cut)

    # -- history ---------------------------------------------------------------------------
    async def put_history(self, cut: LiveCut, candles: Sequence[CandleRecord]) -> int:
        """Write history that ends at ``cut``; returns how many rows were written.

        Candles before their boundary bucket replace the stored rows; a boundary prefix is
        joined to the live part first, or skipped when the symbol has been cut again since
        (the newer session's history brings its own). Waits until every trade queued before
        the cut has been through a batch: one reaching a history row after it would count
        twice. Raises ValueError for a candle at or after the cut.
        """
        await self._caught_up(self._before_cut.get(cut.symbol, self.accepted))
        async with self._lock:
            current = self.aggregator.cut_of(cut.symbol) == cut.time
            behind, joined = [], []  # whole candles before the cut; the cut's own buckets
            for candle in candles:
                if not is_prefix(candle, cut):
                    behind.append(candle)
                elif current:
                    joined.append(self.aggregator.joined(candle))
            rows = behind + joined
            if rows:  # the store and the aggregator change together, even on cancellation
                put = asyncio.ensure_future(self._put_rows(rows))
                try:
                    await asyncio.shield(put)
                except asyncio.CancelledError:
                    await asyncio.wait({put})
                    raise
        self._publish(joined)  # the live candles, as a trade would change them
        # behind the newest candle of their series (a chart never takes those from a live
        # update): the whole history rows, and a joined bucket the live one has moved past
        passed = [c for c in joined if self._behind_newest(c)]
        self._rewritten(behind + passed)
        return len(rows)

    async def invented(self, cut: LiveCut) -> Marks:
        """The spans of invented candles (``velox.market.invented``) that began before
        ``cut``, once every trade queued before it has been through a batch."""
        await self._caught_up(self._before_cut.get(cut.symbol, self.accepted))
        async with self._lock:
            marks = await self.provenance.marks(cut.symbol)
        before = {d: [s for s in spans if s[0] < cut.time] for d, spans in marks.items()}
        return {d: spans for d, spans in before.items() if spans}

    async def mark_invented(self, symbol: str, spans: Mapping[str, Span]) -> None:
        """The simulator is about to write history of these durations over these spans."""
        async with self._lock:
            marks = await self.provenance.marks(symbol)
            for duration, (lo, hi) in spans.items():
                marks[duration] = with_span(marks.get(duration, []), lo, hi)
            await self.store.upsert_candles([], self.provenance.marked(symbol, marks))
            self.provenance.marks_written(symbol, marks)

    async def replace_history(
        self, cut: LiveCut, duration: str, span: Span, candles: Sequence[CandleRecord]
    ) -> None:
        """Replace the stored candles of the invented ``span`` (``invented_range``, before
        the cut's boundary) with ``candles``, and forget the span, in one transaction:
        invented candles go, even where the new history has none."""
        start, end = invented_range(span, duration, boundary(cut.time, duration))
        if any(is_prefix(c, cut) or not start <= c.time < end for c in candles):
            raise ValueError(f"history for {duration} in {start}..{end} before {cut} only")
        await self._caught_up(self._before_cut.get(cut.symbol, self.accepted))
        async with self._lock:
            marks = await self.provenance.marks(cut.symbol)
            marks[duration] = [s for s in marks.get(duration, []) if s != span]
            meta = self.provenance.marked(cut.symbol, marks)
            put = asyncio.ensure_future(
                self.store.replace_candles(cut.symbol, duration, start, end, candles, meta)
            )
            await asyncio.shield(put)
            self.provenance.marks_written(cut.symbol, marks)
            self.aggregator.forget(cut.symbol, duration, start, end)
            self.aggregator.replace(candles)
        self._rewritten([CandleRecord(cut.symbol, duration, start, 0, 0, 0, 0, 0)])

    async def _holds(self, symbol: str, duration: str, time: int) -> bool:
        """A candle of the series at ``time`` exists: in the aggregator, or stored."""
        current = self.aggregator.current(symbol, duration)
        if current is not None and current.time == time:
            return True
        return bool(await self.store.candles(symbol, duration, time, time, 1))

    def _behind_newest(self, candle: CandleRecord) -> bool:
        newest = self.aggregator.current(candle.symbol, candle.duration)
        return newest is not None and newest.time > candle.time

    def _rewritten(self, rows: Sequence[CandleRecord]) -> None:
        if self.on_history is None:
            return
        for series in dict.fromkeys((c.symbol, c.duration) for c in rows):
            try:
                self.on_history(*series)
            except Exception:  # a listener's bug must not stop the history
                log.exception("trade writer: on_history failed for %s", series)

    async def _put_rows(self, rows: list[CandleRecord]) -> None:
        await self.store.put_candles(rows)
        self.aggregator.replace(rows)

    async def _caught_up(self, accepted: int) -> None:
        while self.processed < accepted:
            await self._batch_done.wait()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Run the writer loop in a supervised task until ``stop``."""
        self.supervisor.start()

    def status(self) -> PartStatus:
        """The supervisor's status while the loop is failing (a bug), else the store's."""
        loop = self.supervisor.status()
        if loop.state != "up":
            return loop
        writes = self.store_health.status()
        return PartStatus(loop.name, writes.state, writes.down_ms, loop.restarts,
                          writes.error if writes.state != "up" else loop.error)  # fmt: skip

    async def stop(self) -> None:
        """Stop the task and write everything still queued (graceful shutdown)."""
        self._drop_log.flush()
        self._misdated_log.flush()
        await self.supervisor.stop()
        if self._writing is not None:
            await asyncio.wait({self._writing})
            self._writing = None
        await self.flush()

    async def run(self) -> None:
        """Collect and write batches until cancelled. Writes are shielded from cancellation:
        a batch the store accepted always reaches the candles."""
        while True:
            await self._collect()
            self._writing = asyncio.ensure_future(self._write_batch())
            await asyncio.shield(self._writing)
            self._writing = None
            await self._maybe_prune()

    async def flush(self) -> None:
        """Write everything queued now, in batches (tests, shutdown, benchmarks)."""
        self._take_queued(len(self._pending) + self.queue.qsize())
        while self._pending:
            await self._write_batch()

    # -- internals -------------------------------------------------------------------------
    def _take_queued(self, up_to: int) -> None:
        while len(self._pending) < up_to and not self.queue.empty():
            self._pending.append(self.queue.get_nowait())

    async def _collect(self) -> None:
        self._take_queued(self.batch_size)
        if not self._pending:
            self._pending.append(await self.queue.get())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_interval_s
        while len(self._pending) < self.batch_size:
            self._take_queued(self.batch_size)
            remaining = deadline - loop.time()
            if len(self._pending) >= self.batch_size or remaining <= 0:
                return
            try:
                async with asyncio.timeout(remaining):
                    self._pending.append(await self.queue.get())
            except TimeoutError:
                return

    async def _write_batch(self) -> None:
        """Insert, aggregate, upsert; each stage is done once even when a later one is retried
        (a retried insert would dedupe the trades away before they reached the candles)."""
        async with self._lock:
            changed = await self._write_locked(self._pending[: self.batch_size])
        self._publish(changed)
        done, self._batch_done = self._batch_done, asyncio.Event()
        done.set()

    async def _write_locked(self, batch: list[Queued]) -> list[CandleRecord]:
        new: list[TradeRecord] | None = None
        changed: dict[BucketKey, CandleRecord] | None = None
        admitted: Admitted | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                if admitted is None:
                    admitted = await self.provenance.admit(batch)
                if new is None:
                    new = await self.store.insert_trades(admitted.trades)
                    self.written += len(new)
                    self.duplicates += len(batch) - len(new)
                    self.batches += 1
                if changed is None:
                    changed = await self._aggregate(new)
                    self.provenance.count(admitted)  # with the deltas they made, from now on
                await self._upsert_deltas()
                self.store_health.succeeded()
                break
            except Exception as exc:  # any driver's error: retried, then given up
                self.store_health.failed(exc)
                if attempt == self.max_attempts:
                    self._give_up(batch, new, exc)
                    break
                await asyncio.sleep(self.retry_delay_s)
        del self._pending[: len(batch)]
        self.processed += len(batch)
        return list(changed.values()) if changed else []

    def _publish(self, candles: Sequence[CandleRecord]) -> None:
        if self.on_candle is None:
            return
        for candle in candles:
            try:
                self.on_candle(candle)
            except Exception:  # a listener's bug must not stop the candles
                log.exception("trade writer: on_candle failed for %s", candle)

    def _give_up(self, batch: list[Queued], new: list[TradeRecord] | None, exc: Exception) -> None:
        if new is None:
            self.lost += len(batch)
            self.provenance.lost(batch)
            log.error("trade writer: dropping %d trades after %d attempts: %r",
                      len(batch), self.max_attempts, exc)  # fmt: skip
        else:  # the deltas stay in the aggregator and go out with the next batch
            log.error("trade writer: candle upsert failing, will retry next batch: %r", exc)

    async def _upsert_deltas(self) -> None:
        deltas = self.aggregator.take_deltas()
        meta = self.provenance.pending()
        if not deltas and not meta:
            self.aggregator.confirm()
            return
        try:
            await self.store.upsert_candles(deltas, meta)
        except BaseException:
            self.aggregator.restore()
            raise
        self.aggregator.confirm()
        self.provenance.written(meta)

    async def _aggregate(self, trades: list[TradeRecord]) -> dict[BucketKey, CandleRecord]:
        """Seed buckets the store may already hold (all awaits first, so a failure leaves the
        aggregator untouched), then add the trades."""
        agg = self.aggregator
        for key in agg.missing(trades):
            symbol, duration, time = key
            rows = await self.store.candles(symbol, duration, time, time, 1)
            agg.seed(key, rows[0] if rows else None)
        changed: dict[BucketKey, CandleRecord] = {}
        for trade in trades:
            for candle in agg.add(trade):
                changed[(candle.symbol, candle.duration, candle.time)] = candle
        return changed

    async def _maybe_prune(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._last_prune is not None and now - self._last_prune < self.prune_interval_s:
            return
        self._last_prune = now
        cutoff = self._clock.wall_ms() - self.retention_ms
        try:
            removed = await self.store.prune_trades(cutoff)
        except Exception as exc:  # retried at the next interval
            log.warning("trade writer: pruning trades failed: %r", exc)
            return
        self.prunes += 1
        self.pruned += removed
        if removed:
            log.info("trade writer: pruned %d trades older than %d", removed, cutoff)
