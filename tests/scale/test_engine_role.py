"""The engine role runs the same pipelined loop as ``velox run``: its bus server is a staged
listener (a batch is data; it never reads the engine), so the next batch is applied while
one commits, and each batch goes on the bus only after its own commit, in commit order."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.service.test_pipeline import Held, opening, settle, started
from velox.bus import wire
from velox.bus.server import EngineBusServer
from velox.bus.subjects import Subjects
from velox.store.base import Store


class RecordingNats:
    """What the server publishes (NATS itself is exercised by the cluster tests)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []

    async def subscribe(self, subject: str, cb: Any = None) -> None:
        return None

    async def publish(self, subject: str, data: bytes) -> None:
        self.published.append((subject, data))

    def batch_seqs(self, subjects: Subjects) -> list[int]:
        return [seq for subject, data in self.published if subject == subjects.batches
                for seq, _ in wire.decode_batch(data).events]  # fmt: skip


async def test_the_engine_role_overlaps_batches_and_publishes_each_after_its_commit(
    store: Store,
) -> None:
    held = Held(store)
    service = await started(held)
    nc, subjects = RecordingNats(), Subjects()
    server = EngineBusServer(nc, service, subjects)  # type: ignore[arg-type]
    await server.start()
    verdicts: list[asyncio.Future[bool]] = []
    try:
        held.hold = True
        first = opening(service, "alice")
        _, commit_a = await held.started.get()
        verdicts.append(commit_a)
        second = opening(service, "bob")
        await settle()
        assert service._applied_seq == 6  # bob's open applied while alice's commits
        assert nc.batch_seqs(subjects) == []  # neither revealed before its commit
        commit_a.set_result(True)
        assert (await first).ok
        await settle()
        assert nc.batch_seqs(subjects) == [5]
        _, commit_b = await held.started.get()
        verdicts.append(commit_b)
        commit_b.set_result(True)
        assert (await second).ok
        await settle()
        assert nc.batch_seqs(subjects) == [5, 6]
    finally:
        held.hold = False
        for verdict in verdicts:  # a failed assertion must not leave a commit held
            if not verdict.done():
                verdict.set_result(True)
        await server.stop()
        await service.stop()


class SlowNats(RecordingNats):
    """Each publish takes a while, so messages are still queued when the engine stops."""

    async def publish(self, subject: str, data: bytes) -> None:
        await asyncio.sleep(0.005)
        await super().publish(subject, data)


async def test_a_stopping_engine_role_publishes_every_queued_batch_first(
    store: Store,
) -> None:
    service = await started(Held(store))
    nc, subjects = SlowNats(), Subjects()
    server = EngineBusServer(nc, service, subjects)  # type: ignore[arg-type]
    await server.start()
    try:
        for user in ("alice", "bob", "alice", "bob", "alice"):
            assert (await opening(service, user)).ok
    finally:
        await service.stop()
        await server.stop()
    assert nc.batch_seqs(subjects) == [5, 6, 7, 8, 9]  # all of them, in commit order
