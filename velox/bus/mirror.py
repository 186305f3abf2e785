"""A gateway's read copy of the engine state, kept in step by the engine's committed batches.

Loaded at start from the store (newest snapshot plus the journal after it), then every batch
from the bus is applied in sequence order with ``Engine.apply``, the same fold as replay. A
batch whose first sequence is past the next one expected means batches were missed (NATS
restarted, the gateway was slow): the missing events are read from the journal, which the
engine wrote before publishing, so nothing is skipped; if the journal was pruned past them,
the whole state is reloaded. The engine's heartbeat names its last sequence, so a gap with
no later batch to reveal it is noticed within two heartbeats.

All of this runs in one task (``run``), in arrival order: the engine object readers see
changes only between batches, as in the single process. Waiters (``wait_for``) are woken
once the mirror holds a sequence.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import Any

from velox.bus import wire
from velox.engine.engine import Engine
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.journal import event_of, load_engine
from velox.service import Published
from velox.store.base import Store

log = logging.getLogger(__name__)
Listener = Callable[[Published], None]
CATCH_UP = object()
RELOAD = object()  # the batches applied may be another engine's (``sightings``): start afresh


class Mirror:
    def __init__(self, store: Store, settings: EngineSettings) -> None:
        self.store = store
        self.settings = settings
        self.engine = Engine(settings)
        self.seq = 0
        self.loaded = False
        self.reloads = 0  # full reloads after a gap the journal could not fill
        self.catch_ups = 0  # gaps filled from the journal
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._listeners: list[Listener] = []
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._behind: int | None = None  # engine seq a heartbeat named while we were behind

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def load(self) -> None:
        quotes = self.engine.quotes  # prices are not durable: keep the latest
        self.engine, self.seq = await load_engine(self.store, self.settings)
        self.engine.quotes = quotes
        self.loaded = True
        self._wake()

    async def run(self) -> None:
        """Apply what arrives, in order, forever (the gateway's mirror task)."""
        while True:
            item = await self.inbox.get()
            try:
                if isinstance(item, wire.Batch):
                    await self._apply(item)
                elif isinstance(item, wire.Status):
                    await self._on_status(item)
                elif item is CATCH_UP:
                    await self.catch_up()
                elif item is RELOAD:
                    await self.load()
            except Exception:  # a store hiccup: the next batch or heartbeat retries
                log.exception("mirror: cannot apply; will catch up from the store")

    async def wait_for(self, seq: int) -> None:
        """Return once the mirror holds ``seq`` (cancel it to stop waiting)."""
        if self.seq >= seq:
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (seq, next(self._order), future))
        await future

    # -- applying ------------------------------------------------------------------------
    async def _apply(self, batch: wire.Batch) -> None:
        events: list[tuple[int, Event]] = []
        if batch.events:
            if batch.first > self.seq + 1:
                events.extend(await self._fill())
            events.extend(self._fold((s, e) for s, e in batch.events if s > self.seq))
        for asset, quote in batch.quotes:
            last = self.engine.quotes.get(asset)
            if last is None or quote.ts >= last.ts:
                self.engine.quotes[asset] = quote
        self._tell(tuple(events), batch.quotes)

    def _fold(self, numbered: Any) -> list[tuple[int, Event]]:
        applied = []
        for seq, event in numbered:
            self.engine.apply(event)
            self.seq = seq
            applied.append((seq, event))
        return applied

    async def catch_up(self) -> None:
        """Read what the journal holds past our sequence (a missed batch, or a lost one)."""
        events = await self._fill()
        if events:
            self._tell(tuple(events), ())

    async def _fill(self) -> list[tuple[int, Event]]:
        records = [r async for r in self.store.read_journal(self.seq)]
        if records and records[0].seq != self.seq + 1:  # pruned past us: start afresh
            log.warning("mirror: journal pruned past seq %d; reloading the state", self.seq)
            self.reloads += 1
            await self.load()
            return []
        if records:
            self.catch_ups += 1
            log.info("mirror: caught up seq %d..%d from the journal", self.seq + 1, records[-1].seq)
        return self._fold((r.seq, event_of(r)) for r in records)

    async def _on_status(self, status: wire.Status) -> None:
        if not self.loaded:  # a RELOAD that failed (the store away): try again
            await self.load()
            return
        if status.seq <= self.seq:
            self._behind = None
        elif self._behind is not None and self._behind <= status.seq and self.seq < self._behind:
            self._behind = None  # still short of what a heartbeat ago was committed
            await self.catch_up()
        else:
            self._behind = status.seq

    def _tell(self, events: tuple[tuple[int, Event], ...], quotes: Any) -> None:
        self._wake()
        if not events and not quotes:
            return
        published = Published.of(events, tuple(quotes))  # closed orders as the journal maps them
        for listener in self._listeners:
            try:
                listener(published)
            except Exception:
                log.exception("mirror listener failed")

    def _wake(self) -> None:
        while self._waiters and self._waiters[0][0] <= self.seq:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)
