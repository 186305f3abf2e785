"""Replay continuity and recovery (issue 11 section 3): a journal that does not continue its
snapshot stops the engine loudly; no prune runs during a recovery; ``stop()`` ends a recovery
that waits on a store that is down; a recovery never sets READY over SHUTDOWN."""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped
import pytest

from velox.audit import audit
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.journal import JournalGap, load_engine
from velox.money import SCALE
from velox.service import EngineNotReady, EngineService, EngineState
from velox.store.base import Store, WriterLockHeld
from velox.store.factory import open_store_for
from velox.store.records import ClosedOrderRecord, JournalRecord, SnapshotRecord

BTC = "BTCUSDT"
REF = 100_000 * SCALE
ROOT = Path(__file__).resolve().parents[2]
NOW = 1_700_000_000_000


class Wrapped:
    """A real store with hooks: fail the next commit, hide journal rows, gate snapshot
    saves and snapshot loads."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.fail_next_commit = False
        self.hidden: set[int] = set()
        self.store_down = False
        self.save_started = asyncio.Event()
        self.release_save = asyncio.Event()
        self.release_save.set()
        self.pruned = asyncio.Event()
        self.hold_next_load: asyncio.Event | None = None  # the next load waits for it
        self.loading = asyncio.Event()

    async def append_batch(
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[Any] = (),
    ) -> None:
        if self.fail_next_commit:
            self.fail_next_commit = False
            raise OSError("disk on fire")
        await self.inner.append_batch(events, closed, writes)

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        async for record in self.inner.read_journal(after_seq, batch):
            if record.seq not in self.hidden:
                yield record

    async def latest_snapshot(self) -> SnapshotRecord | None:
        if self.store_down:
            raise OSError("database unreachable")
        found = await self.inner.latest_snapshot()
        hold, self.hold_next_load = self.hold_next_load, None
        if hold is not None:
            self.loading.set()
            await hold.wait()
        return found

    async def save_snapshot(self, snapshot: SnapshotRecord) -> None:
        self.save_started.set()
        await self.release_save.wait()
        await self.inner.save_snapshot(snapshot)

    async def prune(self, keep_snapshots: int, prune_journal: bool) -> None:
        await self.inner.prune(keep_snapshots, prune_journal)
        self.pruned.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def started(store: Any, **kw: Any) -> EngineService:
    service = EngineService(store, EngineSettings(), clock=lambda: NOW, **kw)
    await service.start()
    return service


async def open_long(service: EngineService) -> None:
    out = await service.submit(OpenPosition("alice", BTC, "LONG", 10, NOW, margin=100 * SCALE))
    assert out.ok, out.refusal


async def until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.005)


async def test_replay_refuses_a_journal_that_skips_a_sequence(store: Store) -> None:
    service = await started(store)
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await open_long(service)  # seq 3 (an account is two events)
    await service.snapshot()
    for _ in range(3):
        await open_long(service)  # seqs 4, 5, 6
    await service.stop()  # a snapshot at seq 6
    gappy = Wrapped(store)
    assert (await load_engine(gappy, EngineSettings()))[1] == 6
    gappy.latest_snapshot = lambda: _snapshot_at(store, 3)  # type: ignore[method-assign]
    gappy.hidden = {5}
    with pytest.raises(JournalGap, match=r"after seq 4 it goes on at seq 6 \(events 5\.\.5"):
        await load_engine(gappy, EngineSettings())
    restarted = EngineService(gappy, EngineSettings(), clock=lambda: NOW)  # type: ignore[arg-type]
    with pytest.raises(JournalGap):
        await restarted.start()
    assert restarted.state is EngineState.SHUTDOWN
    with pytest.raises(EngineNotReady):
        await restarted.submit(OpenAccount("bob", NOW))
    await restarted.stop()
    assert [s.seq for s in await store.snapshots()] == [3, 6]  # nothing saved by it


async def _snapshot_at(store: Store, seq: int) -> SnapshotRecord:
    (found,) = [s for s in await store.snapshots() if s.seq == seq]
    return found


async def test_no_prune_runs_during_a_recovery(store: Store) -> None:
    """A snapshot save (with --prune-journal --snapshot-keep 1) in flight when a commit
    fails: the rebuild must not read the old snapshot and then find its rows pruned."""
    wrapped = Wrapped(store)
    service = await started(wrapped, prune_journal=True, snapshot_keep=1)
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await open_long(service)
    await service.snapshot()  # seq 3; the journal is pruned to nothing
    await open_long(service)
    await open_long(service)  # seqs 4 and 5
    data = await service.read(lambda e: e.export())
    wrapped.save_started.clear()
    wrapped.release_save.clear()
    wrapped.pruned.clear()
    saving = asyncio.create_task(service.snapshots.save(5, data))
    await wrapped.save_started.wait()
    # the rebuild's load waits until the save has pruned (if it ever gets there first)
    wrapped.hold_next_load = wrapped.pruned
    wrapped.fail_next_commit = True
    failing = asyncio.create_task(open_long(service))  # answered once the rebuild is done
    await until(lambda: service.state is EngineState.REPLAYING)
    wrapped.release_save.set()
    await saving
    with pytest.raises(EngineNotReady):
        await failing
    await until(lambda: service.state is not EngineState.REPLAYING)
    assert service.state is EngineState.READY
    assert service.seq == 5
    assert await service.read(lambda e: len(e.positions)) == 3
    assert await service.read(lambda e: e.accounts["1"].balance) == 700 * SCALE  # account 1: alice
    durable, seq = await load_engine(store, EngineSettings())
    assert seq == 5 and durable.export() == await service.read(lambda e: e.export())
    await open_long(service)
    assert await store.last_seq() == service.seq == 6
    await service.stop()  # the final snapshot at seq 6 prunes the whole journal
    assert await store.last_seq() == 0
    report = await audit(store)  # an empty, pruned journal ends at the kept snapshot
    assert report.ok and report.final_seq == 6, report.summary()


async def test_stop_ends_a_recovery_while_the_store_is_down(store: Store) -> None:
    wrapped = Wrapped(store)
    service = await started(wrapped)
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    wrapped.store_down = True
    wrapped.fail_next_commit = True
    failing = asyncio.create_task(open_long(service))
    await until(lambda: service.state is EngineState.REPLAYING)
    await asyncio.wait_for(service.stop(), 10)
    with pytest.raises(EngineNotReady):
        await failing
    assert service.state is EngineState.SHUTDOWN
    assert await store.snapshots() == []  # the engine was never rebuilt: never saved
    with pytest.raises(EngineNotReady):
        await service.submit(OpenAccount("bob", NOW))


async def test_a_recovery_finishing_after_stop_keeps_shutdown(store: Store) -> None:
    wrapped = Wrapped(store)
    service = await started(wrapped)
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    store_back = asyncio.Event()
    wrapped.hold_next_load = store_back
    wrapped.fail_next_commit = True
    failing = asyncio.create_task(open_long(service))
    await wrapped.loading.wait()  # the rebuild is reading the store
    stopping = asyncio.create_task(service.stop())
    await until(lambda: service.state is EngineState.SHUTDOWN)
    store_back.set()  # the rebuild succeeds after stop() began
    await asyncio.wait_for(stopping, 10)
    with pytest.raises(EngineNotReady):
        await failing
    assert service.state is EngineState.SHUTDOWN
    with pytest.raises(EngineNotReady):
        await service.submit(OpenAccount("bob", NOW))
    (snap,) = await store.snapshots()  # rebuilt, so equal to the journal: saved
    assert snap.seq == 2


async def test_velox_run_exits_1_on_a_journal_gap(tmp_path: Path) -> None:
    db = tmp_path / "velox.db"
    store = open_store_for(f"sqlite:///{db}")
    await store.open()
    service = await started(store)
    await service.submit(OpenAccount("alice", NOW))
    await service.snapshot()  # seq 2
    for i in range(3):
        await service.submit(OpenAccount(f"u{i}", NOW))  # seqs 3..8
    await service.stop()  # a snapshot at seq 8
    await store.close()
    with sqlite3.connect(db) as raw:
        raw.execute("DELETE FROM snapshots WHERE seq = 8")
        raw.execute("DELETE FROM journal WHERE seq = 5")
    flags = ("--data-dir", str(tmp_path), "--feed", "sim")
    env = {**os.environ, "VELOX_JWT_SECRET": "x" * 40, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "run.py", "run", "--db", f"sqlite:///{db}", "--port", "0", *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr[-2000:]
    assert "after seq 4 it goes on at seq 6 (events 5..5 missing)" in run.stderr


async def trading_on(db_url: str) -> tuple[Store, EngineService]:
    """A store opened on ``db_url`` and its engine service, alice holding one LONG."""
    store = open_store_for(db_url)
    await store.open()
    service = await started(store)
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    await open_long(service)
    return store, service


async def _submit_when_ready(service: EngineService) -> None:
    """Open a LONG, retrying while the engine rebuilds (503 to a client meanwhile)."""
    async with asyncio.timeout(30):
        while True:
            try:
                return await open_long(service)
            except EngineNotReady:
                await asyncio.sleep(0.05)


@pytest.mark.pg
async def test_a_lost_writer_connection_is_taken_again_and_trading_goes_on(pg_url: str) -> None:
    """PostgreSQL ends the writer's session (a restart, a failover, an idle-session killer,
    pg_terminate_backend): the failed commit rebuilds the engine, which takes the writer
    lock again on a new connection, and commits go on. (Every commit after it failed with
    "connection is closed" until the process was restarted: an outside review.)"""
    store, service = await trading_on(pg_url)
    writer_pid = store._journal.get_server_pid()  # type: ignore[attr-defined]
    admin = await asyncpg.connect(pg_url)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", writer_pid)
        with pytest.raises(EngineNotReady):  # the commit that found the session gone
            await open_long(service)
        await _submit_when_ready(service)
        await _submit_when_ready(service)
        assert service.state is EngineState.READY
        assert await service.read(lambda e: len(e.positions)) == 3
        assert await store.last_seq() == service.seq
        # the new session holds the writer lock: a second writer is still refused
        second = open_store_for(pg_url)
        with pytest.raises(WriterLockHeld):
            await second.open()
    finally:
        await admin.close()
        await service.stop()
        await store.close()
    reopened = open_store_for(pg_url)
    await reopened.open()
    try:
        durable, _ = await load_engine(reopened, EngineSettings())
        assert len(durable.positions) == 3  # what was acknowledged is in the journal
    finally:
        await reopened.close()


@pytest.mark.pg
async def test_a_writer_session_of_ours_that_lingers_is_ended_not_taken_for_another_velox(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks on our side only (a NAT or proxy reset): the database keeps the
    old session, and its writer lock, until TCP keepalive ends it. That session is this
    process's own (known by its backend's pid and start time: application names are cut to
    63 characters, so a long hostname hides ours): the rebuild ends it and takes the lock,
    instead of stopping as if another Velox held it (it did stop: two reads of the change)."""
    monkeypatch.setattr(socket, "gethostname", lambda: "ip-10-0-1-23.eu-west-1.compute.internal")
    store, service = await trading_on(pg_url)
    lingering = store._journal  # type: ignore[attr-defined]  # its session holds the lock
    gone = await asyncpg.connect(pg_url)
    await gone.close()
    store._journal = gone  # type: ignore[attr-defined]  # what our side now sees: closed
    try:
        with pytest.raises(EngineNotReady):
            await open_long(service)
        await _submit_when_ready(service)
        assert service.state is EngineState.READY
        assert await service.read(lambda e: len(e.positions)) == 2
        with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError)):  # it was ended
            await lingering.fetchval("SELECT 1")
    finally:
        lingering.terminate()
        await service.stop()
        await store.close()


