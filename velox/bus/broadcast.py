"""One gateway's changes to a book every gateway keeps (tickets, listen keys, revocations),
on one subject.

Each gateway publishes what it changed, tagged with its ``origin``, and applies what the
others publish; its own messages come back to it and are skipped. Publishing never awaits
NATS on a request's path; ``caught_up`` waits for a mark of the gateway's own to come back,
for a reply that must not reach its client before every gateway can know what it names, and
for a question about something another gateway may have made a moment ago.

A revocation needs more than "can know": its reply promises that every gateway already
refuses what it revoked, and a gateway that reads its next request before the message is
applied would still accept it. ``confirmed`` publishes with a reply inbox and waits until
every live gateway (``Roster``) answered, which each does only after applying the message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox import codec
from velox.bus.roster import Roster

log = logging.getLogger(__name__)
CONFIRM_S = 2.0  # a live gateway that has not confirmed by then is taken for gone
# Tests only: seconds a gateway waits before applying another gateway's message, so a
# broadcast is always late there and a reply that does not wait for it is caught: "0.5" for
# every book, or "listen key=2,0.5" for one book's own lag and the others'.
LAG_ENV = "VELOX_TEST_BROADCAST_LAG_S"


def _lag_s(what: str, setting: str) -> float:
    lags = {}
    for entry in filter(None, (part.strip() for part in setting.split(","))):
        name, _, seconds = entry.rpartition("=")
        lags[name] = float(seconds)
    return lags.get(what, lags.get("", 0.0))


class Broadcast:
    def __init__(self, nc: Client, subject: str, what: str, origin: str | None = None) -> None:
        self.nc = nc
        self.subject = subject
        self.what = what  # for the log: "ticket", "listen key"
        self.origin = origin or uuid.uuid4().hex  # a gateway's roster id, to confirm
        self._sends: set[asyncio.Task[None]] = set()
        self._marks: dict[int, asyncio.Future[None]] = {}
        self._next_mark = 0
        self._confirming: dict[int, tuple[set[str], asyncio.Future[None]]] = {}
        self._confirms = ""  # our inbox prefix for confirmations (``confirmed``)
        self._lag_s = _lag_s(what, os.environ.get(LAG_ENV, ""))

    async def listen(self, apply: Callable[[dict[str, Any]], None]) -> None:
        """Call ``apply`` with each other gateway's message (a malformed one is dropped);
        confirm it, once applied, when its sender asks."""

        async def on_message(msg: Msg) -> None:
            try:
                message = codec.loads(msg.data)
                if message["o"] == self.origin:
                    waiting = self._marks.get(message.get("mark"))
                    if waiting is not None and not waiting.done():
                        waiting.set_result(None)
                elif "mark" not in message:  # another gateway's marks are its own business
                    if self._lag_s:
                        await asyncio.sleep(self._lag_s)
                    apply(message)
                    if msg.reply:
                        await self._confirm(msg.reply)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                log.warning("bus: dropping a malformed %s message: %s", self.what, exc)

        self._confirms = self.nc.new_inbox()
        await self.nc.subscribe(f"{self._confirms}.*", cb=self._on_confirmation)
        await self.nc.subscribe(self.subject, cb=on_message)

    async def _confirm(self, reply: str) -> None:
        try:
            await self.nc.publish(reply, self.origin.encode())
        except Exception as exc:  # NATS away: the sender gives up on us and logs it
            log.info("bus: %s not confirmed: %s", self.what, exc)

    async def _on_confirmation(self, msg: Msg) -> None:
        try:
            number = int(msg.subject.rsplit(".", 1)[1])
        except ValueError:
            return
        entry = self._confirming.get(number)
        if entry is None:
            return  # late: that revocation has answered already
        waiting_for, done = entry
        waiting_for.discard(msg.data.decode(errors="replace"))
        if not waiting_for and not done.done():
            done.set_result(None)

    async def confirmed(
        self, message: dict[str, Any], roster: Roster, timeout_s: float = CONFIRM_S
    ) -> None:
        """Publish ``message`` and return once every gateway ``roster`` knows as live has
        applied it (one round trip), or after ``timeout_s``: a gateway that has not
        confirmed by then is logged and taken for gone until its next heartbeat. A gateway
        not yet in the roster is starting: it subscribed before reading the store and
        answers no request before it is known (``Roster.start``)."""
        waiting_for = roster.others()
        self._next_mark += 1
        number = self._next_mark
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if not waiting_for:
            done.set_result(None)
        self._confirming[number] = (waiting_for, done)
        data = codec.dumps({"o": self.origin, **message})
        try:
            await self.nc.publish(self.subject, data, reply=f"{self._confirms}.{number}")
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(done)
        except TimeoutError:
            for gone in sorted(waiting_for):
                log.warning("bus: gateway %s did not confirm a %s within %.1f s: taken for "
                            "gone", gone, self.what, timeout_s)  # fmt: skip
                roster.lost(gone)
        except Exception as exc:  # NATS away: the store has it for gateways that start
            log.warning("bus: %s not confirmed by the other gateways: %s", self.what, exc)
        finally:
            del self._confirming[number]

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
            async with asyncio.timeout(timeout_s):
                await arrived
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
