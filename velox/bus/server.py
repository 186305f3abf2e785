"""The engine's side of the bus: answer commands after their commit, publish each commit.

Commands arrive as NATS requests carrying a request id. Each runs through the in-process
``EngineService`` exactly as a local handler's would, and the reply (outcome plus the last
journal sequence of the batch that committed it) is sent only once that batch is durable.
Replies are kept by request id (the last ``DEDUPE`` of them): a gateway that lost a reply
(NATS restarted between the commit and the reply) asks again with the same id and gets the
same answer, so no command runs twice. The command's ``ts`` is restamped with the engine's
own clock: gateways on other machines have other clocks, and price staleness is measured
against the engine's.

Every committed batch is published (events with their sequence numbers, and the prices it
set) in commit order through one outgoing queue, as are the feed's raw trades, candles and
a heartbeat every ``HEARTBEAT_S`` that names the engine's state and last sequence.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.batch import TOO_LATE, Deadline
from velox.bus import wire
from velox.bus.subjects import Subjects
from velox.engine.commands import Command
from velox.engine.engine import Engine, Outcome
from velox.feeds.base import Feed, FeedTick
from velox.feeds.ratelog import RateLimitedLog
from velox.service import EngineNotReady, EngineService, Published
from velox.store.records import CandleRecord

log = logging.getLogger(__name__)
DEDUPE = 100_000
HEARTBEAT_S = 0.5
MAX_OUTGOING = 100_000
DRAIN_S = 5.0  # at stop, for the queued messages to go out


def _local_deadline(request: wire.CommandRequest) -> float | None:
    """The request's ``until`` on this process's monotonic clock. A command that reaches
    the engine after its gateway gave up (the engine was stopped or stalled, the bus slow),
    or is still queued then, is refused, not run: the gateway has answered 503, which says
    nothing happened. While it waits in the engine's queue, each repeat of the request (the
    gateway asks again every ``ATTEMPT_S``) moves the moment later, so a busy engine's
    backlog is not refused while its gateway still waits."""
    if request.until is None:
        return None
    return time.monotonic() + (request.until - wire.wall_ms()) / 1000


class EngineBusServer:
    def __init__(
        self, nc: Client, service: EngineService, subjects: Subjects,
        feed: Callable[[], Feed | None] = lambda: None,
    ) -> None:  # fmt: skip
        self.nc = nc
        self.service = service
        self.subjects = subjects
        self.feed = feed  # the one running now (``auto`` switches)
        self.instance = uuid.uuid4().hex
        self._replies: OrderedDict[str, bytes] = OrderedDict()  # request id -> reply
        # request id -> its reply, and until when its gateway waits (each attempt extends it)
        self._running: dict[str, tuple[asyncio.Future[bytes], Deadline | None]] = {}
        self._outgoing: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self.dropped = 0  # messages not published because NATS was away too long
        # a gateway of another release asks with every request: one line a minute
        self._foreign_log = RateLimitedLog(log, interval_s=60.0)

    async def start(self) -> None:
        self.service.subscribe_staged(self.stage)
        await self.nc.subscribe(self.subjects.commands, cb=self._on_command)
        await self.nc.subscribe(self.subjects.seq, cb=self._on_seq)
        self._loops = [
            asyncio.create_task(self._publisher(), name="bus-publisher"),
            asyncio.create_task(self._heartbeat(), name="bus-heartbeat"),
        ]

    async def stop(self) -> None:
        """Finish the commands under way, publish what is queued (the engine service's last
        batches, their replies' seqs), then stop: gateways see every commit before the
        engine goes, instead of finding the gap when it is back."""
        if not self._loops:  # never started
            return
        publisher, *others = self._loops
        for task in others:
            task.cancel()
        await asyncio.gather(*others, *self._tasks, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_S):
                await self._outgoing.join()
        publisher.cancel()
        await asyncio.gather(publisher, return_exceptions=True)
        self._loops = []

    # -- commands ------------------------------------------------------------------------
    async def _on_command(self, msg: Msg) -> None:
        # One NATS callback runs at a time: answer in a task so commands batch in the engine.
        task = asyncio.create_task(self._answer(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _on_seq(self, msg: Msg) -> None:
        """The last committed sequence: everything acknowledged so far is at or below it."""
        if msg.reply:
            with contextlib.suppress(Exception):  # NATS away: the gateway answers 503
                await msg.respond(str(self.service.seq).encode())

    async def _answer(self, msg: Msg) -> None:
        request = wire.received(wire.decode_command, msg.data, "command")
        if request is None:
            return
        request_id = request.request_id
        foreign = wire.foreign_gateway(request)
        if foreign is not None:
            self._foreign_log("bus: refused a command: %s", foreign)
            data: bytes | None = wire.encode_reply(wire.Reply(Outcome(), not_ready=foreign))
        else:
            data = self._replies.get(request_id)
        if data is None:
            running = self._running.get(request_id)
            local = _local_deadline(request)
            if running is not None:  # asked again: the gateway still waits for it
                future, deadline = running
                if deadline is not None:
                    deadline.extend(float("inf") if local is None else local)
                data = await asyncio.shield(future)
            else:
                deadline = None if local is None else Deadline(local)
                data = await self._run(request_id, request.command, deadline)
        if msg.reply:
            try:
                await msg.respond(data)
            except Exception as exc:
                log.info("bus: reply to %s not sent: %s", request_id, exc)

    async def _run(self, request_id: str, command: Command, expires: Deadline | None) -> bytes:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._running[request_id] = (future, expires)
        service = self.service

        def committed_seq(_engine: Engine, _outcome: Outcome) -> int:
            return service.seq

        try:
            if expires is not None and expires.passed():
                raise EngineNotReady(TOO_LATE)
            stamped = dataclasses.replace(command, ts=service.clock())
            outcome, seq = await service.submit_and_read(stamped, committed_seq, expires=expires)
        except EngineNotReady as exc:  # not run: the gateway may send it again
            data = wire.encode_reply(wire.Reply(Outcome(), not_ready=str(exc) or "not ready"))
        except Exception:  # a bug: answer 503 rather than leave the gateway waiting
            log.exception("bus: command %s failed", request_id)
            data = wire.encode_reply(wire.Reply(Outcome(), not_ready="command failed"))
        else:
            data = wire.encode_reply(wire.Reply(outcome, seq or 0))
            self._replies[request_id] = data
            if len(self._replies) > DEDUPE:
                self._replies.popitem(last=False)
        finally:
            del self._running[request_id]
        future.set_result(data)
        return data

    # -- publishing ----------------------------------------------------------------------
    def stage(self, published: Published) -> Callable[[], None] | None:
        """EngineService staged listener: the batch is data (it never reads the engine), so
        the service may apply the next batch while this one commits; it is queued for the
        bus, in commit order, once its commit succeeded."""
        if not (published.events or published.quotes):
            return None
        return partial(self._publish, published)

    def _publish(self, published: Published) -> None:
        """Queue the committed batch for the bus (encoded here, off the engine's apply)."""
        batch = wire.Batch(published.events, published.quotes)
        self._queue(self.subjects.batches, wire.encode_batch(batch))

    # a MarketTap on the trade writer: every gateway's Binance streams show the same
    def on_trade(self, tick: FeedTick) -> None:
        if None not in (tick.trade_id, tick.trade_price, tick.trade_qty):
            self._queue(self.subjects.trades, wire.encode_trade(tick))

    def on_candle(self, candle: CandleRecord) -> None:
        self._queue(self.subjects.candles, wire.encode_candle(candle))

    def on_history(self, symbol: str, duration: str) -> None:
        self._queue(self.subjects.history, wire.encode_history(symbol, duration))

    def _queue(self, subject: str, data: bytes) -> None:
        if self._outgoing.qsize() >= MAX_OUTGOING:
            self.dropped += 1  # gateways notice the gap by sequence and reload
            return
        self._outgoing.put_nowait((subject, data))

    async def _publisher(self) -> None:
        while True:
            subject, data = await self._outgoing.get()
            try:
                await self.nc.publish(subject, data)
            except Exception as exc:
                self.dropped += 1
                if self.dropped % 1000 == 1:
                    log.warning("bus: %d messages not published so far (%s)", self.dropped, exc)
            finally:
                self._outgoing.task_done()

    async def _heartbeat(self) -> None:
        while True:
            feed = self.feed()
            status = wire.Status(
                self.service.state.value, self.service.seq, self.instance,
                "none" if feed is None else feed.name,
                False if feed is None else bool(feed.simulated),
            )  # fmt: skip
            self._queue(self.subjects.status, wire.encode_status(status))
            await asyncio.sleep(HEARTBEAT_S)
