"""Expired sign-in rows go while the process runs, not only at its start.

``Store.forget_expired_auth`` deletes magic links, sign-outs (``revoked_sessions``) and listen
keys past their expiry. It ran at start-up and at each magic-link request only, so on a
deployment where nobody asks for a magic link every sign-out since the last restart stayed in
the table (an outside soak: 684 rows after 25 minutes, about 30 of them live), and every
gateway start read them all. ``AuthExpiry`` runs it every ``interval_s`` as well; a failure
(the database away) is one log line, and the next round tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from velox.feeds.ratelog import RateLimitedLog
from velox.store.base import Store

log = logging.getLogger(__name__)
INTERVAL_S = 3600.0
_failed = RateLimitedLog(log, logging.WARNING, INTERVAL_S)


class AuthExpiry:
    """``start()`` deletes expired sign-in rows every ``interval_s`` until ``stop()``."""

    def __init__(
        self, store: Store, wall_ms: Callable[[], int], interval_s: float = INTERVAL_S
    ) -> None:
        self._store = store
        self._wall_ms = wall_ms
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="auth-expiry")

    async def stop(self) -> None:
        """Ends a round under way too: a database that stopped answering must not hold a stop
        (the rows are deleted at the next start or round anyway)."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            task.cancel()
            await asyncio.wait({task})

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await self._stopping.wait()
            if self._stopping.is_set():
                return
            try:
                await self._store.forget_expired_auth(self._wall_ms())
            except Exception as exc:  # retried at the next round
                _failed("expired sign-in rows not deleted: %r", exc)