@pytest.mark.pg
async def test_velox_run_exits_1_when_another_process_takes_the_writer_lock(
    pg_url: str, tmp_path: Path
) -> None:
    """The database ends Velox's writer session and another process takes the writer lock
    before Velox can take it back: Velox must not go on serving a state that is no longer
    the database's. It ends with status 1, saying why (it stayed up answering 503)."""
    from tests.ports import free_port
    from velox.store.postgres import _WRITER_APP, _writer_key

    port = free_port()
    env = {**os.environ, "VELOX_JWT_SECRET": "x" * 40, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "run.py", "run", "--db", pg_url, "--port", str(port),
        "--data-dir", str(tmp_path), "--feed", "sim", "--bcrypt-rounds", "4",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    admin = await asyncpg.connect(pg_url)
    thief = await asyncpg.connect(pg_url)
    try:
        async with asyncio.timeout(60), aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            name = f"{_WRITER_APP}host {socket.gethostname()} pid {proc.pid}"
            writer = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1", name
            )
            assert writer is not None
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", writer)
            await thief.execute("SELECT pg_advisory_lock($1, $2)", *await _writer_key(thief))
            body = {"email": "after@example.com", "password": "a-long-password"}
            async with http.post(base + "/api/v1/user/signup", json=body,
                                 headers={"Origin": base}) as r:  # fmt: skip
                assert r.status == 503  # the commit that found the session gone
        code = await asyncio.wait_for(proc.wait(), 60)
        assert proc.stderr is not None
        err = (await proc.stderr.read()).decode()
        assert code == 1, err[-2000:]
        assert "another process took the database's writer lock" in err, err[-2000:]
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await admin.close()
        await thief.close()


