"""The account-figure push, off the engine's task: conflated, at most one push per user per
``interval_s``, latest figures win.

Why: pushing figures from the engine's listener made every batch wait for O(connected users x
positions) of arithmetic and socket writes (issue 11 section 3). Here the listener only marks
work (an asset whose price moved, a user an event touched: O(1) each) and this task does it:

- a round per ``interval_s`` at most takes the assets whose price moved since the last round
  and marks due the connected users holding them, and only them;
- a user is pushed when due and their last push is at least ``interval_s`` old (else at that
  moment): their trailing positions whose mark moved (one ``order_updated`` each, the latest
  state) and then the figures, only if they changed, unless an event of theirs asked for them;
- users are pushed in slices with a yield between them, so the engine's task waits for one
  slice at most, never for a whole round.

It reads only the book (velox/web/ws/book.py), which the listener keeps durable, never the
engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from velox.web import render
from velox.web.ws.book import Book, Marks

log = logging.getLogger(__name__)
SLICE = 64  # users pushed between two yields to the event loop
Send = Callable[[str, list[dict[str, Any]]], None]  # user id, messages in order


class Pusher:
    def __init__(self, book: Book, send: Send, interval_s: float) -> None:
        self.book = book
        self.interval = interval_s
        self._send = send
        self._moved: dict[str, None] = {}  # assets whose price moved since the last round
        self._due: dict[str, bool] = {}  # user -> pushed even if the figures did not change
        self._last: dict[str, float] = {}  # user -> loop time of their last push
        self._sent: dict[str, Any] = {}  # user -> the figures last sent
        # user -> the marks windows to apply at their next push, oldest first
        self._marks: dict[str, list[tuple[int, dict[str, Marks]]]] = {}
        self._next_round = 0.0
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the listener's side: O(1) each ----------------------------------------------------
    def price_moved(self, asset: str) -> None:
        self._moved[asset] = None
        self._poke()

    def due(self, user_id: str, forced: bool = True) -> None:
        self._due[user_id] = forced or self._due.get(user_id, False)
        self._poke()

    def forget(self, user_id: str) -> None:
        self._due.pop(user_id, None)
        self._last.pop(user_id, None)
        self._sent.pop(user_id, None)
        self._marks.pop(user_id, None)

    def _poke(self) -> None:
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ws-figures")

    async def settled(self) -> None:
        """Wait until nothing is due (for tests and shutdown)."""
        await self._idle.wait()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._idle.set()

    # -- the task --------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                delay = await self._round(loop)
            except Exception:  # a bug here must not end the pushes for good
                log.exception("websocket figures push failed")
                delay = self.interval
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if delay is not None:
                self._timer = loop.call_later(delay, self._wake.set)
            elif not self._wake.is_set():
                self._idle.set()

    async def _round(self, loop: asyncio.AbstractEventLoop) -> float | None:
        """Push whoever may be pushed now; the delay until the next push is allowed, or None."""
        now = loop.time()
        waits: list[float] = []
        if self._moved:
            if now >= self._next_round:
                self._next_round = now + self.interval
                self._start_round()
            else:
                waits.append(self._next_round - now)
        ready: list[str] = []
        for user_id in self._due:
            allowed = self._last.get(user_id, -1e9) + self.interval
            if allowed <= now:
                ready.append(user_id)
            else:
                waits.append(allowed - now)
        for count, user_id in enumerate(ready, 1):
            forced = self._due.pop(user_id, None)
            if forced is not None:
                self._last[user_id] = now
                self._push(user_id, forced)
            if count % SLICE == 0:
                await asyncio.sleep(0)  # the engine's task runs between slices
        return min(waits) if waits else (0.0 if self._due or self._moved else None)

    def _start_round(self) -> None:
        moved, self._moved = self._moved, {}
        window, marks = self.book.take_marks()
        holders = self.book.holders
        for asset in moved:
            for user_id in holders.get(asset, ()):
                if user_id not in self._due:
                    self._due[user_id] = False
        for asset in marks:  # applied at each holder's push: O(1) per holder here
            for user_id in holders.get(asset, ()):
                pending = self._marks.setdefault(user_id, [])
                if not pending or pending[-1][0] != window:
                    pending.append((window, marks))
                if user_id not in self._due:
                    self._due[user_id] = False

    def _push(self, user_id: str, forced: bool) -> None:
        book = self.book
        for window, marks in self._marks.pop(user_id, ()):
            book.apply_marks(user_id, window, marks)
        figures = book.figures(user_id)
        if figures is None:
            return
        messages = [
            {"type": "order_updated", "data": render.open_order(pos, book.pnl(pos))}
            for pos in book.take_moved(user_id)
        ]
        if forced or self._sent.get(user_id) != figures:
            self._sent[user_id] = figures
            messages.append({"type": "balance", "data": render.figures(figures)})
        if messages:
            self._send(user_id, messages)
