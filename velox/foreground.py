"""The engine's batches and the store's reads go first: background writers on the same event
loop step aside.

Why: the hub's writer (velox/web/ws/flush.py) computes figures and writes thousands of sockets
in slices, yielding to the loop between them. A batch's commit needs the loop (its commit task,
the store's completion callback, the reveal) and, on SQLite, the GIL for aiosqlite's writer
thread; a read needs the GIL for a reader's thread. While the writer keeps the main thread
busy, such a thread loses every race for the GIL: each time the loop polls for I/O it drops and
at once retakes the GIL, which restarts the waiting thread's switch interval, so a commit of
0.1 ms of SQLite work waited 10-50 ms (BENCHMARKS.md, hub). The engine service marks each batch
from the start of its commit to the end of its reveal (``enter`` / ``leave``), and the SQLite
store each read on a reader's thread; the writer, once it has done a short slice, waits for
one of them to end (``give_way``) and leaves the loop idle, so the thread takes the GIL at
once. It waits for one piece of work at a time, never for an idle engine: under a steady stream
of orders the two alternate, and prices still go out.
"""

from __future__ import annotations

import asyncio

MAX_WAIT_S = 0.05  # work that never ends (a dead engine task) holds nobody longer


class Foreground:
    def __init__(self) -> None:
        self._open = 0  # batches committing or not yet revealed, and store reads under way
        self._waiter: asyncio.Future[None] | None = None

    @property
    def busy(self) -> bool:
        return self._open > 0

    def enter(self) -> None:
        """Foreground work begins: a batch's commit, or a store read."""
        self._open += 1

    def leave(self) -> None:
        """That work is done (a batch revealed or refused, a read answered): whoever gave
        way may go on."""
        self._open = max(0, self._open - 1)
        self._wake()

    async def give_way(self) -> None:
        """Yield to the loop; while foreground work is under way, until one piece of it ends
        (at most MAX_WAIT_S)."""
        if not self._open:
            await asyncio.sleep(0)
            return
        if self._waiter is None or self._waiter.done():
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            loop.call_later(MAX_WAIT_S, _resolve, self._waiter)
        await asyncio.shield(self._waiter)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            _resolve(waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
