"""`velox audit`'s engine v2 checks: an honest journal with fees, a limit fill and a funding
boundary passes; a fill row missing or extra, or a boundary charged twice, is reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from velox import codec
from velox.audit import audit
from velox.clockwork import drain
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.events import FundingCharged
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.projection import fills_of
from velox.service import EngineService
from velox.store.factory import open_store_for
from velox.store.records import FillRecord, JournalRecord, RowWrite

BTC = "BTCUSDT"
EIGHT_HOURS = 28_800_000
BOUNDARY = 20_000 * EIGHT_HOURS  # a funding boundary (aligned to the epoch)
SETTINGS = EngineSettings(taker_fee=50_000, maker_fee=20_000)  # 0.0005 / 0.0002


async def honest_journal(url: str) -> list[FundingCharged]:
    """Market and limit fills with fees, then a funding boundary; returns its charges."""
    now = [BOUNDARY - 60_000]
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, SETTINGS, snapshot_interval_s=3600, clock=lambda: now[0])
    await service.start()
    try:
        await service.submit(OpenAccount("alice", now[0]))
        service.offer_tick(PriceTick(BTC, 100_000 * SCALE, now[0]))
        await service.submit(OpenPosition("alice", BTC, "LONG", 10, now[0], margin=100 * SCALE))
        await service.submit(
            OpenPosition("alice", BTC, "SHORT", 5, now[0], margin=50 * SCALE,
                         order_type="LIMIT", price=100_100 * SCALE)
        )  # fmt: skip
        service.offer_tick(PriceTick(BTC, 100_200 * SCALE, now[0] + 1))  # bid 100149.9: fills
        now[0] = BOUNDARY + 5
        service.offer_tick(PriceTick(BTC, 100_000 * SCALE, now[0]))
        await drain(service.submit, now[0])
        charges = []
        async for record in store.read_journal(0):
            event = codec.decode_event(record.type, record.payload)
            if isinstance(event, FundingCharged):
                charges.append(event)
        return charges
    finally:
        await service.stop()
        await store.close()


async def audited(url: str, settings: EngineSettings = SETTINGS) -> tuple[bool, str]:
    """``velox audit``'s verdict and summary, read-only beside whatever writes there."""
    reader = open_store_for(url)
    await reader.open(writer=False)
    try:
        report = await audit(reader, settings)
        return report.ok, report.summary()
    finally:
        await reader.close()


async def test_an_honest_v2_journal_passes(db_url: str) -> None:
    charges = await honest_journal(db_url)
    assert len(charges) == 2 and {c.boundary for c in charges} == {BOUNDARY}
    ok, summary = await audited(db_url)
    assert ok, summary
    assert "fills: 2," in summary


async def test_a_missing_an_extra_fill_and_a_double_charge_are_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    charges = await honest_journal(url)
    with sqlite3.connect(tmp_path / "velox.db") as db:
        (first_fill,) = db.execute("SELECT MIN(fill_id) FROM fills").fetchone()
        db.execute("DELETE FROM fills WHERE fill_id = ?", (first_fill,))
    ok, summary = await audited(url)
    assert not ok and f"missing or different in fills: ['{first_fill}']" in summary, summary
    assert "orders rows" not in summary, summary
    with sqlite3.connect(tmp_path / "velox.db") as db:
        (pending,) = db.execute("SELECT MIN(order_id) FROM orders WHERE order_type = 'LIMIT'")
        db.execute("UPDATE orders SET status = 'CANCELLED' WHERE order_id = ?", pending)
    ok, summary = await audited(url)
    assert f"orders rows that differ from the journal: ['{pending[0]}']" in summary, summary

    store = open_store_for(url)
    await store.open()
    try:
        ghost = FillRecord("999", "1", "1", "1", "alice", BTC, "BUY", 1, 1, 0, 0, False, 1)
        await store.append_batch([], [], [RowWrite("fill", ghost)])
        again = charges[0]
        seq = await store.last_seq() + 1
        await store.append_batch(
            [JournalRecord(seq, again.ts, codec.event_type(again), codec.encode_event(again))],
            [],
        )
        assert fills_of(again) == []
    finally:
        await store.close()
    ok, summary = await audited(url)
    assert "fills rows with no journal event: ['999']" in summary, summary
    assert f"charged funding twice for boundary {BOUNDARY}" in summary, summary


async def test_funding_rows_that_disagree_with_the_journal_are_reported(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    charges = await honest_journal(url)
    with sqlite3.connect(tmp_path / "velox.db") as db:
        rows = db.execute("SELECT seq, amount FROM funding ORDER BY seq").fetchall()
    assert [int(amount) for _, amount in rows] == [c.amount for c in charges]
    (first, _), (second, _) = rows
    with sqlite3.connect(tmp_path / "velox.db") as db:
        db.execute("UPDATE funding SET amount = '1' WHERE seq = ?", (first,))
        db.execute("UPDATE funding SET seq = 1 WHERE seq = ?", (second,))  # not a charge
        db.execute("UPDATE funding_boundaries SET rate = 7")
        db.execute("INSERT INTO funding_boundaries VALUES ('ETHUSDT', 1, '1', 1, 1)")
    ok, summary = await audited(url)
    assert not ok, summary
    assert f"missing or different in funding: seq {[first, second]}" in summary, summary
    assert "funding rows with no journal event: seq [1]" in summary, summary
    wrong = "funding_boundaries rows that differ from the journal: "
    wrong += f"[('ETHUSDT', 1), ('{BTC}', {BOUNDARY})]"
    assert wrong in summary, summary


async def test_a_snapshot_written_before_newer_state_keys_still_passes(tmp_path: Path) -> None:
    """An older Velox's snapshot lacks the keys added since (the funding interval on record,
    the boundaries' refs): it is compared on what it holds, not called different."""
    url = f"sqlite:///{tmp_path / 'velox.db'}"
    assert await honest_journal(url)
    newer = ("funding_interval_on_record", "funding_resumed_at", "boundary_refs")
    with sqlite3.connect(tmp_path / "velox.db") as db:
        rows = db.execute("SELECT seq, payload FROM snapshots").fetchall()
        assert rows
        for seq, payload in rows:
            data = codec.loads(payload)
            assert data["boundary_refs"] == {BTC: [BOUNDARY, 100_000 * SCALE]}
            older = {k: v for k, v in data.items() if k not in newer}
            db.execute("UPDATE snapshots SET payload = ? WHERE seq = ?", (codec.dumps(older), seq))
    ok, summary = await audited(url)
    assert ok, summary
