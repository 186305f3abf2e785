"""``velox audit``'s engine v2 checks (SPEC 12, issue 12): each funding boundary charged at
most once per position, and the ``fills`` rows agreeing with the journal in both directions.

Conservation with pending reservations and fees is the engine's own ledger
(``views.ledger``: free + locked + pending + house == deposits), checked by ``audit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from velox import codec
from velox.engine.events import Event, FundingCharged
from velox.projection import fills_of
from velox.store.base import Store
from velox.store.records import FillRecord


@dataclass
class V2Checks:
    """Fed every replayed event in order; ``finish`` compares with the store."""

    fills: dict[str, FillRecord] = field(default_factory=dict)
    charged: set[tuple[str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    funding_charges: int = 0

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
        for fill in fills_of(event):
            if fill.fill_id in self.fills:
                self.problems.append(f"seq {seq}: fill id {fill.fill_id} used twice")
            self.fills[fill.fill_id] = fill

    async def finish(self, store: Store, whole_journal: bool, bound: int) -> list[str]:
        """Every journal fill is a row with the same numbers; with the whole journal, every
        row is a journal fill (rows committed after ``bound`` come with later events)."""
        later: set[str] = set()
        async for record in store.read_journal(bound):
            event = codec.decode_event(record.type, record.payload)
            later.update(f.fill_id for f in fills_of(event))
        stored = {row.fill_id: row async for row in store.all_fills()}
        problems = list(self.problems)
        differ = sorted(i for i, f in self.fills.items() if stored.get(i) != f)
        if differ:
            problems.append(f"fills in the journal missing or different in fills: {differ[:10]}")
        if whole_journal:
            extra = sorted(set(stored) - set(self.fills) - later)
            if extra:
                problems.append(f"fills rows with no journal event: {extra[:10]}")
        return problems
