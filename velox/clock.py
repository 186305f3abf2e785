"""The one clock Velox reads: engine time for ages and order, wall time for the outside world.

Two kinds of time, because the system's wall clock can be stepped (NTP, an operator, a VM
resumed from suspend) and a step must not reorder prices or make an old quote look fresh:

- ``now_ms()`` is *engine time*: anchored to the wall clock when the clock is made, then
  advanced by the monotonic clock. It never goes back, so it stamps ticks and commands and
  measures how old a price is: a step of the wall clock back does not move it. When the wall
  clock is found ahead of it (a step forward, or a machine resumed from suspend, which the
  monotonic clock does not count), it is anchored there again: else, after a night's
  suspend, every expiry and funding boundary (absolute times clients and SPEC give) came
  that much late for the rest of the process's life.
- ``wall_ms()`` is the system's wall clock as it is now, for absolute times that leave the
  process or come from outside it: JWT and cookie expiry, magic links, exchange timestamps.

Code takes a ``Clock`` and never calls ``time`` itself, so tests drive time with
``ManualClock``. ``SYSTEM_CLOCK`` is the process's one ``SystemClock``: every default points
at it, so parts built separately still agree on engine time.
"""

from __future__ import annotations

import time
from typing import Final, Protocol


class Clock(Protocol):
    """Engine time (monotonic, in ms since the epoch as of the anchor) and wall time."""

    def now_ms(self) -> int:
        """Engine time: never goes back; stamps ticks and commands, measures price age."""
        ...

    def wall_ms(self) -> int:
        """The system's wall clock, for absolute external times (expiry, links, exchanges)."""
        ...


class SystemClock:
    """The real clocks: engine time = the wall clock at the anchor + monotonic time since;
    anchored at construction, and again whenever the wall clock is ahead."""

    __slots__ = ("_anchor",)

    def __init__(self) -> None:
        # (wall ms, monotonic ns) as one tuple: replaced whole, never seen half-changed
        self._anchor = (time.time_ns() // 1_000_000, time.monotonic_ns())

    def now_ms(self) -> int:
        wall_at, mono_at = self._anchor
        # the wall clock read first: an anchor pairs it with a later monotonic reading, so
        # engine time is never ahead of the wall clock by the time between the two reads
        # (a thread preempted there put it 16 ms ahead: a message's event time after its
        # sending time)
        wall = time.time_ns() // 1_000_000
        mono = time.monotonic_ns()
        engine = wall_at + (mono - mono_at) // 1_000_000
        if wall > engine:  # stepped forward, or resumed from suspend: follow it
            self._anchor = (wall, mono)
            return wall
        return engine

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock for tests: time moves only when told to.

    ``advance``/``set`` move engine time forward (and the wall clock with it, as real time
    would); ``step_wall`` steps the wall clock, the way NTP does (engine time follows a step
    forward only).
    """

    __slots__ = ("_now_ms", "_wall_offset_ms")

    def __init__(self, start_ms: int = 1_736_812_800_000) -> None:
        self._now_ms = start_ms
        self._wall_offset_ms = 0

    def now_ms(self) -> int:
        return self._now_ms

    def wall_ms(self) -> int:
        return self._now_ms + self._wall_offset_ms

    def advance(self, ms: int) -> None:
        """Let ``ms`` milliseconds pass (engine and wall time alike)."""
        if ms < 0:
            raise ValueError("engine time never goes back; use step_wall for the wall clock")
        self._now_ms += ms

    def set(self, now_ms: int) -> None:
        """Move engine time forward to ``now_ms``."""
        self.advance(now_ms - self._now_ms)

    def step_wall(self, ms: int) -> None:
        """Step the wall clock by ``ms``, the way NTP does: back (negative), engine time
        unchanged; forward past engine time, engine time follows it (as ``SystemClock``)."""
        self._wall_offset_ms += ms
        if self._wall_offset_ms > 0:
            self._now_ms += self._wall_offset_ms
            self._wall_offset_ms = 0


SYSTEM_CLOCK: Final[SystemClock] = SystemClock()
