"""Rate limits counted across gateways: what one gateway lets through counts on every other.

Each gateway kept its own counts, so two gateways allowed twice the sign-in attempts per
address (SPEC 10), twice the orders per user and twice the Binance weight a single process
allows. Each gateway now adds up the hits it allowed per limit and key and publishes them
every ``FLUSH_S`` (one small message for many requests, never on a request's path); the
others add them to their own counts. Counts meet within about ``FLUSH_S`` plus a NATS
delivery: a burst sent to all gateways at once in that moment can still pass each gateway's
limit once. A gateway that starts later begins with empty counts, as a restarted one does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from nats.aio.client import Client

from velox.bus.broadcast import Broadcast
from velox.tasks import cancel_and_wait

log = logging.getLogger(__name__)
FLUSH_S = 0.02


class SharedLimit(Protocol):
    """A limit whose counts can be told to another gateway and told from one."""

    shared: Any  # Callable[[str, int], None] | None

    def note(self, key: str, count: int) -> None: ...


class SharedLimits:
    def __init__(self, nc: Client, subject: str, limits: Mapping[str, SharedLimit]) -> None:
        self.limits = dict(limits)
        self.broadcast = Broadcast(nc, subject, "rate limit")
        self._pending: dict[tuple[str, str], int] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        for name, limit in self.limits.items():
            limit.shared = self._counter(name)
        await self.broadcast.listen(self._apply)
        self._flusher = asyncio.create_task(self._flush_every(), name="bus-rate-limits")

    async def stop(self) -> None:
        for limit in self.limits.values():
            limit.shared = None
        if self._flusher is not None:
            await cancel_and_wait(self._flusher)
            self._flusher = None

    def _counter(self, name: str) -> Any:
        pending = self._pending

        def hit(key: str, count: int) -> None:
            pending[(name, key)] = pending.get((name, key), 0) + count

        return hit

    def flush(self) -> None:
        """Publish the hits allowed since the last flush (nothing if there were none)."""
        if not self._pending:
            return
        hits = [[name, key, count] for (name, key), count in self._pending.items()]
        self._pending.clear()
        self.broadcast.send({"hits": hits})

    async def _flush_every(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            try:
                self.flush()
            except Exception:  # NATS away: these counts stay local
                log.exception("bus: rate-limit counts not published")

    def _apply(self, message: dict[str, Any]) -> None:
        for name, key, count in message["hits"]:
            limit = self.limits.get(name)
            if limit is not None and isinstance(key, str) and type(count) is int and count > 0:
                limit.note(key, count)
