"""``velox audit``: prove the durable state is consistent, or say exactly what is not.

Checks (SPEC.md section 11): replaying the journal (from sequence 1 when it is whole, else
from the oldest retained snapshot) reproduces every newer snapshot and the final state;
money is conserved exactly; no balance is negative; every closed position in the journal
is in ``closed_orders`` with the same numbers, and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from velox import codec
from velox.engine.engine import Engine
from velox.engine.settings import EngineSettings
from velox.engine.views import ledger
from velox.journal import load_engine
from velox.orders import closed_record_of
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord


@dataclass
class AuditReport:
    problems: list[str] = field(default_factory=list)
    events: int = 0
    snapshots_checked: int = 0
    closed_orders: int = 0
    final_seq: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (
            f"journal events replayed: {self.events}, snapshots checked: "
            f"{self.snapshots_checked}, closed orders: {self.closed_orders}, "
            f"final seq: {self.final_seq}"
        )
        if self.ok:
            return head + "\nOK: replay, conservation, balances and closed orders agree"
        return head + "\n" + "\n".join(f"PROBLEM: {p}" for p in self.problems)


async def audit(store: Store, settings: EngineSettings | None = None) -> AuditReport:
    report = AuditReport()
    snapshots = await store.snapshots()
    by_seq = {s.seq: s for s in snapshots}
    engine, start_seq = Engine(settings), 0
    first = None
    async for record in store.read_journal(0, batch=1):
        first = record.seq
        break
    if first is not None and first > 1:
        # the journal was pruned: start from the oldest snapshot it still continues
        usable = [s for s in snapshots if s.seq >= first - 1]
        if not usable:
            report.problems.append(f"journal starts at seq {first} and no snapshot covers it")
            return report
        oldest = usable[0]
        engine = Engine.restore(codec.loads(oldest.payload), settings)
        start_seq = oldest.seq
    journal_closed: dict[str, ClosedOrderRecord] = {}
    expected = start_seq
    async for record in store.read_journal(start_seq):
        expected += 1
        if record.seq != expected:
            report.problems.append(f"journal gap: expected seq {expected}, found {record.seq}")
            expected = record.seq
        event = codec.decode_event(record.type, record.payload)
        try:
            engine.apply(event)
        except (KeyError, ValueError, TypeError) as exc:
            report.problems.append(f"seq {record.seq}: event does not apply: {exc!r}")
            return report
        report.events += 1
        closed = closed_record_of(event)
        if closed is not None:
            journal_closed[closed.order_id] = closed
        snapshot = by_seq.get(record.seq)
        if snapshot is not None and record.seq > start_seq:
            report.snapshots_checked += 1
            # compare as stored: through the same JSON (rows come back as lists)
            if codec.loads(snapshot.payload) != codec.loads(codec.dumps(engine.export())):
                report.problems.append(f"snapshot at seq {record.seq} differs from the replay")
    report.final_seq = expected
    fast, fast_seq = await load_engine(store, settings or EngineSettings())
    if fast_seq != expected or fast.export() != engine.export():
        report.problems.append("newest snapshot + journal tail differs from the full replay")
    figures = ledger(engine)
    if not figures["conserved"]:
        report.problems.append(f"money not conserved: {figures}")
    negative = [a.user_id for a in engine.accounts.values() if a.balance < 0]
    if negative:
        report.problems.append(f"negative balances: {negative}")
    await _compare_closed(store, journal_closed, start_seq == 0, report)
    return report


async def _compare_closed(
    store: Store,
    journal_closed: dict[str, ClosedOrderRecord],
    whole_journal: bool,
    report: AuditReport,
) -> None:
    stored: dict[str, ClosedOrderRecord] = {}
    async for row in store.all_closed_orders():
        stored[row.order_id] = row
    report.closed_orders = len(stored)
    for order_id, record in journal_closed.items():
        if stored.get(order_id) != record:
            report.problems.append(f"closed order {order_id} differs from closed_orders")
    if whole_journal:
        extra = sorted(set(stored) - set(journal_closed))
        if extra:
            report.problems.append(f"closed_orders rows with no journal event: {extra[:10]}")
