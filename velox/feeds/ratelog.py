"""A logger wrapper that says "it happened N times" instead of flooding the log.

A malformed-message storm or a full writer queue can repeat thousands of times a second;
logging each would itself slow the event loop the feed must never block.

The count must reach the log even when the storm stops: waiting for the next occurrence
would hide it forever (8 malformed rows in a replay file gave one line and no count). So the
first occurrence held back arms a timer on the running event loop for the end of the window,
and ``flush()`` says what is held back at once (an owner that stops calls it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """Logs the first occurrence, then at most once per ``interval_s``: the latest occurrence
    held back, with the count of the others, at the end of the window (or at the next
    occurrence after it, or at ``flush()``)."""

    def __init__(
        self,
        logger: logging.Logger,
        level: int = logging.WARNING,
        interval_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._level = level
        self._interval_s = interval_s
        self._clock = clock
        self._last: float | None = None
        self._suppressed = 0
        self._held: tuple[str, tuple[object, ...]] | None = None  # the latest held back
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self.total = 0

    def __call__(self, msg: str, *args: object) -> None:
        self.total += 1
        now = self._clock()
        if self._last is not None and now - self._last < self._interval_s:
            self._suppressed += 1
            self._held = (msg, args)
            self._arm(self._interval_s - (now - self._last))
            return
        self._emit(msg, args, self._suppressed, now)

    def flush(self) -> None:
        """Log the latest occurrence held back, with the count of the others, now."""
        if self._held is not None:
            msg, args = self._held
            self._emit(msg, args, self._suppressed - 1, self._clock())

    def _emit(self, msg: str, args: tuple[object, ...], others: int, now: float) -> None:
        suffix = f" (and {others} more since last report)" if others else ""
        self._logger.log(self._level, msg + suffix, *args)
        self._last = now
        self._suppressed = 0
        self._held = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, delay_s: float) -> None:
        """Flush at the end of the window, on the running loop (none outside one: the count
        then waits for the next occurrence or ``flush``)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._timer is not None and self._timer_loop is loop and not loop.is_closed():
            return
        self._timer = loop.call_later(max(0.0, delay_s), self._due)
        self._timer_loop = loop

    def _due(self) -> None:
        self._timer = None
        self.flush()
