"""Pipelining: the engine applies batch N+1 while batch N commits, and reveals nothing of a
batch (replies, reads, staged listeners) before its own commit; a failed commit rebuilds
the engine and refuses the batches applied after it too; commits land in order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.journal import load_engine
from velox.money import SCALE
from velox.service import EngineNotReady, EngineService, EngineState, Published
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, JournalRecord

BTC = "BTCUSDT"
REF = 100_000 * SCALE
NOW = 1_700_000_000_000


class Held:
    """A real store where each commit waits until the test releases (or fails) it."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.started: asyncio.Queue[tuple[list[int], asyncio.Future[bool]]] = asyncio.Queue()
        self.hold = False

    async def append_batch(
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[Any] = (),
    ) -> None:
        if self.hold:
            verdict: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            await self.started.put(([r.seq for r in events], verdict))
            if not await verdict:
                raise OSError("disk on fire")
        await self.inner.append_batch(events, closed, writes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def started(store: Held, revealed: list[str] | None = None) -> EngineService:
    service = EngineService(store, EngineSettings(), clock=lambda: NOW)  # type: ignore[arg-type]
    if revealed is not None:

        def stage(published: Published) -> Callable[[], None]:
            names = [type(e).__name__ for _, e in published.events]
            return lambda: revealed.extend(names)

        service.subscribe_staged(stage)
    await service.start()
    for user in ("alice", "bob"):
        await service.submit(OpenAccount(user, NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await service.read(lambda e: None)
    return service


def opening(service: EngineService, user: str) -> asyncio.Task[Any]:
    order = OpenPosition(user, BTC, "LONG", 10, NOW, margin=100 * SCALE)
    return asyncio.create_task(service.submit(order))


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_next_batch_is_applied_while_the_previous_commits_and_revealed_after(
    store: Store,
) -> None:
    held = Held(store)
    revealed: list[str] = []
    service = await started(held, revealed)
    revealed.clear()
    held.hold = True
    first = opening(service, "alice")
    seqs_a, commit_a = await held.started.get()  # alice's open is committing
    second = opening(service, "bob")
    balance = asyncio.create_task(service.read(lambda e: e.accounts["2"].balance))
    await settle()
    assert seqs_a == [5]
    assert service._applied_seq == 6 and service.seq == 4  # bob's open decided, not durable
    assert not first.done() and not second.done() and not balance.done()
    assert revealed == []
    assert held.started.empty()  # one commit at a time: bob's waits for alice's
    commit_a.set_result(True)
    seqs_b, commit_b = await held.started.get()
    assert seqs_b == [6]
    assert (await first).ok and service.seq == 5
    assert revealed == ["PositionOpened"]
    await settle()
    assert not second.done() and not balance.done()  # bob's batch is not durable yet
    assert await store.last_seq() == 5
    commit_b.set_result(True)
    assert (await second).ok
    assert await balance == 900 * SCALE  # bob's account (2) as his commit left it
    assert revealed == ["PositionOpened", "PositionOpened"]
    held.hold = False
    durable, seq = await load_engine(store, EngineSettings())
    assert seq == service.seq == 6
    assert durable.export() == await service.read(lambda e: e.export())
    await service.stop()


async def test_a_failed_commit_refuses_the_batches_applied_after_it_and_rebuilds(
    store: Store,
) -> None:
    held = Held(store)
    revealed: list[str] = []
    service = await started(held, revealed)
    revealed.clear()
    held.hold = True
    first = opening(service, "alice")
    _, commit_a = await held.started.get()
    second = opening(service, "bob")
    reading = asyncio.create_task(service.read(lambda e: len(e.positions)))
    await settle()
    assert service._applied_seq == 6
    commit_a.set_result(False)  # alice's commit fails: bob's batch was applied on top of it
    for task in (first, second, reading):
        with pytest.raises(EngineNotReady):
            await asyncio.wait_for(task, 10)
    assert held.started.empty()  # bob's batch was never written
    assert revealed == []
    held.hold = False
    await asyncio.wait_for(_ready(service), 10)
    assert service.seq == service._applied_seq == 4
    assert await service.read(lambda e: (len(e.positions), e.accounts["1"].balance)) == (
        0,
        1000 * SCALE,
    )
    assert (await opening(service, "bob")).ok
    assert await store.last_seq() == service.seq == 5
    assert revealed == ["PositionOpened"]
    await service.stop()


async def _ready(service: EngineService) -> None:
    while service.state is not EngineState.READY:
        await asyncio.sleep(0.005)


async def test_a_classic_listener_keeps_batches_from_overlapping(store: Store) -> None:
    held = Held(store)
    service = await started(held)
    seen: list[tuple[int, Event]] = []
    service.subscribe(lambda p: seen.extend(p.events))
    held.hold = True
    first = opening(service, "alice")
    _, commit_a = await held.started.get()
    second = opening(service, "bob")
    await settle()
    assert service._applied_seq == 5  # bob's open waits: the listener reads the engine
    commit_a.set_result(True)
    assert (await first).ok
    _, commit_b = await held.started.get()
    commit_b.set_result(True)
    assert (await second).ok
    assert [seq for seq, _ in seen] == [5, 6]
    held.hold = False
    await service.stop()


async def test_a_due_snapshot_stops_the_overlap_so_it_can_begin(store: Store) -> None:
    """Under a steady stream every commit ends with the next batch already applied, and an
    export may begin only with none applied: a due snapshot must commit without overlap."""
    held = Held(store)
    now = [NOW]
    service = EngineService(held, EngineSettings(), clock=lambda: now[0], snapshot_interval_s=1)  # type: ignore[arg-type]
    await service.start()
    for user in ("alice", "bob", "carol"):
        await service.submit(OpenAccount(user, NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await service.read(lambda e: None)
    held.hold = True
    first = opening(service, "alice")
    _, commit_a = await held.started.get()
    second = opening(service, "bob")  # applied while alice's commits
    await settle()
    now[0] += 2_000  # a snapshot is now due
    third = opening(service, "carol")  # queued: the stream goes on
    commit_a.set_result(True)
    _, commit_b = await held.started.get()
    assert (await first).ok
    commit_b.set_result(True)
    assert (await second).ok
    _, commit_c = await held.started.get()  # carol's batch commits, bob's is durable
    assert service.snapshots.export is not None or service.snapshots.saving is not None
    commit_c.set_result(True)
    assert (await third).ok
    held.hold = False
    await service.snapshots.wait_saved()
    assert [s.seq for s in await store.snapshots()] == [8]  # 3 accounts, alice, bob
    await service.stop()
