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
from velox.audit_rows import RowChecks, compact
from velox.audit_v2 import V2Checks
from velox.engine.engine import Engine
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.engine.snapshot_format import CURRENT, SnapshotFormat
from velox.engine.views import ledger
from velox.journal import UnreadableRow, closed_record_of, event_of, restore, snapshot_data
from velox.store.base import Store
from velox.store.records import SnapshotRecord


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
    rows = RowChecks(store, orders=start_seq == 0)  # closed orders, fills, orders: in steps
    v2 = V2Checks(rows)
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
        if closed is not None:  # with the row an older Velox wrote for it (audit_notes)
            rows.closed.add(closed.order_id, closed, pre_fix_closed(event, closed))
        if rows.full():
            await rows.step(seq)
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
    await rows.finish()
    await _compare_closed(store, rows, start_seq == 0, bound, report)
    report.fills = len(rows.fills.ids)
    report.problems.extend(await v2.finish(store, start_seq == 0, bound))
    report.notes += pre_fix_note(v2.pre_fix_rows, rows.closed.older)


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
    store: Store, rows: RowChecks, whole_journal: bool, bound: int, report: AuditReport
) -> None:
    """The journal's closed orders were compared with their rows in steps (audit_rows.py);
    here the other direction: with the whole journal, every row up to ``bound`` is one of
    them. Rows an older Velox wrote for a capped close match as written (``older``)."""
    closed = rows.closed
    count, unexplained = 0, []
    async for row in store.all_closed_orders():
        count += 1
        if whole_journal and compact(row.order_id) not in closed.ids:
            unexplained.append(row.order_id)  # after ``bound``, or no event at all
    # Rows committed after ``bound`` came with their events: those events are in the journal
    # by now (read after the rows), and excuse the rows.
    later: set[str] = set()
    async for _, event in _events(store, bound, 2**63 - 1):
        record = closed_record_of(event)
        if record is not None:
            later.add(record.order_id)
    if whole_journal:
        report.closed_orders = count - len(later.intersection(unexplained))
    else:  # the rows of ``later`` there now (beside a running engine, one committed while
        # the rows were counted may be left out of this figure)
        report.closed_orders = count - len(await store.closed_orders_of(sorted(later)))
    for order_id in closed.differ:
        report.problems.append(f"closed order {order_id} differs from closed_orders")
    if closed.differ_count > len(closed.differ):
        report.problems.append(
            f"and {closed.differ_count - len(closed.differ)} more closed orders differ"
        )
    if whole_journal:
        extra = sorted(set(unexplained) - later)
        if extra:
            report.problems.append(f"closed_orders rows with no journal event: {extra[:10]}")
