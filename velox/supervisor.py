"""Keep a long-lived task alive: restart it with backoff when it fails, and say how it is.

A feed or a trade writer that dies in a bare ``asyncio.create_task`` dies silently: prices go
stale or candles stop while ``/healthz`` still answers 200. A ``Supervisor`` runs the part's
coroutine, logs each failure with its traceback, restarts it after an exponential backoff
(``Backoff``: equal jitter, capped) and keeps the status ``/healthz`` reports.

A part is *down* from its first failure until a restart has run ``healthy_after_ms`` without
failing: a part that crashes a second after every restart stays down (its downtime keeps
growing) instead of flapping between up and down. The backoff resets at the same moment.
A coroutine that returns instead of raising has ended too soon (long-lived parts run until
cancelled) and is restarted the same way. Times are engine time (``Clock.now_ms``). The
status names the failure's type only: it is served on ``/healthz`` to anyone, while the
message and traceback, which may hold paths or addresses, go to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal, Protocol

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.backoff import Backoff
from velox.frozen import frozen

log = logging.getLogger(__name__)

PartState = Literal["up", "down", "recovering"]


@frozen
class PartStatus:
    """``down``: failed, waiting to restart; ``recovering``: restarted, not yet proven."""

    name: str
    state: PartState
    down_ms: int  # how long it has been down (0 when up)
    restarts: int
    error: str | None  # the last failure's type ("ended" if it returned), None if never


class Part(Protocol):
    """What ``/healthz`` lists: anything that can say how it is."""

    def status(self) -> PartStatus: ...


class Supervisor:
    """``Supervisor(name, run)``: ``start()`` runs ``run()`` in a task until ``stop()``."""

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[None]],
        *,
        clock: Clock = SYSTEM_CLOCK,
        backoff: Backoff | None = None,
        healthy_after_ms: int = 5_000,
    ) -> None:
        self.name = name
        self._run = run
        self._clock = clock
        self.backoff = backoff or Backoff()
        self.healthy_after_ms = healthy_after_ms
        self.restarts = 0
        self.error: str | None = None
        self._running = False
        self._started_ms = 0
        self._down_since: int | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)
        self._task.add_done_callback(self._loop_ended)

    async def stop(self) -> None:
        """Cancel the part and wait for it to finish its cleanup."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait({task})
        self._running = False

    def status(self) -> PartStatus:
        now = self._clock.now_ms()
        self._settle(now)
        down_since = self._down_since
        if down_since is None:
            return PartStatus(self.name, "up", 0, self.restarts, self.error)
        state: PartState = "recovering" if self._running else "down"
        return PartStatus(self.name, state, max(0, now - down_since), self.restarts, self.error)

    async def _loop(self) -> None:
        while True:
            self._started_ms = self._clock.now_ms()
            self._running = True
            try:
                await self._run()
                failure: BaseException | None = None
            except Exception as exc:  # any bug in the part: restart it
                failure = exc
            self._running = False
            now = self._clock.now_ms()
            self._settle(now, ended=True)
            if self._down_since is None:
                self._down_since = now
            self.error = type(failure).__name__ if failure is not None else "ended"
            delay = self.backoff.next_delay()
            log.error(
                "%s stopped (%s); restarting in %.2f s",
                self.name, "ended without an error" if failure is None else repr(failure), delay,
                exc_info=failure,
            )  # fmt: skip
            await asyncio.sleep(delay)
            self.restarts += 1

    def _settle(self, now: int, *, ended: bool = False) -> None:
        """A restart that has run (or, ``ended``, had run until now) long enough without
        failing brings the part back up."""
        if self._down_since is None or not (self._running or ended):
            return
        if now - self._started_ms >= self.healthy_after_ms:
            self._down_since = None
            self.backoff.reset()

    def _loop_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.critical("supervisor of %s died", self.name, exc_info=task.exception())
