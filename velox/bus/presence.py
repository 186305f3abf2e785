"""One engine per bus prefix: a second ``velox engine`` on the same subjects refuses to start.

The database's writer lock keeps two engines off one database, but not two engines with two
databases on one ``--bus-prefix``: both would answer every command (NATS gives a request to
whichever subscriber answers first), each journalling into its own database, and gateways
would see two engines alternate in the heartbeat. So an engine answers ``who`` with its
identity from its start, and before it serves commands it asks ``who`` itself and listens for
``ASK_S``: any other engine's answer means one is live, and this one refuses with a one-line
message naming it. Two engines started at the same moment may both refuse; a supervisor
restarts one, which then finds none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.bus.subjects import Subjects
from velox.store.base import StoreOpenError

ASK_S = 0.5  # how long an engine listens for another's answer: many NATS round trips


class AnotherEngine(StoreOpenError):
    """Another engine answers on this bus prefix: starting a second one would split commands."""

    def __init__(self, prefix: str, other: str) -> None:
        super().__init__(
            f"another velox engine is already running on bus prefix {prefix!r} ({other}); "
            "one prefix takes one engine (give another deployment its own --bus-prefix)"
        )


def identity(instance: str) -> dict[str, str]:
    """How an engine names itself: host, pid and the run's instance id (its heartbeat's)."""
    return {"host": socket.gethostname(), "pid": str(os.getpid()), "instance": instance}


def named(who: dict[str, str]) -> str:
    return f"host {who.get('host')} pid {who.get('pid')} instance {who.get('instance', '')[:8]}"


class Presence:
    """Answers ``who`` for this engine; ``claim`` refuses when another engine answers too."""

    def __init__(self, nc: Client, subjects: Subjects, instance: str) -> None:
        self.nc = nc
        self.subjects = subjects
        self.me = identity(instance)

    async def claim(self) -> None:
        """Answer ``who`` from now on, then ask it: ``AnotherEngine`` if anyone else answers.

        Subscribing first means an engine that starts while this one asks finds it, rather
        than both finding no one."""
        await self.nc.subscribe(self.subjects.who, cb=self._on_who)
        inbox = self.nc.new_inbox()
        answers: asyncio.Queue[dict[str, str]] = asyncio.Queue()

        async def heard(msg: Msg) -> None:
            with contextlib.suppress(ValueError, TypeError):
                answer = json.loads(msg.data)
                if isinstance(answer, dict):
                    answers.put_nowait({str(k): str(v) for k, v in answer.items()})

        listening = await self.nc.subscribe(inbox, cb=heard)
        try:
            await self.nc.publish(self.subjects.who, b"", reply=inbox)
            await self.nc.flush()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + ASK_S
            while (remaining := deadline - loop.time()) > 0:
                try:
                    answer = await asyncio.wait_for(answers.get(), remaining)
                except TimeoutError:
                    break
                if answer.get("instance") != self.me["instance"]:
                    raise AnotherEngine(self.subjects.prefix, named(answer))
        finally:
            await listening.unsubscribe()

    async def _on_who(self, msg: Msg) -> None:
        if msg.reply:
            with contextlib.suppress(Exception):  # NATS away: the asker hears no one
                await msg.respond(json.dumps(self.me).encode())
