"""A position open at a funding boundary pays it, whatever acts on it before the clock's walk
reaches it (SPEC 12: "each position open at that instant exchanges ref * qty * rate"), and a
platform down over its first boundaries charges every one of them when it is back.

Before, the walk charged the positions open when the ClockTick ran: a close 200 ms after
the boundary paid nothing, a scale-in in that window paid on its new size, and with 100k
positions (budget 500 a step) the window lasts minutes.

Expected amounts are this file's own arithmetic: ``ref * qty * rate`` with the default rate
0.0001, paid rounded up to the unit; ETH at ref 2000 quotes bid 1999, ask 2001.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from math import ceil, floor

from tests.engine.test_orders_v2 import ETH, T0, engine_at, netting, ok, order
from velox.engine.commands import ClockTick, ClosePosition, ModifyPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import (
    FundingCharged,
    FundingCompleted,
    PositionClosed,
    PositionIncreased,
    PositionPartiallyClosed,
)
from velox.engine.settings import EngineSettings
from velox.money import units

U = 10**8
H8 = 28_800_000
B = (T0 // H8 + 1) * H8  # the first boundary after T0
RATE = Fraction(1, 10_000)
Q0 = Fraction(floor(Fraction(300 * 10) / 2001 * U), U)  # 1.49925037 ETH


def paid(ref: str, qty: Fraction = Q0) -> int:
    return ceil(Fraction(ref) * qty * RATE * U)


def _long_before_the_boundary(
    engine: Engine | None = None, account: str | None = None
) -> tuple[Engine, str]:
    engine = engine or engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), B - 5000))
    assert ok(engine, ClockTick(B - 5000)) == ()  # the boundary before T0 owed nobody
    kw = {} if account is None else {"account_id": account}
    (opened,) = ok(engine, order(asset=ETH, margin=units("300"), ts=B - 4000, **kw))
    assert opened.qty == Q0 * U
    return engine, opened.order_id


def test_a_close_after_the_boundary_pays_it_before_the_clock_comes_round() -> None:
    engine, pid = _long_before_the_boundary()
    engine.on_tick(PriceTick(ETH, units("2000"), B + 100))
    charge, closed = ok(engine, ClosePosition("alice", pid, B + 200))
    assert isinstance(charge, FundingCharged) and isinstance(closed, PositionClosed)
    assert (charge.order_id, charge.boundary, charge.amount) == (pid, B, -paid("2000"))
    margin = 300 * U - paid("2000")
    pnl = floor((1999 - 2001) * Q0 * U)
    assert closed.settlement == margin + pnl  # the close settles the margin left
    assert ok(engine, ClockTick(B + 1000)) == ()  # the walk owes nothing more
    balance = engine.account_of("alice", None).balance  # type: ignore[union-attr]
    assert balance == 1000 * U - 300 * U + margin + pnl


def test_a_scale_in_after_the_boundary_pays_on_the_size_held_at_the_boundary() -> None:
    engine = engine_at()
    acc = netting(engine)
    engine, _ = _long_before_the_boundary(engine, acc)
    engine.on_tick(PriceTick(ETH, units("2000"), B + 100))
    charge, increased = ok(
        engine, order(asset=ETH, margin=units("100"), ts=B + 200, account_id=acc)
    )
    assert isinstance(charge, FundingCharged) and isinstance(increased, PositionIncreased)
    assert charge.amount == -paid("2000")  # on 1.49925037 ETH, not on the scaled size
    assert increased.new_margin == 400 * U - paid("2000")
    (completed,) = ok(engine, ClockTick(B + 1000))  # the walk finds it paid: charged once
    assert isinstance(completed, FundingCompleted) and completed.boundary == B


def test_a_stop_fired_after_the_boundary_pays_it_first() -> None:
    engine, pid = _long_before_the_boundary()
    assert ok(engine, ModifyPosition("alice", pid, B - 3000, stop_loss=units("1990")))
    # ref 1980: bid 1979.01, through the stop; the charge takes the ref in effect at the
    # boundary (2000, ticked 5 s before it), not the tick's
    events = engine.on_tick(PriceTick(ETH, units("1980"), B + 100))
    charge, closed = events
    assert isinstance(charge, FundingCharged) and charge.amount == -paid("2000")
    assert charge.ref == units("2000")
    assert isinstance(closed, PositionClosed) and closed.reason == "STOP_LOSS"
    pnl = floor((Fraction("1979.01") - 2001) * Q0 * U)
    assert closed.settlement == 300 * U - paid("2000") + pnl


def test_a_resting_order_that_reduces_after_the_boundary_charges_the_position_first() -> None:
    engine = engine_at()
    acc = netting(engine)
    engine, _ = _long_before_the_boundary(engine, acc)
    limit = order(
        asset=ETH, side="SHORT", order_type="LIMIT", price=units("2100"), qty=units("0.5"),
        margin=None, account_id=acc, ts=B - 3000,
    )  # fmt: skip
    ok(engine, limit)
    events = engine.on_tick(PriceTick(ETH, units("2102"), B + 100))  # bid 2100.949
    charge, part = events
    assert isinstance(charge, FundingCharged) and charge.amount == -paid("2000")
    assert isinstance(part, PositionPartiallyClosed)
    margin = 300 * U - paid("2000")
    assert part.part_margin == floor(margin * Fraction("0.5") / Q0)


def test_a_refused_command_charges_nothing_and_the_walk_charges_later() -> None:
    engine, pid = _long_before_the_boundary()
    engine.on_tick(PriceTick(ETH, units("2000"), B + 100))
    out = engine.handle(ClosePosition("alice", pid, B + 200, percent=100))
    assert out.refusal is not None and out.refusal.code == Code.VALIDATION_ERROR
    assert out.events == ()
    (charge, completed) = ok(engine, ClockTick(B + 1000))
    assert isinstance(charge, FundingCharged) and charge.amount == -paid("2000")
    assert isinstance(completed, FundingCompleted)


def test_boundaries_missed_before_any_was_recorded_are_all_charged_after_a_restart() -> None:
    settings = EngineSettings()
    engine, pid = _long_before_the_boundary()
    data = engine.export()
    assert data["funded_boundary"] == 0  # nothing was ever charged
    # down over B and B + 8 h; back 5 minutes after B + 8 h
    restored = Engine.restore(data, settings)
    now = B + H8 + 300_000
    restored.on_tick(PriceTick(ETH, units("2000"), now))
    boundaries = []
    for i in range(5):
        events = restored.handle(ClockTick(now + i)).events
        boundaries += [e.boundary for e in events if isinstance(e, FundingCharged)]
    assert boundaries == [B, B + H8]
    assert all(type(b) is int for b in boundaries)  # whole ms: a trader's fundingTime
    second = ceil(Fraction(2000) * Q0 * RATE * U)
    assert restored.positions[pid].margin == 300 * U - paid("2000") - second


def test_every_charge_of_a_boundary_takes_the_ref_in_effect_at_its_instant() -> None:
    """The walk may end minutes after the boundary: the price moved meanwhile, but every
    position pays on the ref of the boundary's instant (the last tick before it)."""
    engine, _ = _long_before_the_boundary()
    engine.on_tick(PriceTick(ETH, units("2100"), B + 100))
    engine.on_tick(PriceTick(ETH, units("2200"), B + 500))
    charge, _ = ok(engine, ClockTick(B + 1000))
    assert isinstance(charge, FundingCharged)
    assert (charge.ref, charge.amount) == (units("2000"), -paid("2000"))


