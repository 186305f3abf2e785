"""The service's clock command (SPEC 12): time-driven work comes into the pure engine as a
``ClockTick`` every second, so expiry and funding are journaled events like any other.

A tick does at most ``budget`` effects (a funding boundary over 100k positions is applied
in steps, between which HTTP orders get their turn in the queue); while the engine answers
``more``, the next tick for the same instant is sent at once.

It takes the service's ``submit`` and clock rather than the service, so that this module and
``velox.service`` (which starts it) do not import each other.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from velox.engine.commands import ClockTick
from velox.engine.engine import Outcome

log = logging.getLogger(__name__)

CLOCK_INTERVAL_S = 1.0
Submit = Callable[[ClockTick], Awaitable[Outcome]]


async def drain(submit: Submit, ts: int, budget: int | None = None) -> int:
    """Send ClockTicks for ``ts`` until the engine has nothing left for it; how many.
    ``budget``: effects per tick (None: the engine's default step)."""
    sent = 0
    while True:
        outcome = await submit(ClockTick(ts) if budget is None else ClockTick(ts, budget))
        sent += 1
        if not outcome.more:
            return sent


async def run_clock(
    submit: Submit,
    now: Callable[[], int],
    not_ready: type[Exception],
    interval_s: float = CLOCK_INTERVAL_S,
) -> None:
    """Forever: every ``interval_s``, drain the clock work due at ``now()``.

    ``not_ready`` (start-up, recovery, shutdown) just waits for the next second: the work
    stays due, and the next tick does it.
    """
    while True:
        try:
            await drain(submit, now())
        except not_ready:
            pass
        except Exception:  # never let the clock die: expiry and funding depend on it
            log.exception("clock tick failed")
        await asyncio.sleep(interval_s)
