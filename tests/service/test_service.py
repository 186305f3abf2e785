"""EngineService on both stores: durable before reply, group commit, replay, recovery, audit."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from velox import codec
from velox.audit import audit
from velox.batch import Deadline
from velox.engine.commands import AddMargin, ClosePosition, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import MarksMoved
from velox.engine.settings import EngineSettings
from velox.engine.views import ledger
from velox.journal import load_engine
from velox.money import SCALE
from velox.service import EngineNotReady, EngineService, EngineState
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, JournalRecord, SnapshotRecord

BTC = "BTCUSDT"
REF = 100_000 * SCALE


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000_000

    def __call__(self) -> int:
        return self.now


class CountingStore:
    """Wraps a real store to count commits and optionally fail the next one."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.commits = 0
        self.fail_next = False

    async def append_batch(
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[Any] = (),
    ) -> None:
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk on fire")
        self.commits += 1
        await self.inner.append_batch(events, closed, writes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def started(store: Any, clock: Clock, **kw: Any) -> EngineService:
    service = EngineService(store, EngineSettings(), clock=clock, **kw)
    await service.start()
    return service


class GatedStore:
    """A real store whose commits wait at a gate the test opens: while a batch is held
    there, nothing of it is durable, so nothing of it may have been answered."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.gate.set()
        self.waiting = 0  # commits that reached the gate and have not gone through it
        self.done = 0  # commits the inner store finished

    async def append_batch(self, *args: Any) -> None:
        self.waiting += 1
        await self.gate.wait()
        self.waiting -= 1
        await self.inner.append_batch(*args)
        self.done += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def spin(rounds: int = 50) -> None:
    """Let every ready task run a few times (no clock: a count of loop turns)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


async def gated_with_alice(store: Store) -> tuple[Clock, GatedStore, EngineService]:
    """A service on ``GatedStore(store)`` (its gate open) where alice has her account and
    BTC a price, both durable."""
    clock = Clock()
    gated = GatedStore(store)
    service = await started(gated, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    await spin()
    return clock, gated, service


async def test_reply_only_after_durable_and_reads_match_store(store: Store) -> None:
    """The reply to an open comes only after the commit holding its event returned.

    Catches "reply before commit" (the open would be answered while its batch waits at the
    gate) and "commit not awaited" (answered at the gate too, or never written: the durable
    state checked at the reply would not hold the position).
    """
    clock = Clock()
    gated = GatedStore(store)
    service = await started(gated, clock)
    assert service.state is EngineState.READY
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    # the account's commit (a tick with no event writes nothing) returned before its reply
    assert gated.done == 1, "the account was answered before its commit returned"

    gated.gate.clear()
    opening = asyncio.create_task(
        service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    )
    reading = asyncio.create_task(
        service.read(lambda e: e.account_of("alice", None).balance)  # type: ignore[union-attr]
    )
    await spin()
    assert gated.waiting == 1, "the open's batch should be waiting at the commit"
    assert not opening.done(), "answered before its commit returned"
    assert not reading.done(), "a read showed state that is not durable yet"
    # more work arriving behind a commit in flight must not reveal it either (pipelining)
    later = asyncio.create_task(service.read(lambda e: len(e.positions)))
    service.offer_tick(PriceTick(BTC, REF + SCALE, clock()))
    await spin()
    assert not opening.done(), "answered before its commit returned, once more work came"
    assert not reading.done() and not later.done()
    assert await store.last_seq() == 2  # AccountCreated, Deposited: the open is not in
    gated.gate.set()
    out = await opening
    # at the moment of the reply the open is durable: a fresh engine from the store has it
    commits_at_reply = gated.done
    durable, seq = await load_engine(store, EngineSettings())
    assert out.ok and commits_at_reply == 2
    assert seq == service.seq == 3  # AccountCreated, Deposited, PositionOpened
    assert durable.account_of("alice", None).balance == 900 * SCALE  # type: ignore[union-attr]
    assert [p.margin for p in durable.positions.values()] == [100 * SCALE]
    assert await reading == 900 * SCALE
    assert await later == 1
    assert durable.export() == await service.read(lambda e: e.export())
    await service.stop()
    assert service.state is EngineState.SHUTDOWN
    with pytest.raises(EngineNotReady):
        await service.submit(OpenAccount("bob", clock()))


async def test_group_commit_many_orders_few_transactions(store: Store) -> None:
    clock = Clock()
    counting = CountingStore(store)
    service = await started(counting, clock)
    await asyncio.gather(*(service.submit(OpenAccount(f"u{i}", clock())) for i in range(50)))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    before = counting.commits
    outs = await asyncio.gather(
        *(
            service.submit(OpenPosition(f"u{i}", BTC, "SHORT", 5, clock(), margin=10 * SCALE))
            for i in range(50)
        )
    )
    assert all(o.ok for o in outs)
    assert counting.commits - before <= 2  # 50 orders, one (or two) transactions
    assert await store.last_seq() == 150  # 50 x (AccountCreated, Deposited, PositionOpened)
    await service.stop()


async def test_failed_commit_reveals_nothing_and_rebuilds(store: Store) -> None:
    clock = Clock()
    counting = CountingStore(store)
    service = await started(counting, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    counting.fail_next = True
    with pytest.raises(EngineNotReady):
        await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    # the refused-by-failure open is not in memory either
    assert await service.read(lambda e: e.account_of("alice", None).balance) == 1000 * SCALE
    assert await service.read(lambda e: len(e.positions)) == 0
    out = await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    assert out.ok  # quotes survive the rebuild; the service goes on
    await service.stop()


async def test_trailing_marks_coalesce_within_a_commit(store: Store) -> None:
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    out = await service.submit(
        OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE, trailing_stop=SCALE)
    )
    oid = out.events[0].order_id  # type: ignore[union-attr]
    seq = service.seq
    for i in range(1, 6):  # five rising ticks queued together: one batch
        service.offer_tick(PriceTick(BTC, REF + i * SCALE, clock() + i))
    marks = await service.read(lambda e: e.positions[oid].trailing_mark)
    moved = [codec.decode_event(r.type, r.payload) async for r in store.read_journal(seq)]
    assert len(moved) == 1 and isinstance(moved[0], MarksMoved)  # one event, five ticks
    assert moved[0].bid == marks == (REF + 5 * SCALE) * 19990 // 20000  # the last bid
    await service.stop()


async def test_random_run_snapshot_replay_and_audit(store: Store) -> None:
    clock = Clock()
    service = await started(store, clock, snapshot_interval_s=0.5)
    rng = random.Random(7)
    users = [f"u{i}" for i in range(8)]
    for u in users:
        await service.submit(OpenAccount(u, clock()))
    price = REF
    for step in range(400):
        clock.now += 100
        price += rng.randint(-300, 300) * SCALE
        service.offer_tick(PriceTick(BTC, price, clock()))
        user = rng.choice(users)
        if rng.random() < 0.5:
            await service.submit(
                OpenPosition(
                    user,
                    BTC,
                    rng.choice(["LONG", "SHORT"]),
                    rng.randint(1, 100),
                    clock(),
                    margin=rng.randint(1, 50) * SCALE,
                    trailing_stop=rng.choice([None, 200 * SCALE]),
                )
            )
        else:
            ids = await service.read(lambda e, u=user: list(e.account_of(u, None).open_orders))
            if ids:
                await service.submit(
                    ClosePosition(
                        user, rng.choice(ids), clock(), percent=rng.choice([None, 25, 50])
                    )
                )
        if step % 50 == 0:
            await service.snapshot()
    live = await service.read(lambda e: e.export())
    assert ledger(await service.read(lambda e: e))["conserved"]
    await service.stop()
    assert len(await store.snapshots()) >= 2
    restarted = await started(store, clock)
    assert await restarted.read(lambda e: e.export()) == live
    await restarted.stop()
    report = await audit(store)
    assert report.ok, report.summary()
    assert report.snapshots_checked >= 2
    closed_rows = [r async for r in store.all_closed_orders()]
    assert report.closed_orders == len(closed_rows) > 0


async def test_audit_catches_tampering(store: Store) -> None:
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    out = await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    await service.submit(ClosePosition("alice", out.events[0].order_id, clock()))  # type: ignore[union-attr]
    await service.stop()
    assert (await audit(store)).ok
    # a closed order that the journal never produced
    (row,) = [r async for r in store.all_closed_orders()]
    forged = replace(row, order_id="999")
    await store.append_batch([], [forged])
    report = await audit(store)
    assert not report.ok
    assert "999" in report.summary()


async def test_replay_of_empty_store_is_fresh(store: Store) -> None:
    engine, seq = await load_engine(store, EngineSettings())
    assert seq == 0 and engine.export() == Engine().export()
    assert (await audit(store)).ok


async def test_audit_catches_a_snapshot_that_differs_from_the_replay(store: Store) -> None:
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    await service.stop()  # writes a snapshot at seq 3
    report = await audit(store)
    assert report.ok and report.snapshots_checked == 1, report.summary()
    (good,) = await store.snapshots()
    state = codec.loads(good.payload)
    state["positions"][0][6] += 1  # qty one unit larger than the journal says
    await store.save_snapshot(SnapshotRecord(good.seq, good.ts, codec.dumps(state)))
    report = await audit(store)
    assert not report.ok
    assert "snapshot at seq 3 differs" in report.summary()


async def test_submit_and_read_sees_exactly_that_commit(store: Store) -> None:
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    cmd = OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE)
    outcome, seen = await service.submit_and_read(
        cmd,
        lambda e, out: (e.account_of("alice", None).balance, out.events[0].order_id in e.positions),
    )
    assert outcome.ok and seen == (900 * SCALE, True)
    assert await store.last_seq() == service.seq == 3  # durable before the view ran
    refused, nothing = await service.submit_and_read(
        OpenPosition("alice", BTC, "LONG", 10, clock(), margin=5000 * SCALE), lambda e, o: 1
    )
    assert refused.refusal is not None and nothing is None
    await service.stop()


async def test_store_outage_answers_not_ready_then_recovers(store: Store) -> None:
    clock = Clock()
    flaky = CountingStore(store)
    service = await started(flaky, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    real_load = flaky.inner.latest_snapshot
    outage = {"left": 3}

    async def failing_snapshot() -> Any:
        if outage["left"] > 0:
            outage["left"] -= 1
            raise OSError("database unreachable")
        return await real_load()

    flaky.latest_snapshot = failing_snapshot  # type: ignore[method-assign]
    flaky.fail_next = True
    with pytest.raises(EngineNotReady):
        await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=SCALE))
    while service.state is not EngineState.READY:  # retrying, and refusing meanwhile
        with pytest.raises(EngineNotReady):
            await service.submit(OpenAccount("bob", clock()))
        await asyncio.sleep(0.01)
    assert outage["left"] == 0
    out = await service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=SCALE))
    assert out.ok and await store.last_seq() == 3
    await service.stop()


