"""EngineService: the asyncio shell that owns the pure engine (the only writer, LMAX style).

One task drains a queue of commands, ticks and reads in batches:

1. commands and ticks run through the engine, producing events;
2. the batch's events (and the closed orders they produce) are appended in ONE transaction:
   group commit, one fsync for many orders;
3. only then are the waiting requests resolved, reads answered (the engine now equals the
   durable state) and listeners (websocket hub) told;
4. every ``snapshot_interval_s`` the exported state is saved with the sequence it covers.

If a commit fails the in-memory engine is ahead of the journal, so it is rebuilt from the
store before anything else runs: acknowledged means durable, and nothing else is revealed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from velox import codec
from velox.clock import SYSTEM_CLOCK
from velox.clockwork import run_clock
from velox.engine.commands import Command, PriceTick
from velox.engine.engine import Engine, Outcome
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.engine.state import Quote
from velox.journal import JournalGap, coalesce_marks, load_engine
from velox.orders import closed_record_of
from velox.projection import project
from velox.snapshots import Snapshots
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, JournalRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BATCH = 2000
MAX_PENDING_TICKS = 50_000
RECOVERY_RETRY_S = 0.05


class EngineState(StrEnum):
    STARTING = "STARTING"
    REPLAYING = "REPLAYING"
    READY = "READY"
    SHUTDOWN = "SHUTDOWN"


class EngineNotReady(Exception):
    """The engine is starting, replaying, recovering or shutting down: try again later."""


@dataclass(frozen=True, slots=True)
class Published:
    """What one committed batch made visible."""

    events: tuple[tuple[int, Event], ...]
    quotes: tuple[tuple[str, Quote], ...]
    closed: tuple[ClosedOrderRecord, ...]


@dataclass(slots=True)
class _Submit:
    command: Command
    future: asyncio.Future[Any]
    view: Callable[[Engine, Outcome], Any] | None = None


@dataclass(slots=True)
class _Read:
    fn: Callable[[Engine], Any]
    future: asyncio.Future[Any]


_STOP = object()
Listener = Callable[[Published], None]


@dataclass(slots=True)
class _Batch:
    events: list[Event] = field(default_factory=list)
    replies: list[tuple[_Submit, Outcome]] = field(default_factory=list)
    quotes: list[tuple[str, Quote]] = field(default_factory=list)


class EngineService:
    def __init__(
        self,
        store: Store,
        settings: EngineSettings,
        *,
        snapshot_interval_s: float = 15.0,
        snapshot_keep: int = 5,
        prune_journal: bool = False,
        clock: Callable[[], int] = SYSTEM_CLOCK.now_ms,  # engine time: Clock.now_ms
        max_batch: int = MAX_BATCH,
        clock_interval_s: float | None = None,
    ) -> None:
        self.store = store
        # expiry and funding: a ClockTick every clock_interval_s (None: the caller sends them)
        self.clock_interval_s = clock_interval_s
        self._clock_task: asyncio.Task[None] | None = None
        self.settings = settings
        self.engine = Engine(settings)
        self.state = EngineState.STARTING
        self.clock = clock
        self.seq = 0
        self.max_batch = max_batch  # 1 = one commit per command (the benchmark's baseline)
        self.snapshots = Snapshots(store, clock, snapshot_interval_s, snapshot_keep, prune_journal)
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._pending_ticks = 0
        self._dropped_ticks = 0
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()  # set by stop(): a recovery gives up waiting
        self._consistent = True  # False while the engine may differ from the journal

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self.state = EngineState.REPLAYING
        try:
            self.engine, self.seq = await load_engine(self.store, self.settings)
        except JournalGap as exc:
            log.critical("cannot start the engine: %s", exc)
            self.state = EngineState.SHUTDOWN
            raise
        snapshot = await self.store.latest_snapshot()
        self.snapshots.saved_seq = snapshot.seq if snapshot else 0
        self.snapshots.last_ms = self.clock()
        log.info("engine replayed to seq %d; READY", self.seq)
        self.state = EngineState.READY
        self._task = asyncio.create_task(self._run(), name="engine-service")
        self._task.add_done_callback(self._task_ended)
        if self.clock_interval_s is not None:
            clock = run_clock(self.submit, self.clock, EngineNotReady, self.clock_interval_s)
            self._clock_task = asyncio.create_task(clock, name="engine-clock")

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        """Last line of defence: if the loop ever dies, refuse (503) rather than hang."""
        if task.cancelled() or task.exception() is None:
            return
        log.critical("engine task died", exc_info=task.exception())
        self.state = EngineState.SHUTDOWN
        self._drain_after_stop()

    async def stop(self) -> None:
        """Stop taking commands, finish what is queued, write a final snapshot."""
        if self._clock_task is not None:
            self._clock_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._clock_task
            self._clock_task = None
        self.state = EngineState.SHUTDOWN
        self._stopping.set()
        if self._task is None:
            return
        self._queue.put_nowait(_STOP)
        task, self._task = self._task, None
        try:
            await task
        except Exception:  # already logged by _task_ended
            return  # the engine may be ahead of the journal: never snapshot it
        if not self._consistent:
            return  # stopped during a recovery that never rebuilt the engine
        self.snapshots.drop(self.engine)
        await self.snapshots.wait_saved()
        await self.snapshot()

    # -- the API for handlers ------------------------------------------------------------
    async def submit(self, command: Command) -> Outcome:
        """Run a command; returns once its events are durable (or it was refused)."""
        future = self._new_future()
        self._queue.put_nowait(_Submit(command, future))
        result: Outcome = await future
        return result

    async def submit_and_read(
        self, command: Command, view: Callable[[Engine, Outcome], T]
    ) -> tuple[Outcome, T | None]:
        """``submit``, plus ``view(engine, outcome)`` of the engine as that commit left it
        (None if the command was refused).

        One trip through the queue instead of a submit followed by a read, which would wait
        for the next batch to commit as well.
        """
        future = self._new_future()
        self._queue.put_nowait(_Submit(command, future, view))
        result: tuple[Outcome, T | None] = await future
        return result

    async def read(self, fn: Callable[[Engine], T]) -> T:
        """Call ``fn`` on the engine at a moment it holds exactly the durable state."""
        future = self._new_future()
        self._queue.put_nowait(_Read(fn, future))
        result: T = await future
        return result

    def _new_future(self) -> asyncio.Future[Any]:
        """A reply slot for one queued request; refused at once unless the engine is READY."""
        if self.state is not EngineState.READY:
            raise EngineNotReady(self.state.value)
        return asyncio.get_running_loop().create_future()

    def offer_tick(self, tick: PriceTick) -> None:
        """Queue a price without waiting; past a bound, ticks are dropped (and counted)."""
        if self.state is not EngineState.READY:
            return
        if self._pending_ticks >= MAX_PENDING_TICKS:
            self._dropped_ticks += 1
            if self._dropped_ticks % 10_000 == 1:
                log.warning("engine behind: %d ticks dropped so far", self._dropped_ticks)
            return
        self._pending_ticks += 1
        self._queue.put_nowait(tick)

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- the loop ------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if self.snapshots.export is not None and self._queue.empty():
                self.snapshots.step(self.engine)  # idle: take rows, let the handlers run
                await asyncio.sleep(0)
                continue
            items = [await self._queue.get()]
            while len(items) < self.max_batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            stopping = any(item is _STOP for item in items)
            try:
                await self._process([i for i in items if not isinstance(i, _Read)])
            except BaseException:
                _refuse_all(items, "the engine stopped")
                raise
            if not self._consistent:  # a recovery gave up (stop() or a journal gap)
                _refuse_all(items, "the engine stopped")
                self._drain_after_stop()
                return
            # After the commit the engine holds exactly the durable state: answer reads now.
            for item in items:
                if isinstance(item, _Read):
                    self._answer_read(item)
            if stopping:
                self._drain_after_stop()
                return
            if self.snapshots.export is not None:
                self.snapshots.step(self.engine)
            elif self.snapshots.due():
                self.snapshots.begin(self.engine, self.seq)

    def _answer_read(self, item: _Read) -> None:
        if item.future.done():
            return
        try:
            item.future.set_result(item.fn(self.engine))
        except Exception as exc:  # a bug in a view must not kill the engine task
            item.future.set_exception(exc)

    async def _process(self, items: list[Any]) -> None:
        batch = _Batch()
        try:
            for item in items:
                if isinstance(item, PriceTick):
                    self._pending_ticks -= 1
                    batch.events.extend(self.engine.on_tick(item))
                    quote = self.engine.quotes.get(item.asset)
                    if quote is not None and quote.ts == item.ts:
                        batch.quotes.append((item.asset, quote))
                elif isinstance(item, _Submit):
                    outcome = self.engine.handle(item.command)
                    batch.events.extend(outcome.events)
                    batch.replies.append((item, outcome))
            published = await self._commit(batch.events, tuple(batch.quotes))
        except Exception:
            # An engine bug or a failed commit: memory may be ahead of the journal. Rebuild
            # from the store and answer nobody with success: nothing here is durable.
            log.exception("batch failed; rebuilding the engine from the store")
            await self._recover()
            for item in items:
                if isinstance(item, _Submit) and not item.future.done():
                    item.future.set_exception(EngineNotReady("batch failed"))
            return
        for item, outcome in batch.replies:
            if item.future.done():
                continue
            if item.view is None:
                item.future.set_result(outcome)
                continue
            try:  # the engine now holds exactly what this commit made durable
                seen = item.view(self.engine, outcome) if outcome.ok else None
            except Exception as exc:
                item.future.set_exception(exc)
            else:
                item.future.set_result((outcome, seen))
        self._publish(published)

    async def _commit(
        self, events: list[Event], quotes: tuple[tuple[str, Quote], ...]
    ) -> Published:
        if not events:
            return Published((), quotes, ())
        kept = coalesce_marks(events)
        records: list[JournalRecord] = []
        numbered: list[tuple[int, Event]] = []
        closed: list[ClosedOrderRecord] = []
        seq = self.seq
        for event in kept:
            seq += 1
            records.append(
                JournalRecord(seq, event.ts, codec.event_type(event), codec.encode_event(event))
            )
            numbered.append((seq, event))
            record = closed_record_of(event)
            if record is not None:
                closed.append(record)
        await self.store.append_batch(records, closed, project(kept))
        self.seq = seq
        return Published(tuple(numbered), quotes, tuple(closed))

    def _publish(self, published: Published) -> None:
        for listener in self._listeners:
            try:
                listener(published)
            except Exception:
                log.exception("listener failed")

    def _drain_after_stop(self) -> None:
        items = []
        while not self._queue.empty():
            items.append(self._queue.get_nowait())
        _refuse_all(items, "shutting down")

    async def _recover(self) -> None:
        """Rebuild the engine from the store, retrying until the store answers again.

        Meanwhile the state is REPLAYING, so requests get 503 ENGINE_NOT_READY instead of
        waiting on a queue nobody drains. The retries end when ``stop()`` is called (the
        engine is then left unrebuilt and never snapshotted) or on a journal gap (no retry
        can fix that: the engine stops, loudly). READY comes back only over REPLAYING, never
        over a SHUTDOWN set meanwhile. The snapshot lock keeps any prune out of the replay.
        """
        self._consistent = False
        if self.state is EngineState.READY:
            self.state = EngineState.REPLAYING
        self.snapshots.drop(self.engine)  # it belongs to the engine being replaced
        quotes = self.engine.quotes  # prices are not durable state: keep the latest
        delay = RECOVERY_RETRY_S
        while not self._stopping.is_set():
            try:
                async with self.snapshots.lock:
                    self.engine, self.seq = await load_engine(self.store, self.settings)
            except JournalGap:
                log.critical("cannot rebuild the engine: the journal has a gap", exc_info=True)
                self.state = EngineState.SHUTDOWN
                return
            except Exception:
                log.exception("cannot rebuild the engine from the store; retry in %.1f s", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, 5.0)
                continue
            self.engine.quotes = quotes
            self._consistent = True
            if self.state is EngineState.REPLAYING:
                self.state = EngineState.READY
            return
        log.warning("engine stopped while rebuilding from the store; no snapshot taken")

    # -- snapshots -----------------------------------------------------------------------
    async def snapshot(self) -> None:
        """Save the whole state now, with the journal sequence it covers, then prune.

        While the engine task runs, the export happens inside it between commits (the only
        moment the engine equals the durable state); after it stopped, directly.
        """
        if self._task is not None:  # refused (EngineNotReady) unless READY
            seq, data = await self.read(lambda engine: (self.seq, engine.export()))
        elif self._consistent:
            seq, data = self.seq, self.engine.export()
        else:
            return  # never save an engine that may differ from the journal
        await self.snapshots.save(seq, data)


def _refuse_all(items: list[Any], why: str) -> None:
    for item in items:
        if isinstance(item, _Submit | _Read) and not item.future.done():
            item.future.set_exception(EngineNotReady(why))
