"""What one commit writes, built once from its events: the journal rows, the events with
their sequence numbers, and the closed orders (``closed_orders`` rows). The same projection
answers the HTTP requests of the batch and feeds the websocket hub, so a closed order is
computed once per commit, here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from velox import codec
from velox.engine.events import Event, TrailingStopMoved
from velox.journal.closed import closed_record_of
from velox.store.records import ClosedOrderRecord, JournalRecord


@dataclass(frozen=True, slots=True)
class CommitRows:
    """One commit: ``records`` for the journal, ``numbered`` events with their seqs, and
    ``closed`` each closed order it produced, by its order id (a partial close's part id)."""

    records: tuple[JournalRecord, ...]
    numbered: tuple[tuple[int, Event], ...]
    closed: Mapping[str, ClosedOrderRecord]

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
    for event in coalesce_marks(events):
        seq += 1
        records.append(
            JournalRecord(seq, event.ts, codec.event_type(event), codec.encode_event(event))
        )
        numbered.append((seq, event))
        record = closed_record_of(event)
        if record is not None:
            closed[record.order_id] = record
    return CommitRows(tuple(records), tuple(numbered), closed)


def coalesce_marks(events: Sequence[Event]) -> Sequence[Event]:
    """Within one commit only the last trailing mark of each position needs writing."""
    last: dict[str, int] = {}
    for i, event in enumerate(events):
        if isinstance(event, TrailingStopMoved):
            last[event.order_id] = i
    if not last:
        return events
    return [
        e
        for i, e in enumerate(events)
        if not isinstance(e, TrailingStopMoved) or last[e.order_id] == i
    ]
