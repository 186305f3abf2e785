"""The hub's one writer task: prices and account figures leave here, never from the engine's
task, and each socket gets one write per pass however many messages it carries.

Why: with thousands of sockets the system calls cost more than the bytes (bench/hub.py: a
price sent to 2,000 sockets from the engine's listener held each batch for one write per
socket). A pass takes the pending prices if the conflator lets them go (velox/web/ws/conflate.py)
and the users the pusher may push now (velox/web/ws/pusher.py), then writes every socket once:
the prices followed by that user's figures; their trailing-mark updates (``order_updated``,
rendered per position) follow in a second write, after every price is out. Users due only because
prices moved wait for the next price pass while one is pending (their figures ride in its
write: one write per socket per pass, not two); users an event of theirs made due, or due
while no price is pending, get their messages alone.

A price pass computes the figures it carries first and takes the prices last, just before
the sockets are written in one quick loop: a price waits for the writes, not for the
figures (bench/hub.py: tick-to-websocket). Work runs in slices of at most ``SLICE_S`` with a
yield between; while one of the engine's batches is open, a slice ends after
``MIN_SLICE_S`` and the writer waits for that batch (velox/foreground.py), so a batch waits
for a short slice at most, never for a whole pass.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable
from typing import Any

from velox.engine.state import Quote
from velox.foreground import Foreground
from velox.web import render
from velox.web.jsonio import dumps
from velox.web.ws.conflate import PriceConflator
from velox.web.ws.connection import Connection
from velox.web.ws.frames import text_frame
from velox.web.ws.pusher import Pusher

log = logging.getLogger(__name__)
SLICE_S = 0.002  # the longest slice while the engine has no batch open
MIN_SLICE_S = 0.0002  # the longest slice once a batch is open (then the writer gives way)
CHECK = 16  # units of work between two looks at the clock: a socket written 1, a user 4
USER_COST = 4
# uvloop queues a socket write made in a callback and makes the system call after the
# callbacks of that loop turn, where this task's clock does not see it: 2,000 writes left to
# one turn held the loop 12-14 ms (about 6 us each). A slice ends after this many writes.
WRITES_PER_SLICE = 50
Framed = tuple[list[bytes], bytes]  # the messages, and all of them framed in order


def framed(messages: list[dict[str, Any]]) -> Framed:
    data = [dumps(message) for message in messages]
    return data, b"".join(text_frame(d) for d in data)


class Flusher:
    def __init__(
        self,
        prices: PriceConflator,
        pusher: Pusher,
        connections: Callable[[], Collection[Connection]],
        tabs: Callable[[str], Iterable[Connection]],
        drop: Callable[[Connection], None],
        foreground: Foreground | None = None,
    ) -> None:
        self.prices = prices
        self.pusher = pusher
        self._connections = connections
        self._tabs = tabs
        self._drop = drop
        self._foreground = foreground or Foreground()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._work = 0
        self._writes = 0  # sockets written in this slice
        self._slice_start = 0.0

    def _slice_over(self, units: int, writes: int = 0) -> bool:
        """Count ``units`` of work and ``writes`` to sockets; True when this slice is over
        (then yield): its time is used up, or its writes are."""
        self._work += units
        self._writes += writes
        if self._writes >= WRITES_PER_SLICE:
            return True
        busy = self._foreground.busy
        if self._work < CHECK and not busy:
            return False
        self._work = 0
        return time.perf_counter() - self._slice_start >= (MIN_SLICE_S if busy else SLICE_S)

    async def _yield(self) -> None:
        await self._foreground.give_way()
        self._new_slice()

    def _new_slice(self) -> None:
        self._work = self._writes = 0
        self._slice_start = time.perf_counter()

    def poke(self) -> None:
        """Something is pending (the listener's call: O(1))."""
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ws-flush")

    async def settled(self) -> None:
        """Wait until everything pending has been written (for tests)."""
        await self._idle.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.prices.clear()
        self.pusher.clear()
        self._idle.set()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                await self._pass(loop.time())
            except Exception:  # a bug here must not end the pushes for good
                log.exception("websocket push failed")
            now = loop.time()
            price_at = self._price_at(now)
            pushes = self.pusher.wait(now, price_at)
            prices = None if price_at is None else price_at - now
            waits = [w for w in (prices, pushes) if w is not None]
            if waits:
                self._timer = loop.call_later(min(waits), self._wake.set)
            elif not self._wake.is_set():
                self._idle.set()

    def _price_at(self, now: float) -> float | None:
        """When the pending prices may go (None: nothing pending)."""
        wait = self.prices.wait(now)
        return None if wait is None else now + wait

    async def _pass(self, now: float) -> None:
        self._new_slice()
        price_at = self._price_at(now)
        # figures that only prices moved go with the next price pass, in its socket write
        ready, _ = self.pusher.plan(now, price_at)
        if price_at == now:  # prices may go in this pass
            extra = await self._figures(ready, now)
            quotes = self.prices.take(asyncio.get_running_loop().time())
            if quotes:
                await self._to_everyone(quotes, extra)
                self.prices.done(asyncio.get_running_loop().time())
            ready.difference_update(extra)
            await self._send(extra, self.pusher.moved_orders)  # after the price, not before
        if ready:
            await self._send(ready, lambda key: self.pusher.take(key, now))

    async def _figures(self, ready: set[str], now: float) -> dict[str, Framed]:
        """The messages of each user in ``ready`` with a socket, to ride in a price write."""
        extra: dict[str, Framed] = {}
        for key in list(ready):
            if not self._tabs(key):
                continue
            extra[key] = framed(self.pusher.take(key, now, orders=False))
            if self._slice_over(USER_COST):
                await self._yield()
        return extra

    async def _to_everyone(self, quotes: dict[str, Quote], extra: dict[str, Framed]) -> None:
        messages, frames = framed([render.price_update(s, q) for s, q in quotes.items()])
        for conn in list(self._connections()):
            data, blob = messages, frames
            key = conn.follow_key
            mine = None if key is None else extra.get(key)
            if mine is not None and mine[0]:
                data, blob = messages + mine[0], frames + mine[1]
            if not conn.offer_all(data, blob):
                self._drop(conn)
            if self._slice_over(1, 1):
                await self._yield()

    async def _send(
        self, keys: Iterable[str], messages: Callable[[str], list[dict[str, Any]]]
    ) -> None:
        """Each user's ``messages(key)``, one write to each of their sockets."""
        for key in list(keys):
            data, blob = framed(messages(key))
            writes = 0
            if data:
                for conn in list(self._tabs(key)):
                    if not conn.offer_all(data, blob):
                        self._drop(conn)
                    writes += 1
            if self._slice_over(USER_COST + writes, writes):
                await self._yield()
