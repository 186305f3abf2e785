"""`velox audit` compares the rows that grow with the history (closed orders, fills, orders) in
steps, so that its memory does not grow with them (velox/audit_rows.py). Before, it held
every projected record and every stored row at once: 686 MB of memory for a journal of
260,000 events.

With steps of 1 to 3 records, an honest journal (closes, partial closes, resting orders
filled and cancelled, a NETTING flip, an order still resting) still passes with the same
figures, on both stores, and a closed order, fill or settled order changed early in the history, or
a row with no event, is still found. A second test runs ``velox audit`` on journals of 4,000
and 12,000 closed positions and compares their peak memory.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system.server import ROOT
from velox import audit_rows
from velox.audit import AuditReport, audit
from velox.engine.commands import (
    CancelOrder,
    ClosePosition,
    CreateAccount,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.events import AccountCreated, OrderPlaced, PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.factory import open_store_for

BTC = "BTCUSDT"
SETTINGS = EngineSettings(taker_fee=50_000, maker_fee=20_000)


def _one(events: tuple[object, ...], kind: type) -> object:
    (found,) = [e for e in events if isinstance(e, kind)]
    return found


async def history(url: str) -> None:
    """Closes, partial closes, resting orders filled and cancelled, and a NETTING flip."""
    now = [1_800_000_000_000]
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, SETTINGS, snapshot_interval_s=3600, clock=lambda: now[0])
    await service.start()

    def at() -> int:
        now[0] += 1
        return now[0]

    try:
        await service.submit(OpenAccount("alice", at()))
        made = await service.submit(CreateAccount("alice", "net", "NETTING", at()))
        netting = _one(made.events, AccountCreated).account_id  # type: ignore[attr-defined]
        service.offer_tick(PriceTick(BTC, 100_000 * SCALE, at()))
        for side in ("LONG", "SHORT", "LONG", "SHORT", "LONG"):
            opened = await service.submit(
                OpenPosition("alice", BTC, side, 10, at(), margin=100 * SCALE)
            )
            order_id = _one(opened.events, PositionOpened).order_id  # type: ignore[attr-defined]
            await service.submit(ClosePosition("alice", order_id, at(), percent=50))
            await service.submit(ClosePosition("alice", order_id, at()))
        for price in (99_000, 98_000):
            placed = await service.submit(OpenPosition(
                "alice", BTC, "LONG", 10, at(), margin=50 * SCALE, order_type="LIMIT",
                price=price * SCALE,
            ))  # fmt: skip
            pending = _one(placed.events, OrderPlaced).order_id  # type: ignore[attr-defined]
        await service.submit(CancelOrder("alice", pending, at()))
        service.offer_tick(PriceTick(BTC, 98_900 * SCALE, at()))  # fills the 99,000 LIMIT
        # NETTING: a LONG, then a bigger SHORT that closes it and opens the rest (a flip)
        await service.submit(OpenPosition("alice", BTC, "LONG", 10, at(), qty=SCALE // 100,
                                          account_id=netting))  # fmt: skip
        await service.submit(OpenPosition("alice", BTC, "SHORT", 10, at(), qty=SCALE // 50,
                                          account_id=netting))  # fmt: skip
        await service.submit(OpenPosition(
            "alice", BTC, "SHORT", 10, at(), margin=20 * SCALE, order_type="LIMIT",
            price=120_000 * SCALE, account_id=netting,
        ))  # fmt: skip  # still resting at the end
        await asyncio.sleep(0)
    finally:
        await service.stop()
        await store.close()


async def audited(url: str) -> AuditReport:
    reader = open_store_for(url)
    await reader.open(writer=False)
    try:
        return await audit(reader, SETTINGS)
    finally:
        await reader.close()


def figures(report: AuditReport) -> tuple[int, int, int, int]:
    return report.events, report.closed_orders, report.fills, report.final_seq


async def test_an_honest_history_passes_in_steps_with_the_same_figures(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await history(db_url)
    whole = await audited(db_url)  # STEP 5,000: one comparison at the end
    assert whole.ok, whole.summary()
    assert whole.closed_orders == 11  # 10 + the flip's
    for step in (1, 2, 3):  # 1: a step after every event
        monkeypatch.setattr(audit_rows, "STEP", step)
        stepped = await audited(db_url)
        assert stepped.ok, (step, stepped.summary())
        assert figures(stepped) == figures(whole)


async def test_in_steps_the_audit_finds_what_a_whole_reading_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "velox.db"
    url = f"sqlite:///{path}"
    await history(url)
    monkeypatch.setattr(audit_rows, "STEP", 3)
    assert (await audited(url)).ok

    with sqlite3.connect(path) as db:
        (closed,) = db.execute(
            "SELECT MIN(CAST(order_id AS INTEGER)) FROM closed_orders"
        ).fetchone()
        db.execute("UPDATE closed_orders SET pnl = pnl + 1 WHERE order_id = ?", (str(closed),))
        (fill,) = db.execute("SELECT MIN(CAST(fill_id AS INTEGER)) FROM fills").fetchone()
        db.execute("UPDATE fills SET fee = fee + 1 WHERE fill_id = ?", (str(fill),))
        (cancelled,) = db.execute(
            "SELECT order_id FROM orders WHERE status = 'CANCELLED'"
        ).fetchone()
        db.execute("UPDATE orders SET status = 'EXPIRED' WHERE order_id = ?", (cancelled,))
        db.execute("CREATE TEMP TABLE ghost AS SELECT * FROM closed_orders WHERE order_id = ?",
                   (str(closed),))  # fmt: skip
        db.execute("UPDATE ghost SET order_id = '999999'")
        db.execute("INSERT INTO closed_orders SELECT * FROM ghost")
    db.close()
    report = await audited(url)
    assert not report.ok
    assert f"closed order {closed} differs from closed_orders" in report.problems
    assert f"fills in the journal missing or different in fills: ['{fill}']" in report.problems
    assert f"orders rows that differ from the journal: ['{cancelled}']" in report.problems
    assert "closed_orders rows with no journal event: ['999999']" in report.problems


# The audit's peak memory, from the kernel: VmHWM is its own process's (ru_maxrss would
# carry the test process's own peak across the exec).
AUDIT_PEAK = """
import asyncio, sys
from velox.audit import audit
from velox.store.factory import open_store_for

