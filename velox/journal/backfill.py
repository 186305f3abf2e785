"""Rows for a database whose journal has events from before their projected table.

Schema version 2 databases written before the ``funding`` table hold ``FundingCharged``
events with no row, and those written before the ``deposits`` table ``Deposited`` events
with none. The writer, at start (before it takes commands), writes their rows from the
journal once, in one read of it; a meta key per table remembers that it has, so later
starts do not read the journal again. The rows are the group commit's own (``commit_rows``
→ ``funding_writes``, ``deposit_writes``), so the audit's comparisons hold for them too. A
pruned journal's older events are gone with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from velox.engine.events import Deposited, Event, FundingCharged
from velox.journal.reading import event_of
from velox.journal.rows import deposit_writes, funding_writes
from velox.store.base import Store
from velox.store.records import RowWrite

FUNDING_ROWS_KEY = "funding_rows"
DEPOSIT_ROWS_KEY = "deposit_rows"
Writes = Callable[[Sequence[tuple[int, Event]]], list[RowWrite]]
TABLES: tuple[tuple[str, str, Writes], ...] = (
    (FUNDING_ROWS_KEY, FundingCharged.__name__, funding_writes),
    (DEPOSIT_ROWS_KEY, Deposited.__name__, deposit_writes),
)


async def backfill_rows(store: Store, batch: int = 1000) -> dict[str, int]:
    """Write the journal's missing rows of each table not yet backfilled (existing rows are
    kept); the events read, by the table's meta key."""
    wanted: dict[str, tuple[str, Writes]] = {}
    for key, event_type, writes in TABLES:
        if await store.get_meta(key) is None:
            wanted[event_type] = (key, writes)
    if not wanted:
        return {}
    seen = {key: 0 for key, _ in wanted.values()}
    pending: list[RowWrite] = []
    async for record in store.read_journal(0):
        table = wanted.get(record.type)
        if table is None:
            continue
        key, writes = table
        pending.extend(writes([(record.seq, event_of(record))]))
        seen[key] += 1
        if len(pending) >= batch:
            await store.append_batch([], [], pending)
            pending = []
    if pending:
        await store.append_batch([], [], pending)
    for key in seen:
        await store.set_meta(key, "1")
    return seen
