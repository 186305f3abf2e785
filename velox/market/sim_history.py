"""The simulated feed's chart history: written once, where the store has none.

When a ``sim`` session starts (``--feed sim``, or ``auto`` falling back to the simulator),
every duration of the symbol whose store holds no candle before the session's boundary gets
``count`` candles of seeded history (``velox.feeds.sim_history``) ending at the cut, with the
boundary's prefix joined to the live trades like an exchange's history. Then a meta key
records that the symbol's simulated history is written, so it is never written again: a
restart continues the chart it left (with a gap for the time Velox was down) instead of
inventing a new past, and real candles (from an earlier Binance session) are never
overwritten by invented ones. The candles it writes are marked as invented
(``velox.market.invented``) before they are written, so a Binance session replaces them.

The same seed, symbol, cut and first price give the same candles; generating them takes a
fraction of a second of CPU, so it runs in a thread, away from the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from velox.feeds.sim_history import history_path
from velox.market.candles import DURATIONS_MS
from velox.market.history import LiveCut, boundary, fold
from velox.market.invented import MarkingWriter
from velox.store.base import Store
from velox.store.records import CandleRecord

POINTS_PER_CANDLE = 5  # every step length divides its duration: 200 ms for 1s candles


def meta_key(symbol: str) -> str:
    return f"sim_history:{symbol}"


def simulated_candles(
    cut: LiveCut, seed: int, durations: Sequence[str], count: int, ticks_per_second: float = 5.0
) -> list[CandleRecord]:
    """``count`` candles of each duration before its boundary, and the boundary's prefix."""
    ordered = sorted(durations, key=DURATIONS_MS.__getitem__)
    starts = {d: boundary(cut.time, d) - count * DURATIONS_MS[d] for d in ordered}
    segments = [(starts[d], DURATIONS_MS[d] // POINTS_PER_CANDLE) for d in ordered]
    path = history_path(cut.symbol, seed, cut.time, cut.price, segments, ticks_per_second)
    points = [CandleRecord(cut.symbol, "1s", t, p, p, p, p, q) for t, p, q in path]
    candles = []
    for d in ordered:
        candles += fold((pt for pt in points if pt.time >= starts[d]), d)
    return candles


class SimulatedHistory:
    """The ``sim`` source of ``Backfill``."""

    def __init__(
        self,
        store: Store,
        writer: MarkingWriter,
        *,
        seed: int,
        ticks_per_second: float = 5.0,
        durations: Sequence[str] = tuple(DURATIONS_MS),
        count: int = 1000,
    ) -> None:
        self.store = store
        self.writer = writer
        self.seed = seed
        self.ticks_per_second = ticks_per_second
        self.durations = tuple(durations)
        self.count = count

    async def close(self) -> None:
        return None  # holds nothing

    async def fill(self, cut: LiveCut) -> None:
        if await self.store.get_meta(meta_key(cut.symbol)) is not None:
            return
        empty = []
        for d in self.durations:
            before = boundary(cut.time, d) - 1
            if not await self.store.candles(cut.symbol, d, None, before, 1):
                empty.append(d)
        if empty:
            spans = {
                d: (boundary(cut.time, d) - self.count * DURATIONS_MS[d], boundary(cut.time, d))
                for d in empty
            }  # the history and its boundary's prefix
            await self.writer.mark_invented(cut.symbol, spans)  # invented: replaced by real
            candles = await asyncio.to_thread(
                simulated_candles, cut, self.seed, empty, self.count, self.ticks_per_second
            )
            for d in empty:
                await self.writer.put_history(cut, [c for c in candles if c.duration == d])
        await self.store.set_meta(meta_key(cut.symbol), str(cut.time))
