"""Whether something that writes or reaches the store is working, for ``/healthz`` and the log.

A part that calls the store (the journal's commits, the trade writer's batches, the database
probe) fails for as long as the store does, often many times a second. ``Outage`` turns those
failures into one state a monitor can route on: ``down`` from the first failure until a call
goes through again. The log says it once, in one line: when calls start failing, again only
when the cause changes or every ``REPEAT_MS``, and once when they work again. No traceback:
the cause is the message (one per failure buried everything else in the log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from velox.supervisor import PartStatus

REPEAT_MS = 60_000


class Outage:
    """``failed(exc)`` after each failed call, ``succeeded()`` after each good one.

    ``failing`` and ``working`` are the log lines (``failing`` gets the cause for ``%s``)."""

    def __init__(
        self,
        name: str,
        clock: Callable[[], int],
        *,
        failing: str,
        working: str,
        logger: logging.Logger,
        repeat_ms: int = REPEAT_MS,
    ) -> None:
        self.name = name
        self._clock = clock  # engine time: Clock.now_ms
        self._failing = failing
        self._working = working
        self._log = logger
        self._repeat_ms = repeat_ms
        self._down_since: int | None = None
        self._cause: str | None = None
        self._said_ms = 0
        self.outages = 0
        self.error: str | None = None  # the last failure's type (served: no message)

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, exc: BaseException) -> None:
        now = self._clock()
        cause = str(exc) or type(exc).__name__
        self.error = type(exc).__name__
        if self._down_since is None:
            self._down_since = now
            self.outages += 1
        elif cause == self._cause and now - self._said_ms < self._repeat_ms:
            return
        self._cause, self._said_ms = cause, now
        self._log.error(self._failing, cause)

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        self._down_since, self._cause = None, None
        self._log.warning(self._working)

    def status(self) -> PartStatus:
        if self._down_since is None:
            return PartStatus(self.name, "up", 0, self.outages, self.error)
        down_ms = max(0, self._clock() - self._down_since)
        return PartStatus(self.name, "down", down_ms, self.outages, self.error)