@pytest.mark.pg
async def test_a_reused_pid_is_not_taken_for_our_old_writer_session(pg_url: str) -> None:
    """After a database restart, another Velox's writer session may get the pid our lost one
    had: the reclaim must not end it (it is not ours: another backend start) but say that
    another process holds the lock (it ended it: a read of the change)."""
    ours, theirs = open_store_for(pg_url), open_store_for(pg_url)
    await ours.open()
    admin = await asyncpg.connect(pg_url)
    try:
        lost = ours._journal  # type: ignore[attr-defined]
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", lost.get_server_pid())
        await _until_lock_free(admin, pg_url)
        await theirs.open()  # the other Velox, now the writer
        their_pid = theirs._journal.get_server_pid()  # type: ignore[attr-defined]
        _, started = ours._writer_backend  # type: ignore[attr-defined]
        ours._writer_backend = (their_pid, started)  # type: ignore[attr-defined]  # reused
        with pytest.raises(WriterLockHeld):
            await ours.reclaim_writer()
        assert await theirs._journal.fetchval("SELECT 1") == 1  # type: ignore[attr-defined]
    finally:
        await admin.close()
        await theirs.close()
        await ours.close()


async def _until_lock_free(admin: Any, pg_url: str) -> None:
    """Wait until the ended session's writer lock is released (its backend has exited)."""
    from velox.store.postgres import _writer_key

    probe = await asyncpg.connect(pg_url)
    try:
        key = await _writer_key(probe)
        async with asyncio.timeout(10):
            while not await probe.fetchval("SELECT pg_try_advisory_lock($1, $2)", *key):
                await asyncio.sleep(0.05)
        await probe.execute("SELECT pg_advisory_unlock($1, $2)", *key)
    finally:
        await probe.close()


@pytest.mark.pg
async def test_a_writer_lock_still_being_released_is_waited_for_not_taken_for_another_velox(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rebuild ends this process's lingering session, then takes the lock again; under
    load the ended session had not yet let the lock go, and the look-up of its holder found
    no session at all ("a session that has just ended"): the engine stopped as if another
    Velox held the database (a CI run of the test above, once). Nobody holds a lock whose
    holder has ended: the rebuild tries again."""
    from velox.store import postgres

    store, service = await trading_on(pg_url)
    take = postgres._take_writer_lock
    refusals = [postgres.WriterLockHeld(postgres.JUST_ENDED)]

    async def releasing(url: str) -> Any:
        if refusals:
            raise refusals.pop()
        return await take(url)

    monkeypatch.setattr(postgres, "_take_writer_lock", releasing)
    await store._journal.close()  # type: ignore[attr-defined]  # the session is gone
    try:
        with pytest.raises(EngineNotReady):
            await open_long(service)
        await _submit_when_ready(service)
        assert service.state is EngineState.READY and refusals == []
        assert await service.read(lambda e: len(e.positions)) == 2
    finally:
        await service.stop()
        await store.close()