def test_a_ref_stale_at_the_boundary_gives_way_to_the_first_fresh_price() -> None:
    engine = engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), B - 20_000))  # 20 s old at B: stale
    (opened,) = ok(engine, order(asset=ETH, margin=units("300"), ts=B - 15_000))
    engine.on_tick(PriceTick(ETH, units("2100"), B + 100))
    charge, _ = ok(engine, ClockTick(B + 1000))
    assert isinstance(charge, FundingCharged) and charge.order_id == opened.order_id
    assert (charge.ref, charge.amount) == (units("2100"), -paid("2100"))


def test_a_new_interval_after_a_restart_charges_on_its_own_epoch_grid() -> None:
    """A restart with another --funding-interval went on from the last boundary done plus
    the new interval: 20 s boundaries, then 30 s, charged at 10 s past the 30 s grid for
    good. The next boundary is the new grid's first after the last one done."""
    engine = engine_at(funding_interval_ms=20_000)
    engine.on_tick(PriceTick(ETH, units("2000"), B - 5000))
    ok(engine, order(asset=ETH, margin=units("300"), ts=B - 4000))
    for at in (B, B + 20_000, B + 40_000):
        engine.on_tick(PriceTick(ETH, units("2000"), at + 1))
        ok(engine, ClockTick(at + 1))
    assert engine.funded_boundary == B + 40_000  # 10 s past the 30 s grid
    restored = Engine.restore(engine.export(), EngineSettings(funding_interval_ms=30_000))
    now = B + 100_000
    restored.on_tick(PriceTick(ETH, units("2000"), now))
    events = restored.handle(ClockTick(now)).events
    charged = [e.boundary for e in events if isinstance(e, FundingCharged)]
    assert charged == [B + 60_000, B + 90_000]  # were B + 70 s and B + 100 s


