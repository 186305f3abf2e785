"""Reconnect backoff bounds and the rate-limited log."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from velox.feeds.backoff import Backoff
from velox.feeds.ratelog import RateLimitedLog


def test_backoff_doubles_with_jitter_in_the_upper_half_and_caps() -> None:
    backoff = Backoff(base_s=1.0, max_s=8.0, rng=random.Random(0))
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.attempts == 0 and backoff.next_delay() <= 1.0


def test_backoff_jitter_differs_between_clients() -> None:
    a = [Backoff(rng=random.Random(1)).next_delay() for _ in range(1)]
    b = [Backoff(rng=random.Random(2)).next_delay() for _ in range(1)]
    assert a != b


def test_rate_limited_log_reports_suppressed_count(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    ratelog = RateLimitedLog(logging.getLogger("t"), interval_s=10, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="t"):
        for t in (0.0, 1.0, 2.0, 9.9, 10.0, 10.5):
            now[0] = t
            ratelog("bad %d", 7)
    assert caplog.messages == ["bad 7", "bad 7 (and 3 more since last report)"]
    assert ratelog.total == 6


def _storm(ratelog: RateLimitedLog, count: int) -> None:
    for row in range(1, count + 1):
        ratelog("bad row %d", row)


def test_flush_says_the_count_held_back_with_the_latest_occurrence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """8 malformed rows and no 9th: the count is said when the owner flushes (it gave one
    line and never a count); a second flush has nothing to say."""
    ratelog = RateLimitedLog(logging.getLogger("t"), interval_s=10, clock=lambda: 0.0)
    with caplog.at_level(logging.WARNING, logger="t"):
        _storm(ratelog, 8)
        ratelog.flush()
        ratelog.flush()
    assert caplog.messages == ["bad row 1", "bad row 8 (and 6 more since last report)"]
    assert ratelog.total == 8


def test_flush_of_one_held_back_says_it_alone(caplog: pytest.LogCaptureFixture) -> None:
    ratelog = RateLimitedLog(logging.getLogger("t"), interval_s=10, clock=lambda: 0.0)
    with caplog.at_level(logging.WARNING, logger="t"):
        ratelog.flush()  # nothing yet
        _storm(ratelog, 2)
        ratelog.flush()
    assert caplog.messages == ["bad row 1", "bad row 2"]


async def _until_lines(caplog: pytest.LogCaptureFixture, count: int) -> None:
    async with asyncio.timeout(5):
        while len(caplog.messages) < count:
            await asyncio.sleep(0.005)


async def test_the_count_is_said_at_the_end_of_the_window_without_another_occurrence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """On an event loop the window's end says the count by itself; the window then starts
    again, so a new occurrence right after is held back until the next window's end."""
    ratelog = RateLimitedLog(logging.getLogger("t"), interval_s=0.2)
    with caplog.at_level(logging.WARNING, logger="t"):
        _storm(ratelog, 8)
        assert caplog.messages == ["bad row 1"]
        await _until_lines(caplog, 2)
        assert caplog.messages == ["bad row 1", "bad row 8 (and 6 more since last report)"]
        ratelog("bad row %d", 9)
        assert len(caplog.messages) == 2
        await _until_lines(caplog, 3)
    assert caplog.messages[2:] == ["bad row 9"]
