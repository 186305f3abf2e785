"""Whether the engine's journal can be written, for ``/healthz``, the refusals and the log.

A commit that fails (a full disk, a database that refuses writes) leaves the engine to be
rebuilt from the store, which reads fine: the engine is READY again at once, so its state
alone hid the outage (``/healthz`` answered 200 while every order was refused). The journal
is therefore reported as a part of its own (an ``Outage``), ``down`` from the first failed
commit until a write goes through again, and ``/healthz`` answers 503 while it is down.

While down, a probe writes a meta row every ``PROBE_S``: with no order arriving (a load
balancer routes none to a 503), nothing else would find out that the disk has room again.
The log says it once (``velox.outage``): a traceback per failed commit, about one a second,
buried everything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from velox.outage import REPEAT_MS, Outage
from velox.published import JOURNAL_DOWN

log = logging.getLogger("velox.service")

NAME = "journal"
PROBE_KEY = "journal_probe"
PROBE_S = 1.0


class JournalHealth(Outage):
    """``failed(exc)`` after each failed write, ``succeeded()`` after each good one."""

    def __init__(self, clock: Callable[[], int], *, repeat_ms: int = REPEAT_MS) -> None:
        super().__init__(
            NAME, clock, failing="journal commit failed: %s; retrying",
            working="journal writes work again", logger=log, repeat_ms=repeat_ms,
        )  # fmt: skip

    def refusal(self) -> str:
        """What a refused client is told (the failure's type only: no path, no address)."""
        return f"{JOURNAL_DOWN} ({self.error}); retry shortly"
