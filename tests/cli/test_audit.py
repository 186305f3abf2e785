"""`velox audit` beside a running engine: commits landing between the audit's reads are the
next audit's, never a reported problem; real problems are still found."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

from velox.audit import audit
from velox.engine.commands import ClosePosition, OpenAccount, OpenPosition, PriceTick
from velox.engine.events import PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.records import JournalRecord

BTC = "BTCUSDT"


class CommitsBetweenReads:
    """A read-only store on which the engine commits again before every journal read but
    the first, and before every read of a table's rows, so each part of the audit sees
    more than the part before (a commit can land between any two reads)."""

    def __init__(self, inner: Store, commit: Callable[[], Awaitable[None]]) -> None:
        self.inner = inner
        self.commit = commit
        self.journal_reads = 0
        self.table_reads = 0

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        self.journal_reads += 1
        if self.journal_reads > 1:
            await self.commit()
        async for record in self.inner.read_journal(after_seq, batch):
            yield record

    def __getattr__(self, name: str) -> Any:
        if name.startswith("all_"):
            return self._after_a_commit(getattr(self.inner, name))
        return getattr(self.inner, name)

    def _after_a_commit(self, read: Callable[[], AsyncIterator[Any]]) -> Any:
        async def rows() -> AsyncIterator[Any]:
            self.table_reads += 1
            await self.commit()
            async for row in read():
                yield row

        return rows


async def test_audit_of_a_moving_journal_covers_it_up_to_where_it_began(db_url: str) -> None:
    writer = open_store_for(db_url)
    await writer.open()
    service = EngineService(writer, EngineSettings(), snapshot_interval_s=3600)
    await service.start()
    await service.submit(OpenAccount("alice", service.clock()))
    service.offer_tick(PriceTick(BTC, 100_000 * SCALE, service.clock()))

    async def open_and_close() -> None:
        opened = await service.submit(
            OpenPosition("alice", BTC, "LONG", 10, service.clock(), margin=SCALE)
        )
        (event,) = [e for e in opened.events if isinstance(e, PositionOpened)]
        await service.submit(ClosePosition("alice", event.order_id, service.clock()))

    await open_and_close()
    await service.snapshot()
    await open_and_close()
    audited_seq = service.seq
    reader = open_store_for(db_url)
    await reader.open(writer=False)
    try:
        moving = CommitsBetweenReads(reader, open_and_close)
        report = await audit(moving)  # type: ignore[arg-type]
        assert report.ok, report.summary()
        assert moving.journal_reads >= 3 and moving.table_reads >= 4  # it did move
        assert service.seq > audited_seq
        assert report.final_seq == audited_seq
        assert report.closed_orders == 2
        # a forged row (no journal event at all) is still a problem beside the engine
        (row, *_) = [r async for r in writer.all_closed_orders()]
        await writer.append_batch([], [replace(row, order_id="999999")])
        report = await audit(moving)  # type: ignore[arg-type]
        assert report.problems == ["closed_orders rows with no journal event: ['999999']"]
    finally:
        await reader.close()
        await service.stop()
        await writer.close()