async def main():
    store = open_store_for(sys.argv[1])
    await store.open(writer=False)
    try:
        report = await audit(store)
    finally:
        await store.close()
    assert report.ok, report.summary()
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()
    print(report.closed_orders, status[0])

asyncio.run(main())
"""


async def closes(url: str, count: int) -> None:
    """``count`` positions opened and closed by 100 users."""
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, EngineSettings(), snapshot_interval_s=3600)
    await service.start()
    users = [f"u{i}" for i in range(100)]
    try:
        for user in users:
            await service.submit(OpenAccount(user, service.clock()))

        async def open_close(user: str) -> None:
            opened = await service.submit(
                OpenPosition(user, BTC, "LONG", 10, service.clock(), margin=SCALE)
            )
            order_id = _one(opened.events, PositionOpened).order_id  # type: ignore[attr-defined]
            await service.submit(ClosePosition(user, order_id, service.clock()))

        for _ in range(count // len(users)):
            service.offer_tick(PriceTick(BTC, 100_000 * SCALE, service.clock()))
            await asyncio.gather(*(open_close(u) for u in users))
    finally:
        await service.stop()
        await store.close()


def peak_kb(url: str) -> tuple[int, int]:
    run = subprocess.run([sys.executable, "-c", AUDIT_PEAK, url], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    closed, peak = run.stdout.split()
    return int(closed), int(peak)


async def test_the_audits_memory_does_not_grow_with_the_history(tmp_path: Path) -> None:
    """Before: about 5.3 kB per closed position (686 MB at 130,000), so these two audits'
    peaks were some 42 MB apart. Now the history's rows cost the audit their ids only."""
    small, large = f"sqlite:///{tmp_path / 'small.db'}", f"sqlite:///{tmp_path / 'large.db'}"
    await closes(small, 4_000)
    await closes(large, 12_000)
    (small_closed, small_peak), (large_closed, large_peak) = peak_kb(small), peak_kb(large)
    assert (small_closed, large_closed) == (4_000, 12_000)
    grown_mb = (large_peak - small_peak) / 1024
    assert grown_mb < 12, f"8,000 more closed positions cost the audit {grown_mb:.1f} MB"
