"""Chart history in the background: one supervised task fills what came before each cut.

The trade writer reports each symbol's cut (``on_session``) when a live session starts:
at start-up, after the feed reconnects, when the auto feed changes source. ``Backfill``
keeps the newest cut per symbol and fills them one at a time with the source named by the
cut's ``source``: ``RestHistory`` (Binance's REST klines) for ``binance``,
``SimulatedHistory`` for ``sim``; other feeds (replay, backpack) get no history. Nothing
waits for it: the app is READY and live candles flow while history arrives.

A source that cannot be reached (offline, banned) gives up its pass with one warning (at most
one per 10 minutes) and the cuts waiting for that source are dropped: their history comes at
the next session (a reconnect or a restart). A refused symbol is logged and skipped. Anything
else is a bug: the supervisor logs it and restarts the task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Protocol

from velox.clock import SYSTEM_CLOCK, Clock
from velox.feeds.ratelog import RateLimitedLog
from velox.market.history import LiveCut
from velox.store.records import CandleRecord
from velox.supervisor import Supervisor

log = logging.getLogger(__name__)

UNAVAILABLE_LOG_S = 600.0


class HistoryUnavailable(Exception):
    """The history source cannot be reached now: drop this pass, try at the next session."""


class HistoryRefused(Exception):
    """The history source refuses this symbol."""


class HistorySource(Protocol):
    async def fill(self, cut: LiveCut) -> None:
        """Write the history before ``cut``; raises HistoryUnavailable or HistoryRefused."""

    async def close(self) -> None:
        """Release what the source holds (an HTTP session)."""


class HistoryWriter(Protocol):
    """What sources write through: ``TradeWriter.put_history``."""

    async def put_history(self, cut: LiveCut, candles: Sequence[CandleRecord]) -> int: ...


class Backfill:
    """``Backfill({"binance": RestHistory(...), "sim": SimulatedHistory(...)})``."""

    def __init__(self, sources: Mapping[str, HistorySource], *, clock: Clock = SYSTEM_CLOCK):
        self.sources = dict(sources)
        self._waiting: dict[str, LiveCut] = {}  # symbol -> newest cut not yet filled
        self._wake = asyncio.Event()
        self._unavailable = RateLimitedLog(
            log, logging.WARNING, UNAVAILABLE_LOG_S, clock=lambda: clock.now_ms() / 1000
        )
        self.supervisor = Supervisor("history", self.run, clock=clock)
        self.filled = self.given_up = 0  # passes done / abandoned

    def on_session(self, cut: LiveCut) -> None:
        """The writer's ``on_session``: queue the cut (replacing an older one of the symbol)."""
        if cut.source in self.sources:
            self._waiting[cut.symbol] = cut
            self._wake.set()

    def start(self) -> None:
        self.supervisor.start()

    async def stop(self) -> None:
        await self.supervisor.stop()
        for source in self.sources.values():
            await source.close()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._waiting:
                symbol = next(iter(self._waiting))
                await self._fill(self._waiting.pop(symbol))

    async def _fill(self, cut: LiveCut) -> None:
        try:
            await self.sources[cut.source].fill(cut)
        except HistoryUnavailable as exc:
            self.given_up += 1
            dropped = [s for s, c in self._waiting.items() if c.source == cut.source]
            for symbol in dropped:
                del self._waiting[symbol]
            self.given_up += len(dropped)
            self._unavailable(
                "history: %s; charts show candles from live trades only until the feed "
                "reconnects or Velox restarts",
                exc,
            )
            return
        except HistoryRefused as exc:
            self.given_up += 1
            log.warning("history: %s; no history for it", exc)
            return
        self.filled += 1
        log.info("history: %s filled up to %d (%s)", cut.symbol, cut.time, cut.source)
