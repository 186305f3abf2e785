"""SQLite's reader connections, handed out first come, first served, side reads last.

It was an ``asyncio.Queue`` of idle connections, which is not fair: a reader given back
wakes the first waiter, but before that waiter runs, any task that asks finds the reader in
the queue and takes it, and the waiter goes to the back of the line again. A websocket
handler does exactly that: it gives its reader back and, with the client's next message
already buffered, asks again without ever yielding to the loop. Five such sockets kept two
readers to themselves for as long as they were fed: the order path's reads and the database
probe's ping waited 36-60 s (the probe timed out: ``/healthz`` 503).

Here a reader given back goes straight to the task waiting longest (never back to the pool
while anyone waits), and a read in the side lane (velox/store/lanes.py) goes after every
other waiting read and holds at most ``side_limit`` readers at once, so with two readers one
is always left for the rest.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

C = TypeVar("C")


class ReaderPool(Generic[C]):
    def __init__(self, connections: list[C]) -> None:
        self._idle: list[C] = list(connections)
        # a single reader is shared: there is none to keep from the side lane
        self.side_limit = max(1, len(connections) - 1)
        self._side_busy = 0
        self._waiting: deque[asyncio.Future[C]] = deque()
        self._side_waiting: deque[asyncio.Future[C]] = deque()

    @property
    def waiting(self) -> int:
        return sum(not f.done() for f in self._waiting) + sum(
            not f.done() for f in self._side_waiting
        )

    async def take(self, side: bool = False) -> C:
        """A reader, once it is this read's turn; every one taken needs a ``give_back``."""
        if self._idle and self._may_take_now(side):
            if side:
                self._side_busy += 1
            return self._idle.pop()
        waiter: asyncio.Future[C] = asyncio.get_running_loop().create_future()
        (self._side_waiting if side else self._waiting).append(waiter)
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed one, then cancelled
                self.give_back(waiter.result(), side)
            raise

    def _may_take_now(self, side: bool) -> bool:
        if any(not f.done() for f in self._waiting):
            return False  # nobody goes ahead of a waiting read
        if not side:
            return True
        return self._side_busy < self.side_limit and not any(
            not f.done() for f in self._side_waiting
        )

    def give_back(self, conn: C, side: bool = False) -> None:
        """Hand ``conn`` to the read waiting longest (side reads after the others), else
        keep it idle."""
        if side:
            self._side_busy -= 1
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        if self._side_busy < self.side_limit:
            while self._side_waiting:
                waiter = self._side_waiting.popleft()
                if not waiter.done():
                    self._side_busy += 1
                    waiter.set_result(conn)
                    return
        self._idle.append(conn)
