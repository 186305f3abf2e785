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

    async def subscribed(self) -> None:
        """Wait until the server has this gateway's subscriptions: a book that says it has
        started hears every message published after that."""
        try:
            await self.nc.flush(timeout=5)
        except Exception as exc:  # NATS away: the subscriptions go in when it is back
            log.info("bus: %s subscriptions not confirmed: %s", self.what, exc)

    async def caught_up(self, timeout_s: float = 2.0) -> None:
        """Wait until every message NATS took on the subject before now has been applied here.

        Why it is exact: a mark of ours, published now, reaches our subscription after every
        message the server took before it. A reply naming a listen key left its gateway only
        once its message was on the server (``settled``), so a client that read that reply
        and came to this gateway finds the key here after this."""
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

    async def settled(self) -> None:
        """Wait until what was published so far has left for NATS."""
        if self._sends:
            await asyncio.gather(*self._sends, return_exceptions=True)
        try:
            await self.nc.flush(timeout=2)
        except Exception as exc:  # NATS away: it works on this gateway at least
            log.info("bus: %s messages not flushed: %s", self.what, exc)
