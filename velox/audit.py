"""``velox audit``: prove the durable state is consistent, or say exactly what is not.

Checks (SPEC.md section 11): replaying the journal (from sequence 1 when it is whole, else
from the oldest retained snapshot) reproduces every newer snapshot and the final state;
money is conserved exactly; no balance is negative; every closed position in the journal
is in ``closed_orders`` with the same numbers, and vice versa; engine v2 (audit_v2.py):
fills agree with the journal both ways, each funding boundary charged once per position.
A snapshot written by an older Velox is compared on the fields it holds; what an upgrade
over a pruned journal could not rebuild is said in NOTEs, which do not fail the audit
(audit_notes.py).

It reads through a read-only store, so it can run beside the engine. Each check then covers
the journal up to the sequence that was last when the audit began (``final_seq``); what the
engine commits meanwhile is the next audit's. The one exception to "meanwhile": an engine
with ``--prune-journal`` that prunes during the audit can make it report a gap at the start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from velox import codec
from velox.audit_notes import lost_deposits_note, old_snapshot_notes, pre_fix_closed, pre_fix_note
from velox.audit_v2 import V2Checks
from velox.engine.engine import Engine
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.engine.snapshot_format import CURRENT, SnapshotFormat
from velox.engine.views import ledger
from velox.journal import UnreadableRow, closed_record_of, event_of, restore, snapshot_data
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, SnapshotRecord


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said, but no failure
    events: int = 0
    snapshots_checked: int = 0
    closed_orders: int = 0
    final_seq: int = 0
    fills: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (
            f"journal events replayed: {self.events}, snapshots checked: "
            f"{self.snapshots_checked}, closed orders: {self.closed_orders}, "
            f"fills: {self.fills}, final seq: {self.final_seq}"
        )
        head += "".join(f"\nNOTE: {n}" for n in self.notes)
        if self.ok:
            return head + (
                "\nOK: replay, conservation (with pending reservations and fees), balances, "
                "closed orders, fills and funding (each boundary once per position) agree"
            )
        return head + "\n" + "\n".join(f"PROBLEM: {p}" for p in self.problems)


async def audit(store: Store, settings: EngineSettings | None = None) -> AuditReport:
    """The report; a journal row or snapshot that does not decode is its last PROBLEM (no
    check can go past it: nothing after that row can be replayed)."""
    report = AuditReport()
    try:
        await _audit(store, settings or EngineSettings(), report)
    except UnreadableRow as exc:
        report.problems.append(str(exc))
    return report


async def _audit(store: Store, settings: EngineSettings, report: AuditReport) -> None:
    bound = await store.last_seq()  # first: every row read later is committed up to here
    stored_snapshots = await store.snapshots()
    end = await store.last_seq()  # snapshots up to here may be newer than the bound
    if end == 0 and stored_snapshots:
        # --prune-journal with one snapshot kept: the prune removed every row up to the
        # oldest snapshot, so an empty journal ends exactly there.
        bound = end = stored_snapshots[0].seq
    beyond = [s.seq for s in stored_snapshots if s.seq > end]
    if beyond:
        report.problems.append(f"snapshots beyond the journal's last seq {end}: {beyond}")
    snapshots = [s for s in stored_snapshots if s.seq <= bound]
    first = None
    async for record in store.read_journal(0, batch=1):
        first = record.seq
        break
    engine, start_seq, base_format = Engine(settings), 0, CURRENT
    if first is None and snapshots:
        first = bound + 1  # an empty journal continues the snapshot at ``bound``
    if first is not None and first > 1:
        # the journal was pruned: start from the oldest snapshot it still continues
        usable = [s for s in snapshots if s.seq >= first - 1]
        if not usable:
            report.problems.append(f"journal starts at seq {first} and no snapshot covers it")
            return
        base = snapshot_data(usable[0])
        engine = restore(usable[0], base, settings)
        start_seq, base_format = usable[0].seq, SnapshotFormat.of(base)
        report.notes += await lost_deposits_note(store, engine, start_seq)
    report.notes[:0] = await old_snapshot_notes(store, start_seq, base_format)
    by_seq = {s.seq: s for s in snapshots}
    journal_closed: dict[str, ClosedOrderRecord] = {}
    pre_fix: dict[str, ClosedOrderRecord] = {}  # the rows an older Velox wrote (audit_notes)
    v2 = V2Checks()
    expected = start_seq
    async for seq, event in _events(store, start_seq, bound):
        expected += 1
        if seq != expected:
            report.problems.append(f"journal gap: expected seq {expected}, found {seq}")
            expected = seq
        try:
            engine.apply(event)
        except (KeyError, ValueError, TypeError) as exc:
            report.problems.append(f"seq {seq}: event does not apply: {exc!r}")
            return
        report.events += 1
        v2.see(seq, event)
        closed = closed_record_of(event)
        if closed is not None:
            journal_closed[closed.order_id] = closed
            old = pre_fix_closed(event, closed)
            if old is not None:
                pre_fix[closed.order_id] = old
        snapshot = by_seq.get(seq)
        if snapshot is not None and seq > start_seq:
            report.snapshots_checked += 1
            # compare as stored: through the same JSON (rows come back as lists), on what
            # both the snapshot and the replay's base hold
            stored = snapshot_data(snapshot)
            held = SnapshotFormat.of(stored) & base_format
            if held.narrow(stored) != held.narrow(codec.loads(codec.dumps(engine.export()))):
                report.problems.append(f"snapshot at seq {seq} differs from the replay")
    report.final_seq = expected
    whole = start_seq == 0
    if not await _restart_matches(store, snapshots, bound, engine, settings, base_format, whole):
        report.problems.append("newest snapshot + journal tail differs from the full replay")
    figures = ledger(engine)
    if not figures["conserved"]:
        report.problems.append(f"money not conserved: {figures}")
    negative = [a.user_id for a in engine.accounts.values() if a.balance < 0]
    if negative:
        report.problems.append(f"negative balances: {negative}")
    older = await _compare_closed(store, journal_closed, pre_fix, start_seq == 0, bound, report)
    report.fills = len(v2.fills)
    report.problems.extend(await v2.finish(store, start_seq == 0, bound))
    report.notes += pre_fix_note(v2.pre_fix_rows, older)


async def _events(store: Store, after: int, bound: int) -> AsyncIterator[tuple[int, Event]]:
    """The journal's events after ``after`` up to ``bound``, decoded, with their seqs."""
    async for record in store.read_journal(after):
        if record.seq > bound:
            return
        yield record.seq, event_of(record)


