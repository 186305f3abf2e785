"""Funding turned off for a while (``--funding-interval 0``), then back on: the boundaries of
the time it was off are owed by nobody (SPEC 12: funding is charged at each boundary of the
configured interval; with 0 there is none).

Before, nothing durable said funding had been off: restarted with it on, the walk went on
from the last boundary done and charged every boundary of the off period at once, at the
first fresh price. Here a LONG held through ten boundaries with funding off paid ten
charges the moment funding came back on.

Expected amounts are this file's own arithmetic: ``ref * qty * rate`` at rate 0.0001, paid
rounded up to the unit.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from math import ceil

from tests.cli.test_audit_v2 import audited
from velox import codec
from velox.engine.commands import ClockTick, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import Event, FundingCharged, FundingIntervalSet, PositionOpened
from velox.engine.settings import EngineSettings
from velox.journal import load_engine
from velox.money import SCALE
from velox.service import EngineService
from velox.store.base import Store

BTC = "BTCUSDT"
MINUTE = 60_000
ON = EngineSettings(funding_interval_ms=MINUTE)  # a boundary every minute
OFF = replace(ON, funding_interval_ms=0)
T0 = 1_700_000_000_000 // MINUTE * MINUTE + 10_000  # 10 s past a boundary


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


async def run(store: Store, settings: EngineSettings, clock: Clock) -> EngineService:
    service = EngineService(store, settings, clock=clock, snapshot_interval_s=3600)
    await service.start()
    return service


async def walk(service: EngineService, clock: Clock, at: int) -> list[FundingCharged]:
    """A fresh price and the clock at ``at``: the charges that made."""
    clock.now = at
    service.offer_tick(PriceTick(BTC, 100_000 * SCALE, at))
    events = (await service.submit(ClockTick(at))).events
    return [e for e in events if isinstance(e, FundingCharged)]


async def journal(store: Store) -> list[Event]:
    return [codec.decode_event(r.type, r.payload) async for r in store.read_journal(0)]


async def test_the_boundaries_of_a_time_with_funding_off_are_not_charged(
    store: Store, db_url: str
) -> None:
    clock = Clock()
    service = await run(store, ON, clock)
    assert (await service.submit(OpenAccount("alice", T0))).ok
    service.offer_tick(PriceTick(BTC, 100_000 * SCALE, T0))
    margin = 100 * SCALE
    opened = await service.submit(OpenPosition("alice", BTC, "LONG", 10, T0, margin=margin))
    assert opened.ok
    (event,) = opened.events
    assert isinstance(event, PositionOpened)
    qty = Fraction(event.qty, SCALE)
    one = ceil(Fraction(100_000) * qty * Fraction(1, 10_000) * SCALE)  # one boundary's charge
    first = T0 - 10_000 + MINUTE
    assert [c.boundary for c in await walk(service, clock, first + 1_000)] == [first]
    await service.stop()

    clock.now = first + 5_000  # off for ten boundaries
    service = await run(store, OFF, clock)
    for i in range(1, 11):
        assert await walk(service, clock, first + i * MINUTE + 1_000) == []
    await service.stop()

    back = first + 10 * MINUTE + 30_000  # on again, half a minute past a boundary
    clock.now = back
    service = await run(store, ON, clock)
    assert await walk(service, clock, back + 1_000) == []  # nothing of the time off
    charges = await walk(service, clock, first + 11 * MINUTE + 1_000)
    assert [(c.boundary, c.amount) for c in charges] == [(first + 11 * MINUTE, -one)]
    position = await service.read(lambda e: next(iter(e.positions.values())))
    assert position.margin == margin - 2 * one  # the boundaries before and after the time off
    markers = [e for e in await journal(store) if isinstance(e, FundingIntervalSet)]
    assert [(m.interval_ms, m.ts) for m in markers] == [(0, first + 5_000), (MINUTE, back)]
    state = await service.read(lambda e: e.export())
    await service.stop()

    # the journal's events alone rebuild the same state, and so do snapshot and journal
    replayed = Engine(ON)
    for journaled in await journal(store):
        replayed.apply(journaled)
    assert replayed.export() == state
    rebuilt, _ = await load_engine(store, ON)
    assert rebuilt.export() == state
    ok, summary = await audited(db_url, ON)
    assert ok, summary
    # restarted with funding on again: no new marker, and what was charged stays charged
    service = await run(store, ON, clock)
    assert await walk(service, clock, first + 11 * MINUTE + 2_000) == []
    assert len([e for e in await journal(store) if isinstance(e, FundingIntervalSet)]) == 2
    await service.stop()


async def test_a_first_start_with_funding_on_journals_no_marker(store: Store) -> None:
    """Only off and back on are recorded: a platform that never turns funding off writes
    nothing more than before (and a new non-zero interval is no marker either)."""
    clock = Clock()
    for settings in (ON, replace(ON, funding_interval_ms=2 * MINUTE)):
        service = await run(store, settings, clock)
        await service.stop()
    assert await journal(store) == []
