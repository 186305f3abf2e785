"""``velox audit``'s comparison of the rows that grow with the history (closed orders, fills,
orders) with what the journal projects, in steps, so that its memory does not grow with them.

Before, the audit held every projected record and then every stored row at once: 686 MB for
a journal of 260,000 events (130,000 closed positions), so a long-lived deployment's audit
ran out of memory. Closed orders and fills never change once written, and an order's row
never changes once it has left PENDING: its fill or its end writes it last (a NETTING flip's
close does not write the new order's row; its open does). So each such record the replay
projects waits here until ``STEP`` of them have come, then they are read back by id,
compared and forgotten, all but their id: a set of ids (as numbers: a fraction of the
records' memory) for the other direction, rows with no journal event. An order still PENDING
is kept until the end, where a row written after the audit's bound (``later``) excuses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from velox.store.base import Store
from velox.store.records import OrderRecord

STEP = 5000
SHOWN = 10  # ids a problem names
PENDING = "PENDING"
Key = int | str


def compact(row_id: str) -> Key:
    """An id as kept in the sets: a decimal number as an int (ids are), else as it is."""
    return int(row_id) if row_id.isdigit() and str(int(row_id)) == row_id else row_id


@dataclass
class Table:
    """One table's records waiting for their rows, and what the comparisons found."""

    read: Callable[[list[str]], Awaitable[Mapping[str, Any]]]  # the stored rows of ids
    ids: set[Key] = field(default_factory=set)  # every id the journal projected
    waiting: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # record, older form
    differ: list[str] = field(default_factory=list)  # the first SHOWN, as sorted strings
    differ_count: int = 0
    older: int = 0  # rows exactly as an older Velox projected them (audit_notes)

    def add(self, row_id: str, record: Any, older: Any = None) -> None:
        self.ids.add(compact(row_id))
        self.waiting[row_id] = (record, older)

    async def compare(self) -> None:
        """The waiting records against their rows (absent rows differ)."""
        if not self.waiting:
            return
        stored = await self.read(list(self.waiting))
        found = []
        for row_id, (record, older) in self.waiting.items():
            kept = stored.get(row_id)
            if kept == record:
                continue
            if older is not None and kept == older:
                self.older += 1
            else:
                found.append(row_id)
        self.waiting.clear()
        self.note(found)

    def note(self, found: Iterable[str]) -> None:
        found = list(found)
        self.differ_count += len(found)
        self.differ = sorted([*self.differ, *found])[:SHOWN]


class RowChecks:
    """Fed the replay's projected closed orders, fills and order writes; compares in steps."""

    def __init__(self, store: Store, orders: bool) -> None:
        """``orders``: whether to compare the ``orders`` rows (only from a whole journal: a
        pruned one does not hold the writes of the orders placed before it)."""
        self.store = store
        self.closed = Table(self._closed_rows)
        self.fills = Table(self._fill_rows)
        self.orders = Table(store.orders_by_ids)
        self.compare_orders = orders
        self._fill_orders: dict[str, str] = {}  # a waiting fill's order (rows are read by it)
        # orders whose row may still change: id -> (record, seq of its last write)
        self.live: dict[str, tuple[OrderRecord, int]] = {}
        self._settled_before = 0  # orders last written before this seq are settled

    def fill(self, fill_id: str, order_id: str, record: Any, older: Any = None) -> None:
        self.fills.add(fill_id, record, older)
        self._fill_orders[fill_id] = order_id

    def order(self, record: OrderRecord, seq: int) -> None:
        if self.compare_orders:
            self.live[record.order_id] = (record, seq)

    def order_of(self, order_id: str) -> OrderRecord | None:
        held = self.live.get(order_id)
        return None if held is None else held[0]

    def full(self) -> bool:
        return max(len(self.closed.waiting), len(self.fills.waiting), len(self.live)) >= STEP

    async def step(self, seq: int) -> None:
        """Compare what waits. Orders that left PENDING and were last written before the
        previous step are settled: compared now and forgotten. (Waiting one step more costs
        little, and keeps an order that a later event of the same command wrote again, as
        no event does today, from being compared half-written.)"""
        await self.closed.compare()
        await self.fills.compare()
        self._fill_orders.clear()
        settled = [
            order_id for order_id, (record, last) in self.live.items()
            if record.status != PENDING and last < self._settled_before
        ]  # fmt: skip
        for order_id in settled:
            self.orders.add(order_id, self.live.pop(order_id)[0])
        await self.orders.compare()
        self._settled_before = seq + 1

    async def finish(self) -> None:
        """Compare the rest; the orders still live are the caller's (``later`` applies)."""
        await self.closed.compare()
        await self.fills.compare()
        self._fill_orders.clear()

    async def _closed_rows(self, order_ids: list[str]) -> dict[str, Any]:
        return {row.order_id: row for row in await self.store.closed_orders_of(order_ids)}

    async def _fill_rows(self, fill_ids: list[str]) -> dict[str, Any]:
        """Fills are read by their orders (the store's index): every fill of those."""
        order_ids = sorted({self._fill_orders[i] for i in fill_ids})
        return {row.fill_id: row for row in await self.store.fills_of_orders(order_ids)}
