"""Funding rows for a database whose journal has charges from before the ``funding`` table.

Schema version 2 databases written before the table existed hold ``FundingCharged`` events
with no row. The writer, at start (before it takes commands), writes their rows from the
journal once; a meta key remembers that it has, so later starts do not read the journal
again. The rows are the group commit's own (``commit_rows`` → ``funding_record``), so the
audit's comparison holds for them too. A pruned journal's older charges are gone with it.
"""

from __future__ import annotations

from velox import codec
from velox.engine.events import FundingCharged
from velox.journal.rows import funding_writes
from velox.store.base import Store
from velox.store.records import RowWrite

FUNDING_ROWS_KEY = "funding_rows"
_TYPE = FundingCharged.__name__


async def backfill_funding(store: Store, batch: int = 1000) -> int:
    """Write the journal's missing funding rows (existing ones are kept); the count read."""
    if await store.get_meta(FUNDING_ROWS_KEY) is not None:
        return 0
    pending: list[RowWrite] = []
    seen = 0
    async for record in store.read_journal(0):
        if record.type != _TYPE:
            continue
        event = codec.decode_event(record.type, record.payload)
        pending.extend(funding_writes([(record.seq, event)]))
        seen += 1
        if len(pending) >= batch:
            await store.append_batch([], [], pending)
            pending = []
    if pending:
        await store.append_batch([], [], pending)
    await store.set_meta(FUNDING_ROWS_KEY, "1")
    return seen
