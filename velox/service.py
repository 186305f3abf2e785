"""EngineService: the asyncio shell that owns the pure engine (the only writer, LMAX style).

One task drains a queue of commands, ticks and reads in batches (``velox/batch.py``):

1. commands and ticks run through the engine, producing events; the replies, read results
   and staged listeners' work are computed right then, from exactly the state the batch's
   commit will make durable;
2. the batch's rows (``velox.journal.commit_rows``: events, closed orders, projections) are
   appended in ONE transaction: group commit, one fsync for many orders;
3. only then is any of it handed out, and classic listeners (which read the engine) told;
   with no classic listener the next batch is applied while this one commits (pipelining),
   one commit at a time, revealed in order;
4. every ``snapshot_interval_s`` the exported state is saved with the sequence it covers.

If a commit fails the in-memory engine is ahead of the journal, so it is rebuilt from the
store (dropping any batch applied after it) before anything else runs: acknowledged means
durable, and nothing else is revealed. The journal is then reported down
(``velox.journal_health``: ``/healthz`` 503, refusals that say so, one log line) until a
commit or a probe write goes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from velox.batch import COMMITTED, STOP, Batch, Deadline, Read, Stage, Submit, apply_batch
from velox.clock import SYSTEM_CLOCK
from velox.clockwork import run_clock
from velox.engine.commands import Command, PriceTick, RecordFundingInterval
from velox.engine.engine import Engine, Outcome
from velox.engine.settings import EngineSettings
from velox.foreground import Foreground
from velox.journal import OLD_BASE_KEY, JournalGap, UnreadableRow, load, load_engine
from velox.journal.backfill import backfill_rows
from velox.journal_health import PROBE_KEY, PROBE_S, JournalHealth
from velox.published import EngineNotReady, EngineState, JournalDown, Published, Reply
from velox.snapshots import Snapshots
from velox.store.base import Store, WriterLockHeld
from velox.tasks import cancel_and_wait
from velox.unlisted import UnlistedAssets, refuse_unlisted

log = logging.getLogger(__name__)
T = TypeVar("T")
Listener = Callable[[Published], None]
__all__ = ["EngineNotReady", "EngineService", "EngineState", "Published", "Reply", "Stage"]

MAX_BATCH = 2000
MAX_PENDING_TICKS = 50_000
RECOVERY_RETRY_S = 0.05


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
        pipeline: bool = True,
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
        self._staged: list[Stage] = []
        # Apply the next batch while the previous one commits (only with no classic
        # listener: those read the engine after a commit and need it to be that commit's).
        self.pipeline = pipeline
        self.foreground = Foreground()  # open from a batch's commit to its reveal
        self._applied_seq = 0  # the last seq of the batches applied (committed or not)
        self._in_hand: list[Any] = []  # items taken from the queue and not yet answered
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()  # set by stop(): a recovery gives up waiting
        # set when the engine stops by itself, for good (the process should end: ``velox run``
        # exits 1 so its supervisor restarts it or says so); ``failure`` says why
        self.failed = asyncio.Event()
        self.failure: str | None = None
        self._consistent = True  # False while the engine may differ from the journal
        self.journal = JournalHealth(clock)  # whether commits go through (``/healthz``)
        self._probe_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        self.state = EngineState.REPLAYING
        try:
            loaded = await load(self.store, self.settings)
        except (JournalGap, UnreadableRow) as exc:
            log.critical("cannot start the engine: %s", exc)
            self.state = EngineState.SHUTDOWN
            raise
        self.engine, self.seq = loaded.engine, loaded.seq
        if self.failure is not None:  # given up while replaying: never READY, nothing written
            log.critical("engine replayed to seq %d, but stops: %s", self.seq, self.failure)
            return
        try:
            refuse_unlisted(self.engine, self.settings.assets)
        except UnlistedAssets as exc:
            log.critical("cannot start the engine: %s", exc)
            self.state = EngineState.SHUTDOWN
            raise
        self._applied_seq = self.seq
        await backfill_rows(self.store)  # once per database: rows of older events
        if loaded.old_base is not None:  # for velox audit: for good (the first one counts)
            await self.store.claim_meta(OLD_BASE_KEY, loaded.old_base.encode())
        snapshot = await self.store.latest_snapshot()
        # an older format's snapshot does not count as saved: the first snapshot (the final
        # one at the latest) is written again in this format, at the same seq if idle
        self.snapshots.saved_seq = -1 if loaded.older_snapshot else snapshot.seq if snapshot else 0
        self.snapshots.last_ms = self.clock()
        log.info("engine replayed to seq %d; READY", self.seq)
        self.state = EngineState.READY
        self._task = asyncio.create_task(self._run(), name="engine-service")
        self._task.add_done_callback(self._task_ended)
        try:  # funding off, or back on: journaled before any boundary is walked
            await self.submit(RecordFundingInterval(self.clock()))
        except EngineNotReady:
            log.warning("could not record the funding interval; retried at the next start")
        if self.clock_interval_s is not None:
            clock = run_clock(self.submit, self.clock, EngineNotReady, self.clock_interval_s)
            self._clock_task = asyncio.create_task(clock, name="engine-clock")

    def give_up(self, why: str) -> None:
        """Stop for good because of something outside the engine (another engine on the
        bus prefix): no command is taken from now on; those already queued are committed
        and answered by ``stop()``, which the process runs on its way out (exit status 1):
        nothing acknowledged is lost, and the engine stops between batches, as at a
        normal stop. Called before or during ``start()`` (a rival heard while the journal
        replays), the engine never becomes READY: ``start()`` returns after the replay
        having written nothing and taken no command."""
        if self.failure is None:
            self._fail(why)

    def _fail(self, why: str) -> None:
        """Stop for good on our own (not ``stop()``): refuse everything from now on."""
        self.state = EngineState.SHUTDOWN
        self.failure = why
        self.failed.set()

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        """Last line of defence: if the loop ever dies, refuse (503) rather than hang."""
        if task.cancelled() or task.exception() is None:
            return
        log.critical("engine task died", exc_info=task.exception())
        self._fail("the engine task died")
        self._drain_after_stop()

    async def stop(self) -> None:
        """Stop taking commands, finish what is queued, write a final snapshot."""
        if self._clock_task is not None:
            await cancel_and_wait(self._clock_task)
            self._clock_task = None
        self.state = EngineState.SHUTDOWN
        self._stopping.set()
        if self._probe_task is not None:
            await self._probe_task  # ends once _stopping is set
            self._probe_task = None
        if self._task is None:
            return
        log.info("engine stopping: finishing the queued commands, then a final snapshot")
        self._queue.put_nowait(STOP)
        task, self._task = self._task, None
        try:
            await task
        except Exception:  # already logged by _task_ended
            log.warning("engine stopped at journal %d without a final snapshot", self.seq)
            return  # the engine may be ahead of the journal: never snapshot it
        if not self._consistent:
            log.warning("engine stopped at journal %d without a final snapshot", self.seq)
            return  # stopped during a recovery that never rebuilt the engine
        self.snapshots.drop(self.engine)
        await self.snapshots.wait_saved()
        await self.snapshot()
        if self.snapshots.saved_seq == self.seq:
            log.info("engine stopped; final snapshot at journal %d", self.seq)
        else:  # the save failed (Snapshots logged why): the last one is older
            log.warning(
                "engine stopped at journal %d; the final snapshot failed (the newest saved "
                "covers journal %d)", self.seq, self.snapshots.saved_seq,
            )  # fmt: skip

    # -- the API for handlers ------------------------------------------------------------
    async def submit(self, command: Command) -> Outcome:
        """Run a command; returns once its events are durable (or it was refused)."""
        future = self._new_future()
        self._queue.put_nowait(Submit(command, future))
        result: Outcome = await future
        return result

    async def submit_and_read(
        self,
        command: Command,
        view: Callable[[Engine, Outcome], T],
        *,
        expires: Deadline | None = None,
    ) -> tuple[Outcome, T | None]:
        """``submit``, plus ``view(engine, outcome)`` of the engine as that commit left it
        (None if the command was refused).

        One trip through the queue instead of a submit followed by a read, which would wait
        for the next batch to commit as well. A command still queued when ``expires`` has
        passed is not run: ``EngineNotReady``.
        """
        reply = await self.submit_and_show(command, view, expires=expires)
        return reply.outcome, reply.seen

    async def submit_and_show(
        self,
        command: Command,
        view: Callable[[Engine, Outcome], T],
        *,
        expires: Deadline | None = None,
    ) -> Reply[T]:
        """``submit_and_read``, plus what the commit published (its closed orders)."""
        future = self._new_future()
        self._queue.put_nowait(Submit(command, future, view, expires))
        result: Reply[T] = await future
        return result

    async def read(self, fn: Callable[[Engine], T]) -> T:
        """Call ``fn`` on the engine at a moment it holds exactly the durable state."""
        future = self._new_future()
        self._queue.put_nowait(Read(fn, future))
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
        """Call ``listener`` after each commit, the engine then holding exactly that commit's
        state (so it may read the engine). While any is subscribed, batches do not overlap."""
        self._listeners.append(listener)

    def subscribe_staged(self, stage: Stage) -> None:
        """Call ``stage`` when a batch is applied, the engine holding exactly the state its
        commit will make durable (read it now); the callable it returns runs once that
        commit succeeded (and never if it failed): reveal only then."""
        self._staged.append(stage)

    # -- the loop ------------------------------------------------------------------------
    async def _run(self) -> None:
        try:
            await self._loop()
        except BaseException:
            _refuse_all(self._in_hand, "the engine stopped")  # never leave a request hanging
            raise

    async def _loop(self) -> None:
        inflight: Batch | None = None
        while True:
            if inflight is None:
                if self.snapshots.export is not None and self._queue.empty():
                    self.snapshots.step(self.engine)  # idle: take rows, let handlers run
                    await asyncio.sleep(0)
                    continue
                first = await self._queue.get()
            else:
                first = await self._item_or_commit(inflight)
                if first is COMMITTED:
                    ok, inflight = await self._finish(inflight), None
                    if not self._consistent:
                        return self._drain_after_stop()
                    self._after_commit(ok, durable=True)
                    continue
            items = [first]
            while len(items) < self.max_batch and not self._queue.empty():
                items.append(self._queue.get_nowait())
            self._in_hand = items if inflight is None else items + inflight.items
            try:
                batch, ticks = apply_batch(self.engine, items, self._applied_seq, self._staged)
            except Exception:
                self._pending_ticks -= sum(isinstance(i, PriceTick) for i in items)
                log.exception("engine failed applying a batch; rebuilding it from the store")
                if inflight is not None:
                    await self._finish(inflight)  # its rows were right: let it land
                    inflight = None
                await self._recover()
                _refuse_all(items, "batch failed")
                if not self._consistent:
                    return self._drain_after_stop()
                continue
            self._pending_ticks -= ticks
            if batch.rows.last_seq is not None:
                self._applied_seq = batch.rows.last_seq
            if inflight is not None:  # reveal the previous batch first, in order
                ok, inflight = await self._finish(inflight), None
                if not ok:  # the engine was rebuilt without this batch either
                    _refuse_all(items, "batch failed")
                    if not self._consistent:
                        return self._drain_after_stop()
                    continue
            self.foreground.enter()  # left by _finish
            batch.commit = asyncio.create_task(self._write(batch), name="engine-commit")
            stopping = any(item is STOP for item in items)
            if stopping or not self._may_overlap():
                ok = await self._finish(batch)
                if stopping or not self._consistent:
                    return self._drain_after_stop()
                self._after_commit(ok, durable=True)
            else:
                inflight = batch
                self._after_commit(True, durable=False)

    def _may_overlap(self) -> bool:
        """Apply the next batch before this one's commit ends? Not with a classic listener
        (it reads the engine after the commit), and not when a snapshot is due: an export
        begins only between batches, with no later batch applied, which a steady stream of
        overlapped batches would never leave."""
        if not self.pipeline or self._listeners:
            return False
        return self.snapshots.export is not None or not self.snapshots.due()

    async def _item_or_commit(self, inflight: Batch) -> Any:
        """The next queued item, or ``COMMITTED`` if the running commit ends first."""
        if not self._queue.empty():
            return self._queue.get_nowait()
        assert inflight.commit is not None
        getter = asyncio.ensure_future(self._queue.get())
        await asyncio.wait((getter, inflight.commit), return_when=asyncio.FIRST_COMPLETED)
        if getter.done() or not getter.cancel():
            return getter.result()
        return COMMITTED

    def _after_commit(self, ok: bool, *, durable: bool) -> None:
        """Snapshot work between batches: a new export may begin only when the engine holds
        exactly the durable state (no later batch applied); an export under way steps on."""
        if self.snapshots.export is not None:
            self.snapshots.step(self.engine)
        elif ok and durable and self.snapshots.due():
            self.snapshots.begin(self.engine, self.seq)

    async def _write(self, batch: Batch) -> None:
        rows = batch.rows
        if rows.records:
            await self.store.append_batch(rows.records, batch.published.closed, rows.writes)

    async def _finish(self, batch: Batch) -> bool:
        """Await the batch's commit, then reveal it; if it failed, rebuild the engine from
        the store (dropping this batch and any applied after it) and refuse its requests."""
        try:
            return await self._reveal(batch)
        finally:
            self.foreground.leave()

    async def _reveal(self, batch: Batch) -> bool:
        assert batch.commit is not None
        try:
            await batch.commit
        except Exception as failure:
            self.journal.failed(failure)  # one line, not a traceback per failed commit
            self._start_probe()
            await self._recover()
            _refuse_all(batch.items, self.journal.refusal(), JournalDown)
            return False
        if batch.rows.records:
            self.journal.succeeded()
        if batch.rows.last_seq is not None:
            self.seq = batch.rows.last_seq
        for future, value, exc in batch.answers:
            if future.done():
                continue
            if exc is None:
                future.set_result(value)
            else:
                future.set_exception(exc)
        for after in batch.afters:
            try:
                after()
            except Exception:
                log.exception("staged listener failed")
        for listener in self._listeners:
            try:
                listener(batch.published)
            except Exception:
                log.exception("listener failed")
        return True

    def _start_probe(self) -> None:
        if self._probe_task is None or self._probe_task.done():
            self._probe_task = asyncio.create_task(self._probe(), name="journal-probe")

    async def _probe(self) -> None:
        """While the journal is down, write a meta row every ``PROBE_S``: with no order
        arriving (``/healthz`` answers 503, so a load balancer sends none), nothing else
        would find out that the store takes writes again."""
        while self.journal.down and not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PROBE_S):
                    await self._stopping.wait()
            if self._stopping.is_set() or not self.journal.down:
                return
            try:
                await self.store.set_meta(PROBE_KEY, str(self.clock()))
            except Exception as exc:
                self.journal.failed(exc)
            else:
                self.journal.succeeded()

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
                await self.store.reclaim_writer()  # before reading: no writer in between
                async with self.snapshots.lock:
                    self.engine, self.seq = await load_engine(self.store, self.settings)
            except JournalGap:
                log.critical("cannot rebuild the engine: the journal has a gap", exc_info=True)
                self._fail("the journal has a gap")
                return
            except UnreadableRow as exc:  # no retry reads it better
                log.critical("cannot rebuild the engine: %s", exc)
                self._fail(str(exc))
                return
            except WriterLockHeld as exc:
                log.critical("lost the database's writer lock to %s: stopping", exc.holder)
                self._fail(f"another process took the database's writer lock ({exc.holder})")
                return
            except Exception:
                log.exception("cannot rebuild the engine from the store; retry in %.1f s", delay)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._stopping.wait()
                delay = min(delay * 2, 5.0)
                continue
            self.engine.quotes = quotes
            self._applied_seq = self.seq
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
            # a read sees the state of the batch it is applied with: up to _applied_seq
            seq, data = await self.read(lambda engine: (self._applied_seq, engine.export()))
        elif self._consistent:
            seq, data = self.seq, self.engine.export()
        else:
            return  # never save an engine that may differ from the journal
        await self.snapshots.save(seq, data)


def _refuse_all(items: list[Any], why: str, error: type[EngineNotReady] = EngineNotReady) -> None:
    for item in items:
        if isinstance(item, Submit | Read) and not item.future.done():
            item.future.set_exception(error(why))
