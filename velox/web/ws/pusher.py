"""What each connected user's next push holds: conflated, at most one push per user per
``interval_s``, latest figures win.

Why: pushing figures from the engine's listener made every batch wait for O(connected users x
positions) of arithmetic and socket writes (issue 11 section 3). Here the listener only marks
work (an asset whose price moved, a user an event touched: O(1) each), and the flusher
(velox/web/ws/flush.py), a task of its own, asks ``plan`` who may be pushed now and ``take``s
their messages:

- a round per ``interval_s`` at most takes the assets whose price moved since the last round
  and marks due the connected users holding them, and only them;
- a user is pushed when due and their last push is at least ``interval_s`` old: their
  trailing positions whose mark moved (one ``order_updated`` each, the latest state), then
  the figures, only if they changed, unless an event of theirs asked for them. In a price
  pass the figures ride with the price and the ``order_updated`` follow it.

It reads only the book (velox/web/ws/book.py), which the listener keeps durable, never the
engine. A "user" here is what a socket follows (``Connection.follow_key``): a user's first
account, or one account they named.
"""

from __future__ import annotations

from typing import Any

from velox.engine.views import AccountFigures
from velox.web import render
from velox.web.ws.book import Book, Marks


class Pusher:
    def __init__(self, book: Book, interval_s: float) -> None:
        self.book = book
        self.interval = interval_s
        self._moved: dict[str, None] = {}  # assets whose price moved since the last round
        self._due: dict[str, bool] = {}  # user -> pushed even if the figures did not change
        self._last: dict[str, float] = {}  # user -> loop time of their last push
        self._sent: dict[str, AccountFigures] = {}  # user -> the figures last sent
        # user -> the marks windows to apply at their next push, oldest first
        self._marks: dict[str, list[tuple[int, dict[str, Marks]]]] = {}
        self._next_round = 0.0

    # -- the listener's side: O(1) each ----------------------------------------------------
    def price_moved(self, asset: str) -> None:
        self._moved[asset] = None

    def due(self, user_id: str, forced: bool = True) -> None:
        self._due[user_id] = forced or self._due.get(user_id, False)

    def forget(self, user_id: str) -> None:
        self._due.pop(user_id, None)
        self._last.pop(user_id, None)
        self._sent.pop(user_id, None)
        self._marks.pop(user_id, None)

    def clear(self) -> None:
        self._moved.clear()
        self._due.clear()

    # -- the flusher's side ----------------------------------------------------------------
    def plan(self, now: float, price_at: float | None = None) -> tuple[set[str], float | None]:
        """The users who may be pushed now, and the seconds until someone else may be.

        ``price_at``: when the next price pass may go, if prices are pending. Users due only
        because prices moved wait for it and ride along with the price in the same socket
        write; users an event of theirs made due go as soon as their interval allows."""
        waits: list[float] = []
        if self._moved:
            if now >= self._next_round:
                self._next_round = now + self.interval
                self._start_round()
            else:
                waits.append(self._next_round - now)
        ready: set[str] = set()
        for user_id, forced in self._due.items():
            allowed = self._allowed(user_id, forced, price_at)
            if allowed <= now:
                ready.add(user_id)
            else:
                waits.append(allowed - now)
        return ready, min(waits, default=None)

    def _allowed(self, user_id: str, forced: bool, price_at: float | None) -> float:
        """When ``user_id`` may be pushed: ``interval`` after their last push, and, if only
        prices made them due, not before the next price pass (``price_at``)."""
        allowed = self._last.get(user_id, -1e9) + self.interval
        return allowed if forced or price_at is None else max(allowed, price_at)

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

    def take(self, user_id: str, now: float, *, orders: bool = True) -> list[dict[str, Any]]:
        """``user_id``'s messages, if still due (none if already taken or gone).

        ``orders=False``: leave the trailing-mark updates for ``moved_orders`` (a price pass
        sends them after the price, so a price never waits for their rendering)."""
        forced = self._due.pop(user_id, None)
        if forced is None:
            return []
        self._last[user_id] = now
        book = self.book
        for window, marks in self._marks.pop(user_id, ()):
            book.apply_marks(user_id, window, marks)
        figures = book.figures(user_id)
        if figures is None:
            return []
        messages = self.moved_orders(user_id) if orders else []
        if forced or self._sent.get(user_id) != figures:
            self._sent[user_id] = figures
            messages.append({"type": "balance", "data": render.figures(figures)})
        return messages

    def moved_orders(self, user_id: str) -> list[dict[str, Any]]:
        """An ``order_updated`` for each of the user's positions whose mark moved since
        they were last sent (the latest state each); taken."""
        book = self.book
        return [
            {"type": "order_updated", "data": render.open_order(pos, book.pnl(pos))}
            for pos in book.take_moved(user_id)
        ]

    def wait(self, now: float, price_at: float | None = None) -> float | None:
        """Seconds until ``plan`` has someone to push, or None with nothing to do. With a
        price pass due at ``price_at``, users due only by prices wait for it (``plan``)."""
        waits = [self._allowed(u, forced, price_at) - now for u, forced in self._due.items()]
        if self._moved:
            waits.append(self._next_round - now)
        return max(0.0, min(waits)) if waits else None
