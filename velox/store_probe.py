"""Whether the database answers at all: a probe, so ``/healthz`` knows with no request made.

The journal finds out that the store is gone at the next order's commit and the trade writer
at its next batch; with no order placed and no feed (or a gateway, which has neither), nothing
did: ``/healthz`` answered 200 for as long as PostgreSQL refused connections, while every
sign-in failed. ``StoreProbe`` runs ``store.ping()`` (``SELECT 1``) every ``interval_s``,
each within ``timeout_s`` (a database that stopped answering is as down as one that refuses),
and reports the result as the part ``database``, an ``Outage``: ``down`` from the first failed
ping to the first good one, said once in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from velox.outage import Outage
from velox.store.base import Store
from velox.supervisor import PartStatus

log = logging.getLogger(__name__)

NAME = "database"
INTERVAL_S = 1.0
TIMEOUT_S = 3.0


class StoreProbe:
    """``start()`` pings ``store`` every ``interval_s`` until ``stop()``; ``status()``."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], int],
        *,
        interval_s: float = INTERVAL_S,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self._store = store
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.outage = Outage(
            NAME, clock, failing="the database cannot be reached: %s",
            working="the database answers again", logger=log,
        )  # fmt: skip
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def down(self) -> bool:
        return self.outage.down

    def status(self) -> PartStatus:
        return self.outage.status()

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="database-probe")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        await asyncio.wait({task})

    async def ping(self) -> None:
        """One ping: the outage's state follows its result."""
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._store.ping()
        except Exception as exc:  # unreachable, refused, a timeout: all of them down
            self.outage.failed(exc)
        else:
            self.outage.succeeded()

    async def _run(self) -> None:
        while not self._stopping.is_set():
            await self.ping()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_s):
                    await self._stopping.wait()
