"""``auto``: Binance when it works, the simulator when it does not (SPEC section 6).

Decisions, as a broker would make them:

- Binance counts as up once it has delivered a tick, not merely completed a handshake: a
  socket that never carries prices (a captive proxy, a wrong symbol list) is no feed at all.
- If Binance delivers nothing within ``timeout_s`` (5 s) we start the simulator, log a
  warning and report ``simulated = True`` so the UI shows its "simulated prices" banner.
- Binance keeps retrying in the background (its own backoff), logging those retries once a
  minute rather than at each attempt: an offline demo may run on the simulator for days.
  On its first real tick the
  simulator is stopped and real prices flow again, ``simulated`` turning False: users of a
  broker expect real prices the moment the exchange is reachable. Prices jump from the
  simulated level to the market; positions opened on simulated prices are judged at real
  ones from then on, which is the honest outcome of a demo mode.
- Once real prices have flowed we never fall back to the simulator: an outage later shows as
  stale prices (trading refused with PRICE_STALE), never as invented ones mixed into a real
  price history.
- Ticks say which feed made them (``FeedTick.source``), so the sink starts each symbol's
  ordering afresh at the switch: simulated ids and times mean nothing next to Binance's.
- If either child ends (a bug in the simulator, say), ``run`` raises: the supervisor that
  runs the feed restarts it, rather than the price stream dying unseen.
"""

from __future__ import annotations

import asyncio
import logging

from velox.feeds.base import FeedTick, TickSink
from velox.feeds.binance import BinanceFeed
from velox.feeds.sim import SimFeed

log = logging.getLogger(__name__)


class FeedStopped(RuntimeError):
    """A child feed returned, though feeds run until cancelled."""


class AutoFeed:
    """``AutoFeed(binance, sim, timeout_s=5.0)``: both feeds are built by the caller."""

    name = "auto"

    def __init__(self, binance: BinanceFeed, sim: SimFeed, *, timeout_s: float = 5.0) -> None:
        self.binance = binance
        self.sim = sim
        self.timeout_s = timeout_s
        self.last_tick_ms: dict[str, int] = {}
        self._on_sim = False
        self._real_seen = asyncio.Event()
        self._sim_task: asyncio.Task[None] | None = None

    @property
    def simulated(self) -> bool:
        return self._on_sim

    @property
    def source(self) -> str:
        """Which feed the prices come from right now: "binance" or "sim"."""
        return self.sim.name if self._on_sim else self.binance.name

    @property
    def connected(self) -> bool:
        return self.sim.connected if self._on_sim else self.binance.connected

    async def run(self, sink: TickSink) -> None:
        async def real(tick: FeedTick) -> bool:
            if not self._real_seen.is_set():
                self._real_seen.set()
                self.binance.loud_retries()
                if await self._stop_sim():
                    log.warning("auto: Binance prices are flowing; simulator stopped")
            return await self._deliver(sink, tick)

        async def simulated(tick: FeedTick) -> bool:
            return await self._deliver(sink, tick)

        binance_task = asyncio.create_task(self.binance.run(real), name="auto-binance")
        try:
            try:
                async with asyncio.timeout(self.timeout_s):
                    await self._real_seen.wait()
            except TimeoutError:
                log.warning(
                    "auto: no Binance prices within %.1f s; using SIMULATED prices and "
                    "retrying Binance in the background",
                    self.timeout_s,
                )
                self.binance.quiet_retries()
                self._on_sim = True
                self._sim_task = asyncio.create_task(self.sim.run(simulated), name="auto-sim")
            await self._until_a_child_ends(binance_task)
        finally:
            await self._stop_sim()
            if not binance_task.done():  # else its end was raised above
                await cancel_and_wait(binance_task)

    async def _deliver(self, sink: TickSink, tick: FeedTick) -> bool:
        """Only a tick that reached the engine makes its symbol fresh (``/healthz``)."""
        taken = await sink(tick)
        if taken:
            self.last_tick_ms[tick.symbol] = tick.received_ms
        return taken

    async def _until_a_child_ends(self, binance_task: asyncio.Task[None]) -> None:
        """Wait on both children; raise when one ends by itself (the simulator being stopped
        for Binance is no end)."""
        while True:
            sim_task = self._sim_task
            children = {binance_task} if sim_task is None else {binance_task, sim_task}
            await asyncio.wait(children, return_when=asyncio.FIRST_COMPLETED)
            if binance_task.done():
                ended = binance_task
            elif sim_task is not None and sim_task is self._sim_task and sim_task.done():
                self._sim_task, self._on_sim = None, False
                ended = sim_task
            else:
                continue  # the simulator was stopped on purpose: Binance came back
            ended.result()  # raises the child's exception, if it failed
            raise FeedStopped(f"auto: {ended.get_name()} returned")

    async def _stop_sim(self) -> bool:
        """Stop the simulator if it runs; True when it did."""
        task, self._sim_task = self._sim_task, None
        if task is None:
            return False
        await cancel_and_wait(task)
        self._on_sim = False
        return True


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel a child task and wait for it, without swallowing our own cancellation."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled() and task.exception() is not None:
        log.error("auto: %s failed", task.get_name(), exc_info=task.exception())
