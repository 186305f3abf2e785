"""Which starts journal the funding interval (``FundingIntervalSet``): only funding going off
(interval 0) and coming back on. A platform that never turns funding off writes nothing new;
and only "back on after off" makes the boundaries before it owed by nobody."""

from __future__ import annotations

import pytest

from velox.engine.commands import ClockTick, RecordFundingInterval
from velox.engine.engine import Engine
from velox.engine.events import FundingIntervalSet
from velox.engine.settings import EngineSettings

H8 = 28_800_000
TS = 1_700_000_123_456


@pytest.mark.parametrize(
    ("on_record", "configured", "journaled"),
    [
        (None, H8, None),  # a first start with funding on: nothing to record
        (None, 0, 0),  # a first start with funding off
        (H8, 0, 0),  # turned off
        (0, H8, H8),  # back on
        (0, 0, None),  # still off
        (H8, 2 * H8, None),  # a new interval, still on: the walk catches up as before
    ],
)
def test_what_a_start_journals(
    on_record: int | None, configured: int, journaled: int | None
) -> None:
    engine = Engine(EngineSettings(funding_interval_ms=configured))
    engine.funding_interval_on_record = on_record
    outcome = engine.handle(RecordFundingInterval(TS))
    assert outcome.ok
    expected = () if journaled is None else (FundingIntervalSet(journaled, TS),)
    assert outcome.events == expected
    assert engine.funding_interval_on_record == (on_record if journaled is None else journaled)


def test_only_back_on_after_off_moves_the_first_boundary_owed() -> None:
    engine = Engine(EngineSettings(funding_interval_ms=H8))
    engine.apply(FundingIntervalSet(H8, TS))  # on, first recorded: owes as before
    assert engine.funding_resumed_at == 0
    engine.apply(FundingIntervalSet(0, TS + 1))
    engine.apply(FundingIntervalSet(H8, TS + H8 * 3))
    assert engine.funding_resumed_at == TS + H8 * 3
    assert engine.funding.done(engine, TS + H8 * 3) == (TS + H8 * 3) // H8 * H8
    restored = Engine.restore(engine.export(), EngineSettings(funding_interval_ms=H8))
    assert (restored.funding_interval_on_record, restored.funding_resumed_at) == (H8, TS + H8 * 3)


def test_funding_off_again_after_it_came_back_on_walks_nothing() -> None:
    """Off, on, off: the clock keeps turning with no interval and a resume on record (a
    division by the interval there would stop the engine at its first ClockTick)."""
    on = Engine(EngineSettings(funding_interval_ms=H8))
    on.apply(FundingIntervalSet(0, TS))
    on.apply(FundingIntervalSet(H8, TS + H8))
    off = Engine.restore(on.export(), EngineSettings(funding_interval_ms=0))
    assert off.handle(RecordFundingInterval(TS + 3 * H8)).events == (
        FundingIntervalSet(0, TS + 3 * H8),
    )
    for i in range(4, 7):
        assert off.handle(ClockTick(TS + i * H8)).events == ()
    assert off.funding_resumed_at == TS + H8  # kept for when it comes back on