async def _restart_matches(
    store: Store,
    snapshots: list[SnapshotRecord],
    bound: int,
    replayed: Engine,
    settings: EngineSettings,
    base: SnapshotFormat,
    whole: bool,
) -> bool:
    """What a restart at ``bound`` would load (newest snapshot + the journal after it; the
    whole journal when that snapshot is older and the journal whole, as ``journal.replay``
    does) is the full replay's state, on what both bases hold."""
    if not snapshots:
        return True  # a restart would replay the whole journal: that is the replay itself
    newest = snapshots[-1]
    stored = snapshot_data(newest)
    held = SnapshotFormat.of(stored)
    if held.missing() and whole:
        return True  # a restart rebuilds from the whole journal: the replay itself
    engine = restore(newest, stored, settings)
    async for _, event in _events(store, newest.seq, bound):
        engine.apply(event)
    held &= base
    return held.narrow(engine.export()) == held.narrow(replayed.export())


async def _compare_closed(
    store: Store,
    journal_closed: dict[str, ClosedOrderRecord],
    pre_fix: dict[str, ClosedOrderRecord],
    whole_journal: bool,
    bound: int,
    report: AuditReport,
) -> int:
    """Compares; returns how many rows are an older Velox's of a capped close (``pre_fix``:
    they match as written, audit_notes)."""
    stored: dict[str, ClosedOrderRecord] = {}
    async for row in store.all_closed_orders():
        stored[row.order_id] = row
    # Rows committed after ``bound`` came with their events: those events are in the journal
    # by now (read after the rows), and excuse the rows.
    later: set[str] = set()
    async for _, event in _events(store, bound, 2**63 - 1):
        closed = closed_record_of(event)
        if closed is not None:
            later.add(closed.order_id)
    report.closed_orders = len(set(stored) - later)
    older = 0
    for order_id, record in journal_closed.items():
        kept = stored.get(order_id)
        if kept is not None and kept != record and kept == pre_fix.get(order_id):
            older += 1
        elif kept != record:
            report.problems.append(f"closed order {order_id} differs from closed_orders")
    if whole_journal:
        extra = sorted(set(stored) - set(journal_closed) - later)
        if extra:
            report.problems.append(f"closed_orders rows with no journal event: {extra[:10]}")
    return older
