"""Refusals logged per address without flooding the log (the admin token's guard, magic
links past their recipient's cap).

A client guessing a token sends thousands of requests; one WARNING per address a minute,
with the count since the last, says who and how much without the log becoming the load.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

REPORT_EVERY_S = 60.0


class PerAddressLog:
    """A WARNING for an address's first refusal, then at most one per ``interval_s`` saying
    how many there were since; addresses quiet for an interval are forgotten."""

    def __init__(
        self,
        interval_s: float = REPORT_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
        *,
        what: str,
        logger: logging.Logger,
    ) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._what = what  # "<what> <address>: <why>"
        self._log = logger
        self._seen: dict[str, tuple[float, int]] = {}  # address -> (last report, since)

    def __call__(self, address: str, why: str) -> None:
        now = self._clock()
        last = self._seen.get(address)
        if last is not None and now - last[0] < self.interval_s:
            self._seen[address] = (last[0], last[1] + 1)
            return
        more = f" ({last[1]} more since the last report)" if last and last[1] else ""
        self._log.warning("%s %s: %s%s", self._what, address, why, more)
        self._seen = {a: s for a, s in self._seen.items() if now - s[0] < self.interval_s}
        self._seen[address] = (now, 0)
