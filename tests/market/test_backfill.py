"""Backfill: one pass per symbol's newest cut, by source; quiet when a source is unreachable."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from tests.feeds.helpers import wait_until
from velox.clock import ManualClock
from velox.feeds.backoff import Backoff
from velox.market.backfill import Backfill, HistoryRefused, HistoryUnavailable
from velox.market.history import LiveCut


class Source:
    """Records the cuts it fills; ``gate`` holds a fill; ``errors`` are raised in turn."""

    def __init__(self) -> None:
        self.filled: list[LiveCut] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.errors: list[Exception] = []
        self.closed = False

    async def fill(self, cut: LiveCut) -> None:
        self.filled.append(cut)
        await self.gate.wait()
        if self.errors:
            raise self.errors.pop(0)

    async def close(self) -> None:
        self.closed = True


def cut(symbol: str, time: int, source: str = "binance") -> LiveCut:
    return LiveCut(symbol, source, time, 100)


@pytest.fixture
def rest() -> Source:
    return Source()


@pytest.fixture
def sim() -> Source:
    return Source()


@pytest.fixture
async def backfill(rest: Source, sim: Source) -> AsyncIterator[Backfill]:
    b = Backfill({"binance": rest, "sim": sim}, clock=ManualClock())
    b.supervisor.backoff = Backoff(base_s=0.001, max_s=0.002)
    b.start()
    yield b
    await b.stop()


async def test_only_the_newest_cut_of_a_symbol_is_filled_by_its_source(
    backfill: Backfill, rest: Source, sim: Source
) -> None:
    rest.gate.clear()
    backfill.on_session(cut("BTCUSDT", 1000))
    await wait_until(lambda: len(rest.filled) == 1)
    for c in (cut("BTCUSDT", 2000), cut("ETHUSDT", 2000), cut("BTCUSDT", 3000),
              cut("SOLUSDT", 3000, "sim"), cut("BTCUSDT", 4000, "replay")):  # fmt: skip
        backfill.on_session(c)
    rest.gate.set()
    await wait_until(lambda: backfill.filled == 4)
    assert rest.filled == [cut("BTCUSDT", 1000), cut("BTCUSDT", 3000), cut("ETHUSDT", 2000)]
    assert sim.filled == [cut("SOLUSDT", 3000, "sim")]


async def test_an_unreachable_source_gives_up_its_waiting_cuts_with_one_warning(
    backfill: Backfill, rest: Source, sim: Source, caplog: pytest.LogCaptureFixture
) -> None:
    rest.gate.clear()
    rest.errors = [HistoryUnavailable("offline"), HistoryUnavailable("still offline")]
    backfill.on_session(cut("BTCUSDT", 1000))
    await wait_until(lambda: len(rest.filled) == 1)
    backfill.on_session(cut("ETHUSDT", 1000))  # the same burst: dropped with it
    backfill.on_session(cut("SOLUSDT", 1000, "sim"))  # another source: filled
    rest.gate.set()
    await wait_until(lambda: backfill.filled == 1 and backfill.given_up == 2)
    backfill.on_session(cut("ETHUSDT", 5000))  # a later session tries again
    await wait_until(lambda: backfill.given_up == 3)
    backfill.on_session(cut("ETHUSDT", 9000))
    await wait_until(lambda: backfill.filled == 2)
    assert rest.filled == [cut("BTCUSDT", 1000), cut("ETHUSDT", 5000), cut("ETHUSDT", 9000)]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "history: offline; charts show candles from live trades only until the feed "
        "reconnects or Velox restarts"
    ]


async def test_a_refused_symbol_is_skipped_and_the_others_filled(
    backfill: Backfill, rest: Source, caplog: pytest.LogCaptureFixture
) -> None:
    rest.errors = [HistoryRefused("Binance klines for XYZUSDT: HTTP 400 Invalid symbol.")]
    backfill.on_session(cut("XYZUSDT", 1000))
    await wait_until(lambda: backfill.given_up == 1)
    backfill.on_session(cut("BTCUSDT", 1000))
    await wait_until(lambda: backfill.filled == 1)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "history: Binance klines for XYZUSDT: HTTP 400 Invalid symbol.; no history for it"
    ]


async def test_a_bug_restarts_the_task_and_later_cuts_are_still_filled(
    backfill: Backfill, rest: Source
) -> None:
    rest.errors = [RuntimeError("bug")]
    backfill.on_session(cut("BTCUSDT", 1000))
    await wait_until(lambda: backfill.supervisor.restarts == 1)
    backfill.on_session(cut("ETHUSDT", 1000))
    await wait_until(lambda: backfill.filled == 1)
    assert backfill.supervisor.status().error == "RuntimeError"


async def test_stop_closes_the_sources(rest: Source, sim: Source) -> None:
    b = Backfill({"binance": rest, "sim": sim})
    b.start()
    await b.stop()
    assert rest.closed and sim.closed
