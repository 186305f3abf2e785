"""The gateways that are live now, so a revocation knows whose confirmation to wait for.

Each gateway publishes a heartbeat with its instance id every ``HEARTBEAT_S`` and a goodbye
when it stops; one not heard for ``LIVE_S`` (killed, cut off) is gone, and so is one that did
not confirm a revocation in time (``Broadcast.confirmed``) until its next heartbeat.

A gateway that starts must not answer a request before the others wait for it: otherwise a
revocation answered elsewhere a moment later could still be on its way here. So ``start``
says hello as a request; every live gateway adds it to its roster, then answers (with its
own id, which the newcomer adds in turn), and the newcomer listens ``GREET_S`` for them
before going on. Together with "subscribe to the revocations, then read the store" this
leaves no gap: a revocation that reached NATS before our subscription is in the store we
read after it; one published later reaches us, and is either confirmed by us (its sender
knew us) or came from a gateway that greeted us after publishing it (so it is ahead of the
greeting, and applied once ``Broadcast.caught_up`` returns after ``start``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox import codec

log = logging.getLogger(__name__)
HEARTBEAT_S = 1.0
# Silent this long: gone. Generous on purpose: a live gateway whose loop was held up (a
# busy start) must not be skipped while it serves; a dead one costs the next revocation a
# ``CONFIRM_S`` wait, after which it is dropped anyway (``lost``).
LIVE_S = 10.0
GREET_S = 0.3  # at start: how long the live gateways have to answer our hello


class Roster:
    def __init__(
        self, nc: Client, subject: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.nc = nc
        self.subject = subject
        self.instance = uuid.uuid4().hex
        self._clock = clock
        self._seen: dict[str, float] = {}  # another gateway -> when last heard
        self._beat: asyncio.Task[None] | None = None

    async def start(self, greet_s: float = GREET_S) -> None:
        """Join: from here on every live gateway waits for our confirmations."""
        await self.nc.subscribe(self.subject, cb=self._on_message)
        await self.greet(greet_s)
        self._beat = asyncio.create_task(self._heartbeat(), name="gateway-heartbeat")

    async def greet(self, greet_s: float = GREET_S) -> None:
        """Say hello and wait for the live gateways to add us: at start, and again after
        our link to NATS was cut (they took us for gone when we did not confirm)."""
        inbox = self.nc.new_inbox()
        welcomes = await self.nc.subscribe(inbox, cb=self._on_welcome)
        try:
            await self.nc.publish(self.subject, self._say(hello=1), reply=inbox)
            await asyncio.sleep(greet_s)
        except Exception as exc:  # NATS away: the heartbeats will tell them
            log.warning("bus: gateway hello not sent: %s", exc)
        finally:
            with contextlib.suppress(Exception):
                await welcomes.unsubscribe()

    async def stop(self) -> None:
        """Leave: nobody waits for our confirmations any more."""
        if self._beat is not None:
            self._beat.cancel()
            await asyncio.gather(self._beat, return_exceptions=True)
            self._beat = None
        with contextlib.suppress(Exception):
            await self.nc.publish(self.subject, self._say(bye=1))
            await self.nc.flush(timeout=1)

    def others(self) -> set[str]:
        """The other gateways heard within ``LIVE_S``."""
        now = self._clock()
        for gone in [g for g, seen in self._seen.items() if now - seen > LIVE_S]:
            log.warning("bus: gateway %s silent for %.1f s: taken for gone", gone, LIVE_S)
            del self._seen[gone]
        return set(self._seen)

    def lost(self, instance: str) -> None:
        """Did not confirm in time: not waited for again until it is heard from."""
        self._seen.pop(instance, None)

    def _say(self, **what: Any) -> bytes:
        return codec.dumps({"g": self.instance, **what})

    async def _on_message(self, msg: Msg) -> None:
        try:
            message = codec.loads(msg.data)
            instance = str(message["g"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("bus: dropping a malformed gateway heartbeat: %s", exc)
            return
        if instance == self.instance:
            return
        if "bye" in message:
            self._seen.pop(instance, None)
            return
        if instance not in self._seen:
            log.info("bus: gateway %s is live", instance)
        self._seen[instance] = self._clock()
        if msg.reply:  # a hello: it is in our roster now, so it may start answering
            with contextlib.suppress(Exception):
                await msg.respond(self.instance.encode())

    async def _on_welcome(self, msg: Msg) -> None:
        self._seen[msg.data.decode(errors="replace")] = self._clock()

    async def _heartbeat(self) -> None:
        while True:
            with contextlib.suppress(Exception):  # NATS away: the others drop us meanwhile
                await self.nc.publish(self.subject, self._say())
            await asyncio.sleep(HEARTBEAT_S)
