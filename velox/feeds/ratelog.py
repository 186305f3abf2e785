"""A logger wrapper that says "it happened N times" instead of flooding the log.

A malformed-message storm or a full writer queue can repeat thousands of times a second;
logging each would itself slow the event loop the feed must never block.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """Logs the first occurrence, then at most once per ``interval_s`` with the count since."""

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
        self.total = 0

    def __call__(self, msg: str, *args: object) -> None:
        self.total += 1
        now = self._clock()
        if self._last is not None and now - self._last < self._interval_s:
            self._suppressed += 1
            return
        suffix = f" (and {self._suppressed} more since last report)" if self._suppressed else ""
        self._logger.log(self._level, msg + suffix, *args)
        self._last = now
        self._suppressed = 0
