"""What one commit writes, built once from its events: the journal rows, the events with
their sequence numbers, and the closed orders (``closed_orders`` rows). The same projection
answers the HTTP requests of the batch and feeds the websocket hub, so a closed order is
computed once per commit, here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from velox import codec
from velox.engine.events import Deposited, Event, FundingCharged, MarksMoved, PositionClosed
from velox.frozen import frozen
from velox.journal.closed import closed_record_of
from velox.projection import project
from velox.store.records import (
    ClosedOrderRecord,
    DepositRecord,
    FundingBoundaryRecord,
    FundingRecord,
    JournalRecord,
    RowWrite,
)


@frozen
class CommitRows:
    """One commit: ``records`` for the journal, ``numbered`` events with their seqs, and
    ``closed`` each closed order it produced, by its order id (a partial close's part id),
    and ``writes`` the other rows its events project into."""

    records: tuple[JournalRecord, ...]
    numbered: tuple[tuple[int, Event], ...]
    closed: Mapping[str, ClosedOrderRecord]
    writes: tuple[RowWrite, ...] = ()  # accounts, orders, fills, funding (projection.py)

    @property
    def last_seq(self) -> int | None:
        return self.records[-1].seq if self.records else None


EMPTY = CommitRows((), (), {})


def commit_rows(events: Sequence[Event], after_seq: int) -> CommitRows:
    """Number ``events`` from ``after_seq + 1`` (trailing marks coalesced) and map them to rows."""
    if not events:
        return EMPTY
    records: list[JournalRecord] = []
    numbered: list[tuple[int, Event]] = []
    closed: dict[str, ClosedOrderRecord] = {}
    seq = after_seq
    kept = coalesce_marks(events)
    for event in kept:
        seq += 1
        records.append(
            JournalRecord(seq, event.ts, codec.event_type(event), codec.encode_event(event))
        )
        numbered.append((seq, event))
        record = closed_record_of(event)
        if record is not None:
            closed[record.order_id] = record
    writes = project(kept)
    writes.extend(funding_writes(numbered))
    writes.extend(deposit_writes(numbered))
    return CommitRows(tuple(records), tuple(numbered), closed, tuple(writes))


def deposit_writes(numbered: Sequence[tuple[int, Event]]) -> list[RowWrite]:
    """A ``deposits`` row per ``Deposited`` (its journal ``seq`` is its id)."""
    return [
        RowWrite("deposit", deposit_record(seq, event))
        for seq, event in numbered
        if isinstance(event, Deposited)
    ]


def deposit_record(seq: int, e: Deposited) -> DepositRecord:
    """The ``deposits`` row of a deposit (``velox audit`` rebuilds the same rows)."""
    return DepositRecord(seq, e.account_id, e.user_id, e.amount, e.kind, e.ts)


def funding_writes(numbered: Sequence[tuple[int, Event]]) -> list[RowWrite]:
    """A ``funding`` row per charge, and a ``funding_boundaries`` row for the first charge of
    each (asset, boundary) in these events (the store keeps the first of all commits)."""
    out: list[RowWrite] = []
    boundaries: set[tuple[str, int]] = set()
    for seq, event in numbered:
        if isinstance(event, FundingCharged):
            record = funding_record(seq, event)
            out.append(RowWrite("funding", record))
            if (event.asset, event.boundary) not in boundaries:
                boundaries.add((event.asset, event.boundary))
                out.append(RowWrite("funding_boundary", FundingBoundaryRecord(
                    event.asset, event.boundary, event.ref, event.rate, seq)))  # fmt: skip
    return out


def funding_record(seq: int, e: FundingCharged) -> FundingRecord:
    """The ``funding`` row of a charge: its journal ``seq`` is its id (``velox audit``
    rebuilds the same rows from the journal)."""
    return FundingRecord(
        e.order_id, e.boundary, e.account_id, e.user_id, e.asset, e.ref, e.rate, e.amount,
        seq, e.ts,
    )  # fmt: skip


def coalesce_marks(events: Sequence[Event]) -> list[Event]:
    """Within one commit, fold the trailing-mark events that can be folded exactly.

    Two ``MarksMoved`` of one asset with nothing between them that adds or re-marks a
    position of that asset fold into one with the higher bid and the lower ask:
    ``max(max(m, b1), b2) == max(m, max(b1, b2))`` (and min for SHORT marks). Closes between
    them do not stop the fold (a closed position has no mark to keep). A run of rising
    ticks on a held asset therefore writes one event per commit. (The engine no longer
    emits the per-position ``TrailingStopMoved`` of old journals.)
    """
    out: list[Event] = []
    pending: dict[str, int] = {}  # asset -> index in ``out`` of its foldable MarksMoved
    for event in events:
        if isinstance(event, MarksMoved):
            at = pending.get(event.asset)
            if at is not None:
                before = out[at]
                assert isinstance(before, MarksMoved)
                out[at] = MarksMoved(
                    event.asset,
                    max(before.bid, event.bid),
                    min(before.ask, event.ask),
                    event.ts,
                )
                continue
            pending[event.asset] = len(out)
        elif not isinstance(event, PositionClosed | Deposited):
            # Opens, stop changes, margin and partial closes may add or re-mark a position:
            # a later mark event must not be folded into one before them.
            asset = getattr(event, "asset", None)
            if asset is None:
                pending.clear()
            else:
                pending.pop(asset, None)
        out.append(event)
    return out
