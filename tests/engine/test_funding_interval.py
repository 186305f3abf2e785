"""Which starts journal the funding interval (``FundingIntervalSet``): only funding going off
(interval 0) and coming back on. A platform that never turns funding off writes nothing new;
and only "back on after off" makes the boundaries before it owed by nobody."""

from __future__ import annotations

import pytest

from velox.engine.commands import RecordFundingInterval
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
