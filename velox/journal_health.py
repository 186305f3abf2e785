"""Whether the engine's journal can be written, for ``/healthz``, the refusals and the log.

A commit that fails (a full disk, a database that refuses writes) leaves the engine to be
rebuilt from the store, which reads fine: the engine is READY again at once, so its state
alone hid the outage (``/healthz`` answered 200 while every order was refused). The journal
is therefore reported as a part of its own, ``down`` from the first failed commit until a
write goes through again, and ``/healthz`` answers 503 while it is down.

While down, a probe writes a meta row every ``PROBE_S``: with no order arriving (a load
balancer routes none to a 503), nothing else would find out that the disk has room again.

The log says it once, in one line: when commits start failing, again only when the cause
changes or every ``REPEAT_MS``, and once when writes work again. No traceback: the cause is
the message (a traceback per failed commit, about one a second, buried everything else).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from velox.published import JOURNAL_DOWN
from velox.supervisor import PartStatus

log = logging.getLogger("velox.service")

NAME = "journal"
PROBE_KEY = "journal_probe"
PROBE_S = 1.0
REPEAT_MS = 60_000


class JournalHealth:
    """``failed(exc)`` after each failed write, ``succeeded()`` after each good one."""

    def __init__(self, clock: Callable[[], int], *, repeat_ms: int = REPEAT_MS) -> None:
        self._clock = clock  # engine time: Clock.now_ms
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
        if self._down_since is None:
            self._down_since = now
            self.outages += 1
        elif cause == self._cause and now - self._said_ms < self._repeat_ms:
            return
        self._cause, self._said_ms = cause, now
        self.error = type(exc).__name__
        log.error("journal commit failed: %s; retrying", cause)

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        self._down_since, self._cause = None, None
        log.warning("journal writes work again")

    def refusal(self) -> str:
        """What a refused client is told (the failure's type only: no path, no address)."""
        return f"{JOURNAL_DOWN} ({self.error}); retry shortly"

    def status(self) -> PartStatus:
        if self._down_since is None:
            return PartStatus(NAME, "up", 0, self.outages, self.error)
        down_ms = max(0, self._clock() - self._down_since)
        return PartStatus(NAME, "down", down_ms, self.outages, self.error)
