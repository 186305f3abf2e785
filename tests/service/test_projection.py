"""One projection of a commit (``velox.journal.commit_rows``) serves the store, the HTTP reply
and the hub: an order opened and closed by a trigger in the same batch comes back with its
closed record from the commit itself, equal to the stored row."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.events import PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService, Published
from velox.store.base import Store
from velox.store.records import ClosedOrderRecord, JournalRecord
from velox.web import render
from velox.web.keys import STORE
from velox.web.orders import _shown

BTC = "BTCUSDT"
REF = 100_000 * SCALE
NOW = 1_700_000_000_000


class Gated:
    """A real store whose commits wait for ``gate`` while it is clear; counts closed-order
    reads."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.gate.set()
        self.closed_reads = 0

    async def append_batch(
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[Any] = (),
    ) -> None:
        await self.gate.wait()
        await self.inner.append_batch(events, closed, writes)

    async def closed_order(self, order_id: str) -> ClosedOrderRecord | None:
        self.closed_reads += 1
        return await self.inner.closed_order(order_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_an_order_closed_in_its_own_batch_comes_back_from_the_commit(store: Store) -> None:
    gated = Gated(store)
    service = EngineService(gated, EngineSettings(), clock=lambda: NOW)  # type: ignore[arg-type]
    seen: list[Published] = []
    service.subscribe(seen.append)
    await service.start()
    await service.submit(OpenAccount("alice", NOW))
    service.offer_tick(PriceTick(BTC, REF, NOW))
    gated.gate.clear()
    blocker = asyncio.create_task(service.submit(OpenAccount("bob", NOW)))
    while service._queue.qsize():  # the engine took bob's batch and waits on its commit
        await asyncio.sleep(0.001)
    open_ = OpenPosition(
        "alice", BTC, "LONG", 10, NOW, margin=100 * SCALE, stop_loss=99_000 * SCALE
    )
    opening = asyncio.create_task(
        service.submit_and_show(open_, lambda e, o: o.events[0].order_id in e.positions or None)
    )
    while service._queue.qsize() < 1:
        await asyncio.sleep(0.001)
    service.offer_tick(PriceTick(BTC, 98_000 * SCALE, NOW + 1))  # same batch: hits the stop
    gated.gate.set()
    await blocker
    reply = await opening
    (event,) = reply.outcome.events
    assert isinstance(event, PositionOpened)
    assert reply.seen is None  # closed again before its commit: not open
    record = reply.published.closed_order(event.order_id)
    assert record is not None and record.close_reason == "STOP_LOSS"
    assert (record.margin, record.pnl, record.settlement) == (
        10_000_000_000,
        -2_097_950_500,
        7_902_049_500,
    )
    assert reply.published.closed == (record,)
    assert seen[-1] is reply.published  # the hub gets the very same projection
    assert await store.closed_order(event.order_id) == record  # what was stored
    request = SimpleNamespace(app={STORE: gated})
    shown = await _shown(request, reply, "alice", event.order_id)  # type: ignore[arg-type]
    # the closed order from the commit, with its order's terms (a read of orders, not of
    # closed_orders)
    assert shown == {**render.closed_order(record), "createdAt": NOW, "accountId": "1"}
    assert gated.closed_reads == 0
    await service.stop()