def _three_longs(first_ref_at: int) -> tuple[Engine, list[str]]:
    """Three ETH LONGs (two users) 5 s after the last tick before B, at ``first_ref_at``."""
    engine = engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), first_ref_at))
    ids = []
    for user in ("alice", "alice", "bob"):
        at = first_ref_at + 5000
        (opened,) = ok(engine, order(user_id=user, asset=ETH, margin=units("300"), ts=at))
        ids.append(opened.order_id)
    return engine, ids


def _refs(events: Iterable[object]) -> list[int]:
    return [e.ref for e in events if isinstance(e, FundingCharged)]


def test_a_walk_resumed_after_a_restart_goes_on_at_the_boundarys_ref() -> None:
    """The quote of the boundary's instant is kept in memory; the walk's first charge is
    durable, and the rest of the boundary is charged at its ref after a restart."""
    engine, _ = _three_longs(B - 5000)
    engine.on_tick(PriceTick(ETH, units("2100"), B + 100))
    first = engine.handle(ClockTick(B + 1000, budget=1)).events
    assert _refs(first) == [units("2000")]  # the ref in effect at B
    restored = Engine.restore(engine.export(), engine.settings)
    restored.on_tick(PriceTick(ETH, units("2200"), B + 2000))
    rest = restored.handle(ClockTick(B + 3000)).events
    assert _refs(rest) == [units("2000")] * 2  # were 2200: the first fresh price here
    assert any(isinstance(e, FundingCompleted) for e in rest)


def test_a_boundary_stale_at_its_instant_is_charged_at_the_first_fresh_price_throughout() -> None:
    """SPEC 12: a stale quote gives way to the first fresh price, for every charge of the
    boundary, however the price moves while the walk goes on."""
    engine, _ = _three_longs(B - 20_000)  # 20 s old at B: stale
    engine.on_tick(PriceTick(ETH, units("2100"), B + 100))
    assert _refs(engine.handle(ClockTick(B + 1000, budget=1)).events) == [units("2100")]
    engine.on_tick(PriceTick(ETH, units("2200"), B + 2000))
    assert _refs(engine.handle(ClockTick(B + 3000)).events) == [units("2100")] * 2


def test_a_charge_names_its_account_user_rate_and_time() -> None:
    """Every field of the charge, which becomes the ``funding`` row a trader reads (rate
    included) and the journal's record of it."""
    engine, pid = _long_before_the_boundary()
    engine.on_tick(PriceTick(ETH, units("2000"), B + 100))
    (charge,) = [e for e in ok(engine, ClockTick(B + 1000)) if isinstance(e, FundingCharged)]
    assert charge == FundingCharged(
        order_id=pid,
        account_id="1",  # alice's first account
        user_id="alice",
        asset=ETH,
        boundary=B,
        ref=units("2000"),
        rate=10_000,  # 0.0001
        amount=-paid("2000"),
        margin=300 * U - paid("2000"),
        liquidation_price=engine.positions[pid].liquidation_price,
        ts=B + 1000,
    )


