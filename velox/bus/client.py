"""``BusEngineClient``: a gateway's ``EngineApi``. Commands over NATS, reads from a mirror.

A command is a NATS request with a fresh request id, answered by the engine after the
journal commit. A lost reply (timeout) is asked again with the same id, which the engine
answers from its reply cache without running the command twice; but only while the same run
of the engine is alive (its heartbeat names it), since a restarted engine has no cache. When
the engine is gone (no heartbeat for ``STALE_S``, or NATS finds no responder) or no answer
comes within ``timeout_s``, the caller gets ``EngineNotReady`` (503 ENGINE_NOT_READY) and may
retry; what was acknowledged is durable. Each attempt carries the moment after which the
engine must not start it, so a command the engine only reaches after this gateway gave up
is refused, not run later. But once an attempt went unanswered, the engine may have started
it in time and committed it after the wait ran out (a stalled commit), or died between its
commit and its reply: then the caller gets ``EngineTimeout``, which says the outcome is
unknown (Binance's -1007), never the plain "not ready" that says nothing was done.

After a reply the client waits for the mirror to hold that commit before returning, so the
handler's view, and any read on this gateway after it, sees the command's effect. A read asks
the engine for its last committed sequence and waits for the mirror to hold it, then runs on
the mirror: whatever any gateway acknowledged before the read began is in it.

Two engine runs heard at once (one prefix, two engines: ``sightings``) make the gateway
answer 503 rather than take either one's word, until one is heard alone for a while; its
mirror is then reloaded from the store, since the batches it took meanwhile may be the
other engine's.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from nats import errors as nats_errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.batch import TOO_LATE
from velox.bus import wire
from velox.bus.mirror import CATCH_UP, RELOAD, Listener, Mirror
from velox.bus.sightings import Sightings
from velox.bus.subjects import Subjects
from velox.clock import SYSTEM_CLOCK
from velox.engine.commands import Command
from velox.engine.engine import Engine, Outcome
from velox.engine.settings import EngineSettings
from velox.published import EngineBusy, EngineTimeout, InDoubt, JournalDown
from velox.service import EngineNotReady, EngineState, Published, Reply
from velox.store.base import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
STALE_S = 2.0  # no heartbeat for this long: the engine is down (heartbeats every 0.5 s)
ATTEMPT_S = 1.0  # one request's wait before asking again with the same id
CATCH_UP_S = 1.0  # a reply's batch not seen this long: read it from the journal
RETRY_PAUSE_S = 0.05
START_SHARE = 0.5  # of an attempt's wait: the engine starts it within this, or never


class BusEngineClient:
    def __init__(
        self,
        nc: Client,
        store: Store,
        settings: EngineSettings,
        subjects: Subjects,
        *,
        timeout_s: float = 5.0,
        clock: Callable[[], int] = SYSTEM_CLOCK.now_ms,
    ) -> None:
        self.nc = nc
        self.settings = settings
        self.subjects = subjects
        self.timeout_s = timeout_s
        self.clock = clock
        self.mirror = Mirror(store, settings)
        self._status: wire.Status | None = None
        self._status_at = 0.0  # monotonic time of the last heartbeat
        self._sightings = Sightings()  # two engine runs heard at once: trust neither
        self._suspect = False  # the mirror may hold another engine's batches: reload it
        self._known_seq = 0  # highest committed sequence heard of
        self._task: asyncio.Task[None] | None = None
        self._subscriptions: list[object] = []

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe first (batches queue up), then load the store, then apply them."""
        for subject, cb in (
            (self.subjects.batches, self._on_batch),
            (self.subjects.status, self._on_status),
        ):
            self._subscriptions.append(await self.nc.subscribe(subject, cb=cb))
        await self.mirror.load()
        log.info("gateway mirror loaded at seq %d", self.mirror.seq)
        self._task = asyncio.create_task(self.mirror.run(), name="bus-mirror")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _on_batch(self, msg: Msg) -> None:
        batch = wire.received(wire.decode_batch, msg.data, "batch")
        if batch is None:
            return
        self._known_seq = max(self._known_seq, batch.last)
        self.mirror.inbox.put_nowait(batch)

    async def _on_status(self, msg: Msg) -> None:
        status = wire.received(wire.decode_status, msg.data, "status")
        if status is None:
            return
        if self._status is None or status.instance != self._status.instance:
            log.info(
                "bus: engine %s is %s at seq %d", status.instance[:8], status.state, status.seq
            )
        now = time.monotonic()
        if self._sightings.heard(status.instance, now):
            if not self._suspect:
                log.error("bus: %s: answering 503", self._sightings.doubt(now))
            self._suspect = True
        elif self._suspect and self._sightings.doubt(now) is None:
            log.warning("bus: one engine heard alone again; reloading the mirror from the store")
            self._suspect = False
            self.mirror.loaded = False  # not ready until reloaded
            self.mirror.inbox.put_nowait(RELOAD)
        self._status, self._status_at = status, now
        self._known_seq = max(self._known_seq, status.seq)
        self.mirror.inbox.put_nowait(status)

    # -- state ---------------------------------------------------------------------------
    def _live_instance(self) -> str | None:
        """The running engine's id if its heartbeat is fresh and READY, else None."""
        status = self._status
        if status is None or time.monotonic() - self._status_at > STALE_S:
            return None
        if self._suspect:
            return None
        return status.instance if status.state == EngineState.READY.value else None

    @property
    def engine_feed(self) -> tuple[str, bool]:
        """The engine's feed, as its last heartbeat named it: (name, simulated)."""
        status = self._status
        return ("none", False) if status is None else (status.feed, status.simulated)

    @property
    def state(self) -> EngineState:
        if not self.mirror.loaded or self._suspect:
            return EngineState.STARTING
        status = self._status
        if status is None or time.monotonic() - self._status_at > STALE_S:
            return EngineState.STARTING
        return EngineState(status.state)

    @property
    def engine(self) -> Engine:
        return self.mirror.engine

    def subscribe(self, listener: Listener) -> None:
        self.mirror.subscribe(listener)

    def _check_ready(self) -> None:
        if self._suspect:
            raise InDoubt(self._sightings.doubt(time.monotonic()) or "two engines heard")
        state = self.state
        if state is not EngineState.READY:
            raise EngineNotReady(state.value)

    # -- the API for handlers ------------------------------------------------------------
    async def submit(self, command: Command) -> Outcome:
        self._check_ready()
        deadline = time.monotonic() + self.timeout_s
        reply = await self._request(uuid.uuid4().hex, command, deadline)
        if reply.seq:
            self._known_seq = max(self._known_seq, reply.seq)
            await self._reach(reply.seq, deadline)
        return reply.outcome

    async def submit_and_read(
        self, command: Command, view: Callable[[Engine, Outcome], T]
    ) -> tuple[Outcome, T | None]:
        outcome = await self.submit(command)
        return outcome, view(self.mirror.engine, outcome) if outcome.ok else None

    async def submit_and_show(
        self, command: Command, view: Callable[[Engine, Outcome], T]
    ) -> Reply[T]:
        """The command's own closed orders come with it; an order a trigger closed in the
        same batch is read from the store by the handler."""
        outcome, seen = await self.submit_and_read(command, view)
        return Reply(outcome, seen, Published.of(tuple((0, e) for e in outcome.events)))

    async def read(self, fn: Callable[[Engine], T]) -> T:
        """``fn`` of the mirror once it holds every commit the engine had made when the read
        began: one small request to the engine, so a client that was acknowledged by another
        gateway reads its own write here."""
        self._check_ready()
        deadline = time.monotonic() + self.timeout_s
        try:
            msg = await self.nc.request(self.subjects.seq, b"", timeout=self.timeout_s)
            seq = int(msg.data)
        except (nats_errors.Error, ValueError) as exc:
            raise EngineNotReady(f"the engine did not answer: {exc}") from None
        await self._reach(seq, deadline)
        return fn(self.mirror.engine)

    async def _request(self, request_id: str, command: Command, deadline: float) -> wire.Reply:
        """Ask until answered or ``deadline``. Each attempt says until when the engine may
        start it (``START_SHARE`` of the attempt's wait, the rest left for the commit and
        the reply), so a command the engine only receives after this gateway gave up
        (the engine stopped, stalled or cut off meanwhile) is refused there, not run: the
        503 this gateway answers means that nothing happened, as in one process."""
        instance = self._live_instance()
        unanswered = False  # an attempt reached NATS and got no answer: it may have run
        while True:
            if instance is None or self._live_instance() != instance:
                if unanswered:  # e.g. killed between its commit and its reply
                    raise EngineTimeout(EngineTimeout.MESSAGE)
                raise EngineNotReady("the engine is not running")  # never ask a new run again
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if unanswered:  # e.g. its commit outlasted our wait
                    raise EngineTimeout(EngineTimeout.MESSAGE)
                raise EngineBusy(EngineBusy.MESSAGE)
            wait = min(ATTEMPT_S, remaining)
            until = wire.wall_ms() + int(wait * START_SHARE * 1000)
            data = wire.encode_command(request_id, command, until)
            try:
                msg = await self.nc.request(self.subjects.commands, data, timeout=wait)
            except nats_errors.TimeoutError:
                unanswered = True
                continue  # ask again with the same id: the engine's cache answers a repeat
            except nats_errors.NoRespondersError:
                await asyncio.sleep(RETRY_PAUSE_S)  # NATS restarting, or the engine gone
                continue
            except (nats_errors.ConnectionClosedError, nats_errors.OutboundBufferLimitError,
                    nats_errors.ConnectionReconnectingError):  # fmt: skip
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            try:
                reply = wire.decode_reply(msg.data)
            except wire.WireError as exc:  # another version of Velox answering
                log.error("bus: the engine's reply is not understood: %s", exc)
                raise EngineNotReady("the engine's reply is not understood") from None
            if reply.not_ready == TOO_LATE:
                # Refused unrun: it reached the engine (stalled, or swamped) after this
                # attempt's start-by moment. Nothing of it ran (an attempt that had, or that
                # runs, would have answered this one), so ask again while our wait lasts.
                unanswered = False
                await asyncio.sleep(RETRY_PAUSE_S)
                continue
            if reply.not_ready is not None:
                raise JournalDown.of(reply.not_ready)
            return reply

    async def _reach(self, seq: int, deadline: float) -> None:
        """Wait until the mirror holds ``seq``; a batch that does not come is read from
        the journal (it was written before it was published)."""
        while self.mirror.seq < seq:
            remaining = deadline - time.monotonic()
            if remaining <= 0:  # the command ran; its effect is not readable here yet
                raise EngineTimeout(EngineTimeout.MESSAGE)
            try:
                async with asyncio.timeout(min(CATCH_UP_S, remaining)):
                    await self.mirror.wait_for(seq)
            except TimeoutError:
                self.mirror.inbox.put_nowait(CATCH_UP)
