"""One gateway's changes to a book every gateway keeps (tickets, listen keys), on one subject.

Each gateway publishes what it changed, tagged with its ``origin``, and applies what the
others publish; its own messages come back to it and are skipped. Publishing never awaits
NATS on a request's path; ``settled`` waits until what was published so far has left, for a
reply that must not reach the client before the other gateways can know what it names.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox import codec

log = logging.getLogger(__name__)


class Broadcast:
    def __init__(self, nc: Client, subject: str, what: str) -> None:
        self.nc = nc
        self.subject = subject
        self.what = what  # for the log: "ticket", "listen key"
        self.origin = uuid.uuid4().hex
        self._sends: set[asyncio.Task[None]] = set()

    async def listen(self, apply: Callable[[dict[str, Any]], None]) -> None:
        """Call ``apply`` with each other gateway's message (a malformed one is dropped)."""

        async def on_message(msg: Msg) -> None:
            try:
                message = codec.loads(msg.data)
                if message["o"] != self.origin:
                    apply(message)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("bus: dropping a malformed %s message: %s", self.what, exc)

        await self.nc.subscribe(self.subject, cb=on_message)

    def send(self, message: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(
            self.nc.publish(self.subject, codec.dumps({"o": self.origin, **message}))
        )
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def settled(self) -> None:
        """Wait until what was published so far has left for NATS."""
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        try:
            await self.nc.flush(timeout=2)
        except Exception as exc:  # NATS away: it works on this gateway at least
            log.info("bus: %s messages not flushed: %s", self.what, exc)