def test_boundaries_stay_on_the_whole_millisecond_grid_after_an_idle_one() -> None:
    """A boundary that owed nobody is remembered, and the next one is the grid's next, a
    whole number of milliseconds (it is the ``fundingTime`` a trader reads)."""
    engine = engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), B + 5000))
    assert ok(engine, ClockTick(B + 5000)) == ()  # B owed nobody
    ok(engine, order(asset=ETH, margin=units("300"), ts=B + 6000))
    engine.on_tick(PriceTick(ETH, units("2000"), B + H8 + 100))
    (charge,) = [e for e in ok(engine, ClockTick(B + H8 + 1000)) if isinstance(e, FundingCharged)]
    assert charge.boundary == B + H8 and type(charge.boundary) is int


def _charged_ref(*ticks: tuple[str, int], walk_at: int) -> int:
    """One ETH LONG opened 5 s after the first tick; the ref its charge of B took."""
    engine = engine_at()
    (first, at), *later = ticks
    engine.on_tick(PriceTick(ETH, units(first), at))
    ok(engine, order(asset=ETH, margin=units("300"), ts=at + 5000))
    for price, ts in later:
        engine.on_tick(PriceTick(ETH, units(price), ts))
    (charge,) = [e for e in ok(engine, ClockTick(walk_at)) if isinstance(e, FundingCharged)]
    return charge.ref


def test_the_ref_in_effect_at_the_instant_is_the_last_tick_at_or_before_it() -> None:
    """A tick at exactly the boundary's millisecond is in effect at it; one exactly
    max-price-age (10 s) old there is still fresh (as a quote is fresh at that age)."""
    at_b = _charged_ref(("2000", B - 8000), ("2100", B), ("2200", B + 100), walk_at=B + 1000)
    assert at_b == units("2100")  # not the later 2200
    alone = _charged_ref(("2000", B - 8000), ("2100", B), walk_at=B + 500)
    assert alone == units("2100")  # not the earlier 2000
    aged = _charged_ref(("2000", B - 10_000), ("2200", B + 100), walk_at=B + 1000)
    assert aged == units("2000")  # not the first fresh price after it


def test_a_close_at_the_boundarys_very_millisecond_pays_it_first() -> None:
    engine, pid = _long_before_the_boundary()
    engine.on_tick(PriceTick(ETH, units("2000"), B))
    charge, closed = ok(engine, ClosePosition("alice", pid, B))
    assert isinstance(charge, FundingCharged) and isinstance(closed, PositionClosed)
    assert (charge.boundary, charge.amount, charge.ts) == (B, -paid("2000"), B)


def test_a_close_charges_a_boundary_stale_at_its_instant_at_the_first_fresh_price() -> None:
    """The settle path (an act before the walk) with no quote kept for the instant: the
    first fresh price, and the charge carries the act's time."""
    engine = engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), B - 20_000))  # 20 s old at B: stale
    (opened,) = ok(engine, order(asset=ETH, margin=units("300"), ts=B - 15_000))
    engine.on_tick(PriceTick(ETH, units("2100"), B + 100))
    charge, _ = ok(engine, ClosePosition("alice", opened.order_id, B + 200))
    assert isinstance(charge, FundingCharged)
    assert (charge.ref, charge.amount, charge.ts) == (units("2100"), -paid("2100"), B + 200)


def test_a_first_walk_with_positions_that_owe_nothing_yet_stays_on_the_grid() -> None:
    """No boundary on record, and the only position opened after the last boundary: the
    walk remembers the current boundary as done, and the next one is a whole millisecond."""
    engine = engine_at()
    engine.on_tick(PriceTick(ETH, units("2000"), B + 5000))
    ok(engine, order(asset=ETH, margin=units("300"), ts=B + 6000))
    assert ok(engine, ClockTick(B + 7000)) == ()  # it was not open at B
    engine.on_tick(PriceTick(ETH, units("2000"), B + H8 + 100))
    (charge,) = [e for e in ok(engine, ClockTick(B + H8 + 1000)) if isinstance(e, FundingCharged)]
    assert charge.boundary == B + H8 and type(charge.boundary) is int
