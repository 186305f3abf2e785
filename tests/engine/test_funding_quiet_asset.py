"""An asset with no fresh price holds up only its own positions' funding (SPEC 12: every
position open at a boundary exchanges ``ref * qty * rate``; a stale quote gives way to the
first fresh price of that asset).

Before, the walk of a boundary waited until every position could be charged: one quiet
asset (a feed outage of one symbol, a symbol dropped from ``--symbols``) stopped funding
for every other asset, boundary after boundary (an outside review: BTC charged once in five
boundaries while ETH had no price). Expected amounts are this file's own arithmetic.
"""

from __future__ import annotations

import signal
from fractions import Fraction
from math import ceil, floor

from tests.engine.test_orders_v2 import BTC, ETH, T0, engine_at, ok, order
from velox.engine.commands import ClockTick, ClosePosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import FundingCharged, FundingCompleted, PositionClosed
from velox.money import units

U = 10**8
H8 = 28_800_000
B = (T0 // H8 + 1) * H8  # the first boundary after T0
RATE = Fraction(1, 10_000)
# a 10x LONG of margin 100 at the ask: BTC 100000 quotes ask 100050, ETH 2000 ask 2001
BTC_QTY = Fraction(floor(Fraction(1000) / 100050 * U), U)
ETH_QTY = Fraction(floor(Fraction(1000) / 2001 * U), U)


def paid(ref: int, qty: Fraction) -> int:
    return ceil(Fraction(ref) * qty * RATE * U)


def _quiet_eth() -> tuple[Engine, str, str]:
    """A BTC and an ETH LONG; ETH's last price 20 s before the first boundary (stale at
    it), BTC ticking on."""
    engine = engine_at()
    engine.on_tick(PriceTick(BTC, units("100000"), B - 25_000))
    engine.on_tick(PriceTick(ETH, units("2000"), B - 25_000))
    assert ok(engine, ClockTick(B - 25_000)) == ()
    (btc,) = ok(engine, order(asset=BTC, margin=units("100"), ts=B - 24_000))
    (eth,) = ok(engine, order(asset=ETH, margin=units("100"), ts=B - 24_000))
    assert (btc.qty, eth.qty) == (BTC_QTY * U, ETH_QTY * U)
    return engine, btc.order_id, eth.order_id


def _walk(engine: Engine, boundary: int) -> list[tuple[str, int, int]]:
    """BTC ticks around ``boundary`` (100000 at its instant), the clock walks it:
    (position, boundary, ref) of each charge."""
    engine.on_tick(PriceTick(BTC, units("100000"), boundary - 1000))
    engine.on_tick(PriceTick(BTC, units("101000"), boundary + 100))
    events = engine.handle(ClockTick(boundary + 1000)).events
    return [(e.order_id, e.boundary, e.ref) for e in events if isinstance(e, FundingCharged)]


def test_btc_is_charged_every_boundary_while_eth_has_no_price() -> None:
    engine, btc, eth = _quiet_eth()
    ref = units("100000")
    charged = [c for i in range(3) for c in _walk(engine, B + i * H8)]
    assert charged == [(btc, B, ref), (btc, B + H8, ref), (btc, B + 2 * H8, ref)]
    assert engine.positions[btc].margin == 100 * U - 3 * paid(100000, BTC_QTY)
    assert engine.positions[eth].margin == 100 * U  # owes all three, at its first fresh price
    assert [getattr(p, "order_id", p) for p in engine.funding.laggards] == [eth]  # kept once

    engine.on_tick(PriceTick(ETH, units("2100"), B + 2 * H8 + 5000))
    events = engine.handle(ClockTick(B + 2 * H8 + 6000)).events
    eth_charges = [(e.boundary, e.ref, e.amount) for e in events if isinstance(e, FundingCharged)]
    owed = -paid(2100, ETH_QTY)
    assert eth_charges == [(B + i * H8, units("2100"), owed) for i in range(3)]
    assert engine.positions[eth].margin == 100 * U + 3 * owed
    assert [e for e in engine.handle(ClockTick(B + 2 * H8 + 7000)).events] == []  # once


def test_a_restart_while_eth_is_quiet_charges_everything_once() -> None:
    engine, btc, eth = _quiet_eth()
    charged = [c for i in range(2) for c in _walk(engine, B + i * H8)]
    assert [c[:2] for c in charged] == [(btc, B), (btc, B + H8)]
    restored = Engine.restore(engine.export(), engine.settings)
    charged = _walk(restored, B + 2 * H8)
    assert [c[:2] for c in charged] == [(btc, B + 2 * H8)]
    restored.on_tick(PriceTick(ETH, units("2100"), B + 2 * H8 + 5000))
    events = restored.handle(ClockTick(B + 2 * H8 + 6000)).events
    assert [(e.order_id, e.boundary) for e in events if isinstance(e, FundingCharged)] == [
        (eth, B + i * H8) for i in range(3)
    ]
    later = restored.handle(ClockTick(B + 2 * H8 + 7000)).events
    assert not any(isinstance(e, FundingCharged) for e in later)
    assert restored.positions[btc].margin == 100 * U - 3 * paid(100000, BTC_QTY)


def test_closing_a_quiet_positions_owes_every_boundary_first() -> None:
    """A close at the quiet asset's first fresh price pays each boundary it owes before it
    closes (SPEC 12), even those boundaries the walk has completed for everyone else."""
    engine, _, eth = _quiet_eth()
    for i in range(2):
        _walk(engine, B + i * H8)
    engine.on_tick(PriceTick(ETH, units("2100"), B + H8 + 5000))
    events = ok(engine, ClosePosition("alice", eth, B + H8 + 5100))
    charges = [(e.boundary, e.ref) for e in events if isinstance(e, FundingCharged)]
    assert charges == [(B, units("2100")), (B + H8, units("2100"))]
    assert isinstance(events[-1], PositionClosed)
    assert not any(isinstance(e, FundingCompleted) for e in events)


def test_a_laggard_priced_only_at_the_newer_boundary_waits_without_spinning() -> None:
    """ETH owes B (no price for it) and B + 8h (the tick in effect at its instant is kept),
    and is stale when the clock walks B + 8h: nothing can be charged before B, so it waits,
    and the walk finishes (it spun forever: a read of the change). At ETH's first fresh
    price, B is charged at it and B + 8h at the price of its instant, in that order."""
    engine, btc, eth = _quiet_eth()
    _walk(engine, B)
    b2 = B + H8
    engine.on_tick(PriceTick(ETH, units("2000"), b2 - 1000))  # in effect at b2's instant
    engine.on_tick(PriceTick(ETH, units("2010"), b2 + 100))
    engine.on_tick(PriceTick(BTC, units("100000"), b2 - 1000))
    engine.on_tick(PriceTick(BTC, units("101000"), b2 + 11_000))
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(5)
    try:
        events = engine.handle(ClockTick(b2 + 11_200)).events  # ETH is 11.1 s old: stale
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    charges = [(e.order_id, e.boundary) for e in events if isinstance(e, FundingCharged)]
    assert charges == [(btc, b2)]
    engine.on_tick(PriceTick(ETH, units("2030"), b2 + 20_000))
    later = engine.handle(ClockTick(b2 + 20_100)).events
    assert [(e.order_id, e.boundary, e.ref) for e in later if isinstance(e, FundingCharged)] == [
        (eth, B, units("2030")), (eth, b2, units("2000"))
    ]  # fmt: skip


def _hung(signum: int, frame: object) -> None:
    raise TimeoutError("the funding walk did not return")
