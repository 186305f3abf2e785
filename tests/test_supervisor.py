"""Supervisor: a part that fails or ends is restarted with backoff; its status says so."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.feeds.helpers import wait_until
from velox.clock import ManualClock
from velox.feeds.backoff import Backoff
from velox.supervisor import PartStatus, Supervisor

FAST = Backoff(base_s=0.001, max_s=0.002)
NEVER = Backoff(base_s=3600, max_s=3600)  # the restart never comes within a test


class Part:
    """Fails the first ``failures`` runs, then runs until cancelled."""

    def __init__(self, failures: int, returns: bool = False) -> None:
        self.failures = failures
        self.returns = returns
        self.runs = 0

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            if self.returns:
                return
            raise RuntimeError(f"failure {self.runs}")
        await asyncio.Event().wait()


async def test_a_failing_part_is_restarted_and_comes_back_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, part = ManualClock(), Part(failures=2)
    sup = Supervisor("feed", part.run, clock=clock, backoff=FAST, healthy_after_ms=5_000)
    sup.start()
    try:
        await wait_until(lambda: part.runs == 3)
        clock.advance(4_999)
        assert sup.status() == PartStatus("feed", "recovering", 4_999, 2, "RuntimeError")
        clock.advance(1)
        assert sup.status() == PartStatus("feed", "up", 0, 2, "RuntimeError")
        assert sup.backoff.attempts == 0  # reset once the part proved itself
    finally:
        await sup.stop()
    failures = [r for r in caplog.records if r.name == "velox.supervisor"]
    assert [r.levelno for r in failures] == [logging.ERROR] * 2
    assert all(r.exc_info is not None for r in failures)  # with the traceback
    assert "feed stopped (RuntimeError('failure 1')); restarting in" in failures[0].getMessage()


async def test_a_part_that_ends_is_restarted() -> None:
    part = Part(failures=1, returns=True)
    sup = Supervisor("writer", part.run, clock=ManualClock(), backoff=FAST)
    sup.start()
    try:
        await wait_until(lambda: part.runs == 2)
        assert sup.status().error == "ended"
    finally:
        await sup.stop()


async def test_down_time_counts_from_the_first_failure_of_a_crash_loop() -> None:
    clock, part = ManualClock(), Part(failures=1)
    sup = Supervisor("feed", part.run, clock=clock, backoff=NEVER)
    assert sup.status().state == "up"
    sup.start()
    try:
        await wait_until(lambda: sup.status().state == "down")
        clock.advance(12_000)
        assert sup.status() == PartStatus("feed", "down", 12_000, 0, "RuntimeError")
    finally:
        await sup.stop()


async def test_a_part_failing_before_it_proved_itself_stays_down() -> None:
    clock = ManualClock()
    runs = 0

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        clock.advance(1_000)  # each run lasts 1 s, less than healthy_after_ms
        raise RuntimeError("again")

    sup = Supervisor("feed", flaky, clock=clock, backoff=FAST, healthy_after_ms=5_000)
    sup.start()
    try:
        await wait_until(lambda: runs >= 8)
        status = sup.status()
        assert status.state in ("down", "recovering") and status.down_ms >= 7_000
    finally:
        await sup.stop()


async def test_stop_cancels_the_part() -> None:
    cancelled = asyncio.Event()

    async def run() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    sup = Supervisor("feed", run)
    sup.start()
    await asyncio.sleep(0)
    await sup.stop()
    assert cancelled.is_set() and sup.status().state == "up"
