"""Funding boundaries walked in steps (SPEC 12), as ``Engine._fund`` walks them.

Written from the fifth mutation run (``velox/engine/engine.py``): no engine test charged a
boundary with two assets, with a position closed between two steps, with a ClockTick budget
of 1, or with a stale price at the boundary ("charged at the first fresh price"). Eight
mutants of ``_fund`` made the ClockTick loop forever at every boundary; the old tests only
timed out on them, so every ClockTick here runs under ``answered`` and fails within seconds.
Expected amounts are this file's own ``Fraction`` arithmetic: ``ref * qty * rate``, paid
rounded up to the unit. Interval one minute, rate 0.0001 (a LONG pays), leverage 10.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from types import FrameType

from tests.engine.test_orders_v2 import BTC, ETH, T0, ok
from velox.engine.commands import (
    ClockTick,
    ClosePosition,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.engine import Engine, Outcome
from velox.engine.events import FundingCharged, FundingCompleted, OrderCancelled
from velox.engine.settings import EngineSettings
from velox.money import units

SOL = "SOLUSDT"
MINUTE = 60_000
B1 = (T0 // MINUTE + 1) * MINUTE  # the first boundary after T0 (T0 + 40 s)
RATE = Fraction(1, 10_000)


@contextmanager
def answered(seconds: float = 3.0) -> Iterator[None]:
    """Fail (instead of hanging until mutmut's timeout) if the block does not return."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise AssertionError(f"no answer within {seconds} s: an endless loop")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def clock(engine: Engine, ts: int, budget: int = 500) -> Outcome:
    with answered():
        return engine.handle(ClockTick(ts, budget))


def paid(ref: str, qty: str) -> int:
    """What a LONG pays at a boundary, in units (negative): ceil(ref * qty * rate)."""
    return -math.ceil(Fraction(ref) * Fraction(qty) * RATE * 10**8)


def charges(out: Outcome) -> dict[str, tuple[int, int, int]]:
    """order id -> (amount, boundary, ts) of each FundingCharged."""
    return {
        e.order_id: (e.amount, e.boundary, e.ts)
        for e in out.events
        if isinstance(e, FundingCharged)
    }


def completed(out: Outcome) -> list[int]:
    return [e.boundary for e in out.events if isinstance(e, FundingCompleted)]


def funded_engine(**settings: int) -> Engine:
    engine = Engine(EngineSettings(funding_interval_ms=MINUTE, **settings))  # type: ignore[arg-type]
    assert engine.handle(OpenAccount("alice", T0)).ok
    for asset, ref in ((BTC, "100000"), (ETH, "3000"), (SOL, "150")):
        engine.on_tick(PriceTick(asset, units(ref), T0))
    return engine


def long(engine: Engine, asset: str, qty: str, ts: int = T0, **kw: object) -> str:
    (opened, *_) = ok(engine, OpenPosition("alice", asset, "LONG", 10, ts, qty=units(qty), **kw))  # type: ignore[arg-type]
    return opened.order_id  # type: ignore[no-any-return]


def test_each_position_pays_at_its_own_assets_price_at_the_boundary() -> None:
    """Two positions on two assets, fresh prices: both pay in the boundary's ClockTick at
    their asset's reference, at its time, and the boundary completes. Kills the eight
    endless loops (``_funding_next = 1``, ``asset = None``, ``q = None``, the quote cache
    filled with None or under the wrong key, ``q is not None``: timeouts before),
    ``setdefault(None, ...)`` (ETH charged at BTC's price) and ``charge(..., None)``."""
    engine = funded_engine()
    btc, eth = long(engine, BTC, "0.01"), long(engine, ETH, "0.5")
    margins = {oid: engine.positions[oid].margin for oid in (btc, eth)}
    engine.on_tick(PriceTick(BTC, units("101000"), B1 - 1000))
    engine.on_tick(PriceTick(ETH, units("3100"), B1 - 1000))
    out = clock(engine, B1)
    # 101000 x 0.01 x 0.0001 = 0.101; 3100 x 0.5 x 0.0001 = 0.155
    assert charges(out) == {btc: (-units("0.101"), B1, B1), eth: (-units("0.155"), B1, B1)}
    assert (paid("101000", "0.01"), paid("3100", "0.5")) == (-units("0.101"), -units("0.155"))
    assert completed(out) == [B1] and out.more is False
    assert engine.positions[btc].margin == margins[btc] - units("0.101")
    assert engine.positions[eth].margin == margins[eth] - units("0.155")


def test_a_budget_of_one_charges_one_position_and_a_closed_one_is_skipped() -> None:
    """ClockTick's budget of 1 still charges one position (``while budget > 1`` charged
    nobody, and said no more was due). A position closed between two steps is skipped and
    the walk goes on in the same ClockTick (``break`` left the rest to the next ClockTick,
    a second later, at a later price; ``_funding_next = 1`` looped forever)."""
    engine = funded_engine()
    first, second, third = (long(engine, BTC, "0.01"), long(engine, BTC, "0.02"),
                            long(engine, ETH, "0.5"))  # fmt: skip
    engine.on_tick(PriceTick(BTC, units("100000"), B1 - 1000))
    engine.on_tick(PriceTick(ETH, units("3000"), B1 - 1000))
    out = clock(engine, B1, budget=1)
    assert charges(out) == {first: (paid("100000", "0.01"), B1, B1)}
    assert out.more is True and completed(out) == []
    ok(engine, ClosePosition("alice", second, B1))
    out = clock(engine, B1 + 1)
    assert charges(out) == {third: (paid("3000", "0.5"), B1, B1 + 1)}  # -0.15
    assert completed(out) == [B1] and out.more is False
    assert engine.funded_boundary == B1


def test_an_expiry_and_a_charge_share_a_budget_of_two() -> None:
    """SPEC 12 / ClockTick: at most ``budget`` effects, one per expiry and one per charge:
    with a budget of 2, one expiry leaves room for the one charge in the same ClockTick
    (``budget -= 2`` per expiry left none, and the charge waited for another ClockTick)."""
    engine = funded_engine()
    pos = long(engine, BTC, "0.01")
    (placed,) = ok(engine, OpenPosition("alice", ETH, "LONG", 10, T0, margin=units("10"),
                                        order_type="LIMIT", price=units("2900"),
                                        expires_at=B1 - 10_000))  # fmt: skip
    engine.on_tick(PriceTick(BTC, units("100000"), B1 - 1000))
    out = clock(engine, B1, budget=2)
    (expired,) = [e for e in out.events if isinstance(e, OrderCancelled)]
    assert (expired.order_id, expired.status, expired.ts) == (placed.order_id, "EXPIRED", B1)
    assert charges(out) == {pos: (paid("100000", "0.01"), B1, B1)}
    assert completed(out) == [B1] and out.more is False


def test_a_stale_price_defers_only_its_positions_until_a_fresh_price() -> None:
    """SPEC 12: a position whose asset has no fresh price at the boundary is charged at
    the first fresh price; the others are charged at once, and the boundary completes for
    them (a quiet asset must not hold up the next boundaries of every other: see
    test_funding_quiet_asset.py). BTC and SOL are stale at B1 (last ticks 40 s old), ETH is
    fresh.

    Kills the deferral mutants: the list None or holding None, ``break`` on a deferral (ETH
    charged a ClockTick later), the deferred list dropped (the boundary completed unpaid),
    the freshness test inverted (an endless loop) or asked with None / without ``now``, the
    deferred walk started at 1, set to None, or left to the next ClockTick (``break``), and
    ``more = budget <= 1`` (a ClockTick waiting for prices asked for another at once)."""
    engine = funded_engine()
    btc, sol, eth = long(engine, BTC, "0.01"), long(engine, SOL, "2"), long(engine, ETH, "0.5")
    engine.on_tick(PriceTick(ETH, units("3100"), B1 - 1000))
    out = clock(engine, B1, budget=2)
    assert charges(out) == {eth: (paid("3100", "0.5"), B1, B1)}
    assert completed(out) == [B1] and out.more is False
    assert engine.positions[btc].funding == engine.positions[sol].funding == 0
    # BTC is fresh again 5 s later: its position pays at that price and time; SOL waits
    engine.on_tick(PriceTick(BTC, units("102000"), B1 + 5000))
    out = clock(engine, B1 + 5000)
    assert charges(out) == {btc: (paid("102000", "0.01"), B1, B1 + 5000)}  # -0.102
    assert completed(out) == [] and out.more is False
    assert clock(engine, B1 + 6000).events == ()
    engine.on_tick(PriceTick(SOL, units("160"), B1 + 8000))
    out = clock(engine, B1 + 8000)
    assert charges(out) == {sol: (paid("160", "2"), B1, B1 + 8000)}  # -0.032
    assert completed(out) == [] and engine.funded_boundary == B1
    assert engine.positions[sol].funding == -units("0.032")


def test_a_boundary_completes_past_a_position_opened_after_it() -> None:
    """A position opened after the boundary owes nothing for it and must not undo "someone
    was charged": the boundary completes (FundingCompleted, journaled), so a snapshot
    restored after two more boundaries charges both of them. ``_funding_charged =`` or
    ``&=`` instead of ``|=`` left the boundary unjournaled, and the restored engine then
    charged only the current boundary (one boundary of funding never charged)."""
    engine = funded_engine()
    before = long(engine, BTC, "0.01")
    engine.on_tick(PriceTick(BTC, units("100000"), B1))
    after = long(engine, BTC, "0.02", ts=B1 + 1)
    out = clock(engine, B1 + 1)
    assert charges(out) == {before: (paid("100000", "0.01"), B1, B1 + 1)}
    assert completed(out) == [B1] and engine.funded_boundary == B1
    restored = Engine.restore(engine.export(), engine.settings)
    b3 = B1 + 2 * MINUTE
    restored.on_tick(PriceTick(BTC, units("100000"), b3))
    out = clock(restored, b3 + 1)
    got = sorted(
        (e.order_id, e.boundary, e.amount) for e in out.events if isinstance(e, FundingCharged)
    )
    expected = [(oid, b, paid("100000", qty)) for oid, qty in ((before, "0.01"),
                (after, "0.02")) for b in (B1 + MINUTE, b3)]  # fmt: skip
    assert got == sorted(expected)
    assert completed(out) == [B1 + MINUTE, b3]


def test_a_clock_tick_whose_budget_went_on_expiries_starts_no_boundary() -> None:
    """A ClockTick whose whole budget went on expiries leaves the boundary for the next one
    (``more``), which then walks every position open at the boundary's instant, also one
    opened at exactly that millisecond in between. ``while budget >= 0`` started the walk
    with no budget, fixing the list of positions too early: that one was never charged."""
    engine = funded_engine()
    first = long(engine, BTC, "0.01")
    expiring = {"order_type": "LIMIT", "price": units("2900"), "expires_at": B1 - 10_000}
    ok(engine, OpenPosition("alice", ETH, "LONG", 10, T0, margin=units("10"), **expiring))  # type: ignore[arg-type]
    engine.on_tick(PriceTick(BTC, units("100000"), B1 - 1000))
    out = clock(engine, B1, budget=1)
    assert [e.status for e in out.events] == ["EXPIRED"]  # type: ignore[union-attr]
    assert out.more is True
    at = long(engine, BTC, "0.02", ts=B1)
    out = clock(engine, B1)
    assert charges(out) == {
        first: (paid("100000", "0.01"), B1, B1),
        at: (paid("100000", "0.02"), B1, B1),
    }
    assert completed(out) == [B1]


def test_a_position_opened_at_the_boundary_instant_during_the_walk_pays_it() -> None:
    """The walk of boundary B1 has begun (a ClockTick at B1 with a budget of 1 charged one
    position and answered ``more``); a position opened at exactly B1 before the next step is
    open at the boundary's instant, so SPEC 12 charges it too. Before, the walk's list was
    fixed when it began and that position was never charged for B1 (the fifth mutation
    pass found it)."""
    engine = funded_engine()
    first, second = long(engine, BTC, "0.01"), long(engine, BTC, "0.03")
    engine.on_tick(PriceTick(BTC, units("100000"), B1 - 1000))
    out = clock(engine, B1, budget=1)
    assert charges(out) == {first: (paid("100000", "0.01"), B1, B1)} and out.more is True
    at = long(engine, BTC, "0.02", ts=B1)
    out = clock(engine, B1)
    assert charges(out) == {
        second: (paid("100000", "0.03"), B1, B1),
        at: (paid("100000", "0.02"), B1, B1),
    }
    assert completed(out) == [B1] and engine.funded_boundary == B1
    assert engine.positions[at].funded_at == B1
