"""One engine per bus prefix, for the engine's whole life.

The database's writer lock keeps two engines off one database, but not two engines with two
databases on one ``--bus-prefix``: both would answer every command (NATS gives a request to
whichever subscriber answers first), each journalling into its own database, and gateways
would see two engines alternate in the heartbeat: acknowledged orders that cannot be read
back, ids from the wrong engine, signups in the other database.

A check at start is not enough: an engine that is frozen (a VM paused, SIGSTOP) or cut off
from NATS answers no one, so a second one starts, and when the first comes back both run.
So an engine answers ``who`` with its identity from its start, asks it before serving
(``claim``: any other answer means one is live, and this one refuses to start), and then
keeps watching (``watch``): every ``ANNOUNCE_S`` it asks ``who`` again, its identity in the
question. Once serving, another engine's answer, or another engine's question carrying an
identity (a running engine announcing itself), means two engines serve one prefix:
``on_rival`` is told, once, naming the other, and the engine stops
(``EngineService.give_up``: no command taken from then on, the queued ones committed, exit
status 1). Both engines see each other, so both stop: a loud stop beats two writers
answering for one prefix, and neither can tell which database the gateways use.

A starting engine answers only another starter's question (one with no identity), and
refuses on a running engine's announcement as on its answer: answering the announcement
would make the running engine give up for a start that is refused anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.bus.subjects import Subjects
from velox.store.base import StoreOpenError

log = logging.getLogger(__name__)
ASK_S = 0.5  # how long an engine listens for another's answer at start: many round trips
ANNOUNCE_S = 1.0  # how often a running engine asks ``who`` again, naming itself


class AnotherEngine(StoreOpenError):
    """Another engine answers on this bus prefix: a second one would split commands."""

    def __init__(self, prefix: str, other: str) -> None:
        super().__init__(rival_message(prefix, other, "is already running"))


def rival_message(prefix: str, other: str, doing: str = "answers") -> str:
    return (
        f"another velox engine {doing} on bus prefix {prefix!r} ({other}); "
        "one prefix takes one engine (give another deployment its own --bus-prefix)"
    )


def identity(instance: str, database: str = "") -> dict[str, str]:
    """How an engine names itself: host, pid, the run's instance id (its heartbeat's) and
    its database (never a password)."""
    me = {"host": socket.gethostname(), "pid": str(os.getpid()), "instance": instance}
    if database:
        me["database"] = database
    return me


def named(who: dict[str, str]) -> str:
    name = f"host {who.get('host')} pid {who.get('pid')} instance {who.get('instance', '')[:8]}"
    return f"{name} database {who['database']}" if "database" in who else name


def _decoded(data: bytes) -> dict[str, str] | None:
    with contextlib.suppress(ValueError, TypeError):
        value = json.loads(data) if data else None
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    return None


class Presence:
    """Answers ``who`` for this engine; ``claim`` refuses when another engine answers;
    ``watch`` keeps looking for one as long as the engine runs."""

    def __init__(self, nc: Client, subjects: Subjects, instance: str, database: str = "") -> None:
        self.nc = nc
        self.subjects = subjects
        self.me = identity(instance, database)
        self._answers: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self._inbox = ""
        self._claimed = False  # from ``claim``'s return on, another engine heard is a rival
        self._on_rival: Callable[[str], None] | None = None
        self._rival: str | None = None  # the first other engine seen, named
        self._announcing: asyncio.Task[None] | None = None

    async def claim(self) -> None:
        """Answer ``who`` from now on, then ask it: ``AnotherEngine`` if anyone else answers.

        Subscribing first means an engine that starts while this one asks finds it, rather
        than both finding no one. The inbox stays: an answer that comes late (the other was
        frozen) is a rival found by ``watch``."""
        await self.nc.subscribe(self.subjects.who, cb=self._on_who)
        self._inbox = self.nc.new_inbox()
        await self.nc.subscribe(self._inbox, cb=self._on_answer)
        await self.nc.publish(self.subjects.who, b"", reply=self._inbox)
        await self.nc.flush()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ASK_S
        while (remaining := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(remaining):
                    answer = await self._answers.get()
            except TimeoutError:
                break
            if self._other(answer):
                raise AnotherEngine(self.subjects.prefix, named(answer))
        self._claimed = True

    @property
    def rival(self) -> str | None:
        """The line naming the first other engine heard since ``claim`` returned, if any."""
        return self._rival

    def watch(self, on_rival: Callable[[str], None]) -> None:
        """Tell ``on_rival`` once, with one line naming it, when another engine answers or
        announces itself on this prefix, and announce this one from now on.

        One heard between ``claim`` and this call counts, and is told at once: the engine
        replays its journal in between (seconds), and a frozen engine that wakes meanwhile
        answers our question and announces itself then, and only then; dropping it would
        leave this engine serving alone after the other, hearing us, gave up."""
        self._on_rival = on_rival
        self._announcing = asyncio.create_task(self._announce(), name="engine-presence")
        if self._rival is not None:
            on_rival(self._rival)

    async def stop(self) -> None:
        if self._announcing is not None:
            self._announcing.cancel()
            await asyncio.gather(self._announcing, return_exceptions=True)
            self._announcing = None

    def _other(self, who: dict[str, str]) -> bool:
        return who.get("instance") != self.me["instance"]

    def _found(self, who: dict[str, str]) -> None:
        if self._rival is not None:
            return
        self._rival = rival_message(self.subjects.prefix, named(who))
        log.critical("%s", self._rival)
        if self._on_rival is not None:
            self._on_rival(self._rival)

    async def _announce(self) -> None:
        question = json.dumps(self.me).encode()
        while True:
            await asyncio.sleep(ANNOUNCE_S)
            with contextlib.suppress(Exception):  # NATS away: asked again once it is back
                await self.nc.publish(self.subjects.who, question, reply=self._inbox)

    async def _on_answer(self, msg: Msg) -> None:
        answer = _decoded(msg.data)
        if answer is None:
            return
        if not self._claimed:  # still claiming: ``claim`` decides
            self._answers.put_nowait(answer)
        elif self._other(answer):
            self._found(answer)

    async def _on_who(self, msg: Msg) -> None:
        asker = _decoded(msg.data)
        if asker is not None and self._other(asker):  # a running engine announcing itself
            if not self._claimed:  # while claiming: it is live, so refuse, and say nothing:
                self._answers.put_nowait(asker)  # an answer would make it give up
                return
            self._found(asker)
        if msg.reply:
            with contextlib.suppress(Exception):  # NATS away: the asker hears no one
                await msg.respond(json.dumps(self.me).encode())
