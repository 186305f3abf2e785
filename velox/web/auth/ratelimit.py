"""Sliding-window rate limits (SPEC section 10), exact: a log of timestamps per key.

``SlidingLog(limit, window_s)`` allows at most ``limit`` hits in any window of ``window_s``
seconds. A fixed-bucket counter would allow twice the limit across a bucket edge; the log
costs one deque entry per allowed hit, bounded by ``limit`` per key. Refused hits are not
logged, so a client that keeps hammering is let in again as soon as the window frees a slot.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from velox.web.errors import ApiError

Clock = Callable[[], float]


def refuse_after(wait: float | None) -> None:
    """429 RATE_LIMITED with Retry-After (whole seconds, at least 1) when ``wait`` is set."""
    if wait is not None:
        retry = max(1, math.ceil(wait))
        raise ApiError(
            "RATE_LIMITED",
            f"too many requests; retry in {retry} s",
            headers={"Retry-After": str(retry)},
        )


class SlidingLog:
    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._sweep_at = 0.0
        # told of each hit recorded here (scale-out: the other gateways count it too)
        self.shared: Callable[[str, int], None] | None = None

    def hit(self, key: str) -> float | None:
        """Record a hit for ``key``; None when allowed, else the seconds until one would be."""
        return self._hit(key, record=True)

    def spent(self, key: str) -> float | None:
        """``hit`` that records nothing: would one more be refused now (seconds to wait)?"""
        return self._hit(key, record=False)

    def _hit(self, key: str, *, record: bool) -> float | None:
        if self.limit <= 0:
            return None
        now = self._clock()
        self._sweep(now)
        log = self._hits.get(key)
        if log is None:
            log = self._hits[key] = deque()
        horizon = now - self.window_s
        while log and log[0] <= horizon:
            log.popleft()
        if len(log) >= self.limit:
            return log[0] + self.window_s - now
        if record:
            log.append(now)
            if self.shared is not None:
                self.shared(key, 1)
        return None

    def note(self, key: str, count: int) -> None:
        """``count`` hits another gateway allowed for ``key`` just now: they count here too,
        so N gateways together allow what one does, not N times it. Bounded: hits past
        the limit only make a client wait for the oldest to leave the window."""
        if self.limit <= 0:
            return
        now = self._clock()
        self._sweep(now)  # keys only other gateways hit are forgotten like any other
        log = self._hits.get(key)
        if log is None:
            log = self._hits[key] = deque()
        horizon = now - self.window_s
        while log and log[0] <= horizon:  # expired hits leave room for new ones
            log.popleft()
        room = 4 * self.limit - len(log)
        log.extend([now] * max(0, min(count, room)))

    def held(self, key: str) -> int:
        """How many hits ``key`` has in the current window (tests and diagnostics)."""
        log = self._hits.get(key)
        horizon = self._clock() - self.window_s
        return 0 if log is None else sum(1 for t in log if t > horizon)

    def check(self, key: str) -> None:
        """``hit`` that raises 429 RATE_LIMITED with Retry-After (whole seconds, at least 1)."""
        refuse_after(self.hit(key))

    def check_spent(self, key: str) -> None:
        """``spent`` that raises as ``check`` does."""
        refuse_after(self.spent(key))

    def _sweep(self, now: float) -> None:
        """Forget idle keys now and then, so memory follows active clients only."""
        if now < self._sweep_at:
            return
        self._sweep_at = now + self.window_s
        horizon = now - self.window_s
        for key in [k for k, log in self._hits.items() if not log or log[-1] <= horizon]:
            del self._hits[key]


class Every:
    """``due()`` is True at most once per ``interval_s``: housekeeping that requests may
    trigger (purging expired magic-link tokens) without doing it on every request."""

    def __init__(self, interval_s: float, clock: Clock = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._next = -math.inf

    def due(self) -> bool:
        now = self.clock()
        if now < self._next:
            return False
        self._next = now + self.interval_s
        return True
