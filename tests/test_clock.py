"""Engine time is monotonic and anchored once; wall time follows the system clock."""

from __future__ import annotations

import time

import pytest

from velox.clock import ManualClock, SystemClock


def test_system_clock_engine_time_ignores_a_wall_clock_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = SystemClock()
    real_time_ns = time.time_ns
    before = clock.now_ms()
    assert abs(before - clock.wall_ms()) < 1_000  # anchored to the wall clock at start
    monkeypatch.setattr(time, "time_ns", lambda: real_time_ns() - 60_000_000_000)
    after = clock.now_ms()
    assert after >= before  # engine time does not go back with the wall clock
    assert before - clock.wall_ms() > 59_000  # the wall clock did


def test_system_clock_engine_time_follows_the_wall_clock_forward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A time review: after a +1 h step (or a night's suspend, which the monotonic clock
    does not count) engine time stayed an hour behind for the process's life, and every
    expiry and funding boundary came an hour late. It follows the wall clock forward, and
    still never goes back."""
    clock = SystemClock()
    real_time_ns = time.time_ns
    hour_ns = 3_600_000_000_000
    monkeypatch.setattr(time, "time_ns", lambda: real_time_ns() + hour_ns)
    ahead = clock.now_ms()
    assert abs(ahead - clock.wall_ms()) < 1_000
    monkeypatch.setattr(time, "time_ns", real_time_ns)  # and back
    assert clock.now_ms() >= ahead


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(1_000)
    assert (clock.now_ms(), clock.wall_ms()) == (1_000, 1_000)
    clock.advance(250)
    assert (clock.now_ms(), clock.wall_ms()) == (1_250, 1_250)
    clock.step_wall(-60_000)  # an NTP step back: engine time unchanged
    assert (clock.now_ms(), clock.wall_ms()) == (1_250, -58_750)
    clock.set(2_000)
    assert (clock.now_ms(), clock.wall_ms()) == (2_000, -58_000)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(1_999)
    assert clock.now_ms() == 2_000
    clock.step_wall(59_000)  # forward, still behind engine time: engine time unchanged
    assert (clock.now_ms(), clock.wall_ms()) == (2_000, 1_000)
    clock.step_wall(5_000)  # forward past it: engine time follows
    assert (clock.now_ms(), clock.wall_ms()) == (6_000, 6_000)


def test_system_clock_engine_time_is_never_ahead_of_the_wall_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A CI run at load 17: user-stream messages carried an event time (engine time) 16 ms
    after their own sending time (the wall clock). Following the wall clock forward, engine
    time had paired a wall reading with an earlier monotonic one, the thread preempted
    between the two reads. The wall clock is read first now."""
    true_ns = [1_800_000_000_000_000_000]
    preempt = [0]

    def wall_ns() -> int:
        true_ns[0] += preempt[0]  # the thread lost the CPU just before this read
        preempt[0] = 0
        return true_ns[0]

    monkeypatch.setattr(time, "time_ns", wall_ns)
    monkeypatch.setattr(time, "monotonic_ns", lambda: true_ns[0] - 10**18)
    clock = SystemClock()
    preempt[0] = 16_000_000
    clock.now_ms()  # the wall clock is found ahead: anchored again
    for _ in range(3):
        assert clock.now_ms() <= clock.wall_ms()
