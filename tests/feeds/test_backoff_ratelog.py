"""Reconnect backoff bounds and the rate-limited log."""

from __future__ import annotations

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
