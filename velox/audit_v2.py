"""``velox audit``'s engine v2 checks (SPEC 12, issue 12): each funding boundary charged at
most once per position, the ``fills``, ``funding`` and ``deposits`` rows agreeing with the
journal in both directions, and
(with the whole journal) the ``orders`` rows being exactly what the journal projects.

Conservation with pending reservations and fees is the engine's own ledger
(``views.ledger``: free + locked + pending + house == deposits), checked by ``audit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from velox.audit_notes import pre_fix_fill
from velox.audit_rows import RowChecks, compact
from velox.engine.events import Deposited, Event, FundingCharged
from velox.journal.reading import event_of
from velox.journal.rows import deposit_record, funding_record
from velox.projection import fills_of, writes_of
from velox.store.base import Store
from velox.store.records import DepositRecord, FundingRecord, OrderRecord, RowWrite


@dataclass
class V2Checks:
    """Fed every replayed event in order; ``finish`` compares with the store. The fills and
    the ``orders`` rows are compared in steps (``rows``, audit_rows.py)."""

    rows: RowChecks
    charged: set[tuple[str, int]] = field(default_factory=set)
    funding: dict[int, FundingRecord] = field(default_factory=dict)  # by journal seq
    boundaries: dict[tuple[str, int], int] = field(default_factory=dict)  # first charge's seq
    deposits: dict[int, DepositRecord] = field(default_factory=dict)  # by journal seq
    problems: list[str] = field(default_factory=list)
    funding_charges: int = 0
    pre_fix_rows: int = 0  # stored fills as an older Velox wrote them (said in a NOTE)

    def see(self, seq: int, event: Event) -> None:
        if isinstance(event, FundingCharged):
            self.funding_charges += 1
            key = (event.order_id, event.boundary)
            if key in self.charged:
                self.problems.append(
                    f"seq {seq}: position {event.order_id} charged funding twice for "
                    f"boundary {event.boundary}"
                )
            self.charged.add(key)
            self.funding[seq] = funding_record(seq, event)
            self.boundaries.setdefault((event.asset, event.boundary), seq)
        elif isinstance(event, Deposited):
            self.deposits[seq] = deposit_record(seq, event)
        for write in writes_of(event):
            self._order_write(write, seq)
        for fill in fills_of(event):
            if compact(fill.fill_id) in self.rows.fills.ids:
                self.problems.append(f"seq {seq}: fill id {fill.fill_id} used twice")
            self.rows.fill(fill.fill_id, fill.order_id, fill, pre_fix_fill(event, fill))

    def _order_write(self, write: RowWrite, seq: int) -> None:
        """The ``orders`` row each write leaves, as the store's SQL does it (rows.py)."""
        new = write.record
        if not isinstance(new, OrderRecord):
            return
        old = self.rows.order_of(new.order_id)
        if write.kind == "order" or old is None:
            if write.kind != "order_terms":
                self.rows.order(new, seq)
        elif write.kind == "order_terms":
            self.rows.order(replace(
                old, price=new.price, stop_loss=new.stop_loss, take_profit=new.take_profit,
                trailing_stop=new.trailing_stop, expires_at=new.expires_at,
                reserved=new.reserved, updated_at=new.updated_at,
            ), seq)  # fmt: skip
        elif write.kind == "order_status":
            self.rows.order(replace(
                old, status=new.status, position_id=new.position_id, updated_at=new.updated_at
            ), seq)  # fmt: skip

    async def finish(self, store: Store, whole_journal: bool, bound: int) -> list[str]:
        """Every journal fill is a row with the same numbers (compared in steps); with the
        whole journal, every row is a journal fill (rows committed after ``bound`` come
        with later events)."""
        fills = self.rows.fills
        unexplained = []  # rows no journal fill up to ``bound`` projected (whole journal)
        if whole_journal:
            unexplained = [row.fill_id async for row in store.all_fills()
                           if compact(row.fill_id) not in fills.ids]  # fmt: skip
        # The journal tail is read after the rows: a row committed by then came with its
        # event in the same transaction, so the tail holds that event (the other order
        # leaves a gap for a commit to land in).
        later: set[str] = set()
        async for record in store.read_journal(bound):
            event = event_of(record)
            later.update(f.fill_id for f in fills_of(event))
        problems = list(self.problems)
        self.pre_fix_rows = fills.older
        if fills.differ:
            problems.append(f"fills in the journal missing or different in fills: {fills.differ}")
        if whole_journal:
            extra = sorted(set(unexplained) - later)
            if extra:
                problems.append(f"fills rows with no journal event: {extra[:10]}")
            await self._compare_orders(store, bound, problems)
        await self._compare_funding(store, whole_journal, bound, problems)
        await self._compare_deposits(store, whole_journal, bound, problems)
        return problems

    async def _compare_deposits(
        self, store: Store, whole_journal: bool, bound: int, problems: list[str]
    ) -> None:
        """Every deposit in the journal is a row with the same numbers; with the whole
        journal, every row up to ``bound`` is a deposit (rows are keyed by journal seq; a
        pruned journal's older deposits keep their rows)."""
        stored = {row.seq: row async for row in store.all_deposits()}
        by_seq("deposits", "deposits", self.deposits, stored, whole_journal, bound, problems)

    async def _compare_funding(
        self, store: Store, whole_journal: bool, bound: int, problems: list[str]
    ) -> None:
        """Every charge in the journal is a row with the same numbers; with the whole
        journal, every row up to ``bound`` is a charge (rows are keyed by journal seq)."""
        stored = {row.seq: row async for row in store.all_funding()}
        by_seq("funding charges", "funding", self.funding, stored, whole_journal, bound, problems)
        if whole_journal:
            rows = {(b.asset, b.boundary): b async for b in store.all_funding_boundaries()}
            wrong = sorted(
                key for key in set(rows) | set(self.boundaries)
                if (rows[key].seq if key in rows else None) != self.boundaries.get(key)
                and (key not in rows or rows[key].seq <= bound)
            )  # fmt: skip
            wrong += sorted(
                key for key, seq in self.boundaries.items()
                if key in rows and rows[key].seq == seq
                and (rows[key].rate, rows[key].mark_price)
                != (self.funding[seq].rate, self.funding[seq].mark_price)
            )  # fmt: skip
            if wrong:
                problems.append(
                    f"funding_boundaries rows that differ from the journal: {wrong[:10]}"
                )

    async def _compare_orders(self, store: Store, bound: int, problems: list[str]) -> None:
        """With the whole journal: the ``orders`` rows are exactly what it projects (rows
        an event after ``bound`` wrote or changed are the next audit's). The orders that
        left PENDING early enough were compared during the replay (audit_rows.py)."""
        rows = self.rows
        live = {order_id: record for order_id, (record, _) in rows.live.items()}
        stored = await store.orders_by_ids(list(live))
        unexplained = [row.order_id async for row in store.all_orders()
                       if compact(row.order_id) not in rows.orders.ids
                       and row.order_id not in live]  # fmt: skip
        later: set[str] = set()  # read after the rows, as in ``finish``
        async for record in store.read_journal(bound):
            event = event_of(record)
            later.update(w.record.order_id for w in writes_of(event)
                         if isinstance(w.record, OrderRecord))  # fmt: skip
        rows.orders.note(i for i, record in live.items()
                         if i not in later and stored.get(i) != record)  # fmt: skip
        rows.orders.note(i for i in unexplained if i not in later)
        if rows.orders.differ:
            problems.append(f"orders rows that differ from the journal: {rows.orders.differ}")


def by_seq(
    what: str,
    table: str,
    journal: Mapping[int, object],
    stored: Mapping[int, object],
    whole_journal: bool,
    bound: int,
    problems: list[str],
) -> None:
    """Rows keyed by journal seq against the journal's events: every event is a row with the
    same numbers; with the whole journal, every row up to ``bound`` is an event."""
    differ = sorted(seq for seq, row in journal.items() if stored.get(seq) != row)
    if differ:
        problems.append(f"{what} missing or different in {table}: seq {differ[:10]}")
    if whole_journal:
        extra = sorted(seq for seq in stored if seq <= bound and seq not in journal)
        if extra:
            problems.append(f"{table} rows with no journal event: seq {extra[:10]}")
