"""A second engine started by mistake refuses, and the running engine goes on serving.

Before, the starter answered ``who`` questions while it was still claiming. The running
engine asks ``who`` every ``ANNOUNCE_S`` naming itself; when that announcement fell in the
starter's claim window (half a second, and until its process exited), the starter answered
it, the running engine took the answer for a rival and gave up: a mistaken start stopped the
venue (seen as a 503 "starting or stopping" right after the stray engine exited, in
``tests/scale/test_one_engine.py``). A starter now answers only another starter's question
(two starting together both refuse), and a running engine's announcement heard while
claiming is a reason to refuse, like its answer.

Real nats-server; both engines are ``Presence`` objects on connections of their own.
"""

from __future__ import annotations

import asyncio

import nats
import pytest

from velox.bus import presence as presence_module
from velox.bus.presence import AnotherEngine, Presence
from velox.bus.subjects import Subjects


async def test_a_refused_starter_leaves_the_running_engine_serving(
    nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence_module, "ANNOUNCE_S", 0.05)  # several in every claim window
    running_nc = await nats.connect(nats_url)
    running = Presence(running_nc, Subjects(), "a" * 32, "a.db")
    told: list[str] = []
    try:
        await running.claim()
        running.watch(told.append)
        for n in range(3):
            stray_nc = await nats.connect(nats_url)
            stray = Presence(stray_nc, Subjects(), f"{n}" * 32, "stray.db")
            with pytest.raises(AnotherEngine) as refusal:
                await stray.claim()
            assert f"instance {'a' * 8} database a.db" in str(refusal.value)
            await asyncio.sleep(0.3)  # the refused process still on the bus as it exits
            await stray_nc.close()
        assert told == [] and running.rival is None
    finally:
        await running.stop()
        await running_nc.close()


async def test_of_two_engines_starting_together_at_most_one_serves(nats_url: str) -> None:
    """A starter still answers another starter's question (one with no identity in it)."""
    first_nc, second_nc = await nats.connect(nats_url), await nats.connect(nats_url)
    first = Presence(first_nc, Subjects(), "a" * 32, "a.db")
    second = Presence(second_nc, Subjects(), "b" * 32, "b.db")
    try:
        outcomes = await asyncio.gather(first.claim(), second.claim(), return_exceptions=True)
        refused = [o for o in outcomes if isinstance(o, AnotherEngine)]
        assert len(refused) >= 1 and len(refused) + outcomes.count(None) == 2, outcomes
    finally:
        await first_nc.close()
        await second_nc.close()
