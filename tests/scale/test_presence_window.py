"""An engine heard between ``Presence.claim()`` and ``Presence.watch()`` is a rival (found by
the review of the one-engine-per-prefix change, defect 1).

The engine replays its journal between the two (seconds). An engine frozen while the other
claimed (SIGSTOP, a paused VM) wakes in that window: it answers the claim's question late and
announces itself, hears the newcomer's answer and gives up. The newcomer dropped both (the
late answer into a queue nobody read any more, the announcement ignored before ``watch``),
so it then served alone, from its own database, on the deployment's prefix.

Real nats-server; the frozen engine is a bare client that keeps the question it was asked
and, "woken", answers it or announces itself as a running engine does.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from tests.scale.helpers import until
from velox.bus.presence import Presence
from velox.bus.subjects import Subjects

FROZEN = {"host": "frozen-host", "pid": "4242", "instance": "a" * 32, "database": "a.db"}


@pytest.fixture
async def frozen(nats_url: str) -> AsyncIterator[tuple[Client, list[Msg]]]:
    """A frozen engine's connection: it hears ``who`` but answers nothing (yet)."""
    nc = await nats.connect(nats_url)
    asked: list[Msg] = []

    async def keep(msg: Msg) -> None:
        asked.append(msg)

    await nc.subscribe(Subjects().who, cb=keep)
    await nc.flush()
    try:
        yield nc, asked
    finally:
        await nc.close()


@pytest.mark.parametrize("wakes_by", ["answering the late question", "announcing itself"])
async def test_an_engine_heard_between_claim_and_watch_is_reported_at_once(
    nats_url: str, frozen: tuple[Client, list[Msg]], wakes_by: str
) -> None:
    frozen_nc, asked = frozen
    nc = await nats.connect(nats_url)
    presence = Presence(nc, Subjects(), "b" * 32, "b.db")
    try:
        await presence.claim()  # nobody answers: this engine starts replaying its journal

        async def question_arrived() -> bool:
            return bool(asked)

        await until(question_arrived, "the frozen engine holds the claim's question")
        woken = json.dumps(FROZEN).encode()
        if wakes_by == "answering the late question":
            await asked[0].respond(woken)
        else:
            await frozen_nc.publish(Subjects().who, woken, reply=frozen_nc.new_inbox())
        await frozen_nc.flush()
        await frozen_nc.close()  # it heard us and gave up: it will answer nothing more

        async def heard() -> bool:
            return presence.rival is not None

        await until(heard, "the woken engine is recorded as a rival", give_up_s=30.0)
        told: list[str] = []
        presence.watch(told.append)  # the replay is over
        assert told == [presence.rival]  # at once, before a single announcement
        assert "host frozen-host pid 4242 " in told[0], told
        assert told[0].startswith("another velox engine answers on bus prefix 'velox'"), told
    finally:
        await presence.stop()
        await nc.close()