async def test_a_dead_engine_task_refuses_instead_of_hanging(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))

    async def broken() -> None:
        raise RuntimeError("a bug")

    def engine_bug(*args: Any) -> None:
        raise RuntimeError("an engine bug")

    monkeypatch.setattr("velox.service.apply_batch", engine_bug)
    service._recover = broken  # type: ignore[method-assign]
    with pytest.raises(EngineNotReady):
        await asyncio.wait_for(service.submit(OpenAccount("bob", clock())), 2)
    assert service.state is EngineState.SHUTDOWN
    with pytest.raises(EngineNotReady):
        await service.read(lambda e: e.seq)
    await service.stop()  # no snapshot of a state that may be ahead of the journal
    assert await store.snapshots() == []


async def test_snapshot_taken_in_steps_while_orders_keep_changing_it(store: Store) -> None:
    """A snapshot of 12k positions is exported a chunk at a time between batches while
    margin is added to positions it has not reached yet: it must still equal the journal
    replayed to its sequence (the audit checks exactly that)."""
    clock = Clock()
    service = await started(store, clock, snapshot_interval_s=15)
    users = [f"u{i}" for i in range(60)]
    for u in users:
        await service.submit(OpenAccount(u, clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    orders: list[str] = []
    for _ in range(200):
        outs = await asyncio.gather(
            *(service.submit(OpenPosition(u, BTC, "LONG", 2, clock(), margin=SCALE)) for u in users)
        )
        orders += [o.events[0].order_id for o in outs]  # type: ignore[union-attr]
    assert len(orders) == 12_000
    clock.now += 20_000  # the next commit begins a snapshot of 12k positions
    await service.submit(OpenAccount("trigger", clock()))
    export = service.snapshots.export
    assert export is not None and not export.done
    by_id = await service.read(lambda e: {o: e.positions[o].user_id for o in orders})
    late = orders[-50:]  # rows the export has not reached yet
    await asyncio.gather(*(service.submit(AddMargin(by_id[o], o, SCALE, clock())) for o in late))
    while service.snapshots.export is not None:
        await asyncio.sleep(0.01)
    await service.snapshots.wait_saved()
    (snap,) = await store.snapshots()
    assert snap.seq == service.seq - 50  # taken before the 50 margin additions
    await service.stop()
    report = await audit(store)
    assert report.ok and report.snapshots_checked == 2, report.summary()


async def test_a_batch_is_foreground_from_its_commit_to_its_reveal(store: Store) -> None:
    """The hub's writer steps aside while ``service.foreground`` is busy (velox/foreground.py):
    busy while a batch's commit is under way and until it is revealed, idle once it has been
    answered."""
    clock, gated, service = await gated_with_alice(store)
    assert not service.foreground.busy
    gated.gate.clear()
    opening = asyncio.create_task(
        service.submit(OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE))
    )
    await spin()
    assert gated.waiting == 1 and service.foreground.busy
    gated.gate.set()
    assert (await opening).ok
    assert not service.foreground.busy
    await service.stop()


async def test_a_command_past_its_expiry_is_refused_not_run(store: Store) -> None:
    """The bus's engine passes its gateway's deadline: a command still queued when its
    caller has stopped waiting (and answered 503) must not run."""
    clock = Clock()
    service = await started(store, clock)
    await service.submit(OpenAccount("alice", clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    cmd = OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE)
    with pytest.raises(EngineNotReady):
        await service.submit_and_read(
            cmd, lambda e, o: 1, expires=Deadline(time.monotonic() - 0.001)
        )
    outcome, balance = await service.submit_and_read(
        replace(cmd, margin=50 * SCALE),
        lambda e, o: e.account_of("alice", None).balance,
        expires=Deadline(time.monotonic() + 60),
    )
    assert outcome.ok and balance == 950 * SCALE  # only the second one ran
    await service.stop()


async def test_a_queued_command_runs_while_its_caller_still_waits(store: Store) -> None:
    """Queued behind a commit that takes long, a command whose first deadline passed is
    still run if its caller asked again meanwhile (the bus's gateway does every second):
    a busy engine's backlog is not refused while its gateways still wait for it."""
    clock, gated, service = await gated_with_alice(store)
    gated.gate.clear()
    opening = OpenPosition("alice", BTC, "LONG", 10, clock(), margin=100 * SCALE)
    held = asyncio.create_task(service.submit(opening))
    await spin()
    beside = asyncio.create_task(service.submit(opening))  # applied while the first commits
    await spin()
    asked_again, given_up = Deadline(time.monotonic() + 0.05), Deadline(time.monotonic() + 0.05)
    smaller = replace(opening, margin=50 * SCALE)
    kept = asyncio.create_task(
        service.submit_and_read(
            smaller,
            lambda e, o: e.account_of("alice", None).balance,  # type: ignore[union-attr]
            expires=asked_again,
        )
    )
    dropped = asyncio.create_task(
        service.submit_and_read(smaller, lambda e, o: 1, expires=given_up)
    )
    await asyncio.sleep(0.1)  # both deadlines pass while they wait in the queue
    assert gated.waiting == 1 and not kept.done() and not dropped.done()
    asked_again.extend(time.monotonic() + 60)
    gated.gate.set()
    assert (await held).ok and (await beside).ok
    outcome, balance = await kept
    assert outcome.ok and balance == 750 * SCALE  # 1000 - 100 - 100 - 50: the last one ran
    with pytest.raises(EngineNotReady):
        await dropped
    await service.stop()


async def test_an_untradable_tick_does_not_throw_its_batch_away(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A BTC price of 1 unit (its bid rounds to 0) with a STOP SHORT resting, queued in the
    batch of bob's ETH open: the tick is refused by the engine, bob's open goes through, and
    the service never rebuilds (it threw every batch holding such a tick away before)."""
    clock = Clock()
    service = await started(store, clock)
    for user in ("alice", "bob"):
        await service.submit(OpenAccount(user, clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    service.offer_tick(PriceTick("ETHUSDT", 3_000 * SCALE, clock()))
    stop = OpenPosition("alice", BTC, "SHORT", 10, clock(), margin=100 * SCALE,
                        order_type="STOP", price=70_000 * SCALE)  # fmt: skip
    assert (await service.submit(stop)).ok
    clock.now += 1
    service.offer_tick(PriceTick(BTC, 1, clock()))
    bob = OpenPosition("bob", "ETHUSDT", "LONG", 2, clock(), margin=10 * SCALE)
    assert (await service.submit(bob)).ok
    assert "engine failed applying a batch" not in caplog.text
    assert service.engine.quotes[BTC].ref == REF
    assert len(service.engine.pending) == 1
    await service.stop()
