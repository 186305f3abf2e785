"""One gateway's changes to a book every gateway keeps (tickets, listen keys), on one subject.

Each gateway publishes what it changed, tagged with its ``origin``, and applies what the
others publish; its own messages come back to it and are skipped. Publishing never awaits
NATS on a request's path; ``caught_up`` waits for a mark of the gateway's own to come back,
for a reply that must not reach its client before every gateway can know what it names, and
for a question about something another gateway may have made a moment ago.
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
        self._marks: dict[int, asyncio.Future[None]] = {}
        self._next_mark = 0

    async def listen(self, apply: Callable[[dict[str, Any]], None]) -> None:
        """Call ``apply`` with each other gateway's message (a malformed one is dropped)."""

        async def on_message(msg: Msg) -> None:
            try:
                message = codec.loads(msg.data)
                if message["o"] == self.origin:
                    waiting = self._marks.get(message.get("mark"))
                    if waiting is not None and not waiting.done():
                        waiting.set_result(None)
                elif "mark" not in message:  # another gateway's marks are its own business
                    apply(message)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("bus: dropping a malformed %s message: %s", self.what, exc)

        await self.nc.subscribe(self.subject, cb=on_message)

    async def caught_up(self, timeout_s: float = 2.0) -> None:
        """Wait for a mark of ours to come back through our own subscription.

        When it has, three things hold: our subscription is on the server (a book that has
        started hears everything published after); everything we published before it was
        taken by the server, in order (a reply naming a ticket or listen key may then go:
        every other gateway can know it); and everything the server took from the others
        before it has been applied here (a gateway asked about a key made elsewhere a moment
        ago, whose reply its client has read, finds it). ``nc.flush()`` promises none of
        this: nats-py 2.16 writes its PING ahead of the commands still pending, so its PONG
        can come back before a SUB or PUB made earlier has reached the server (measured: a
        ticket lost to a gateway in about 1 start in 15)."""
        if self._sends:  # publishes queued before the mark go out before it
            await asyncio.gather(*self._sends, return_exceptions=True)
        self._next_mark += 1
        mark = self._next_mark
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._marks[mark] = arrived
        try:
            await self.nc.publish(self.subject, codec.dumps({"o": self.origin, "mark": mark}))
            await asyncio.wait_for(arrived, timeout_s)
        except Exception as exc:  # NATS away: what is here is all there is
            log.info("bus: %s messages not caught up: %s", self.what, exc)
        finally:
            del self._marks[mark]

    def send(self, message: dict[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(
            self.nc.publish(self.subject, codec.dumps({"o": self.origin, **message}))
        )
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)
