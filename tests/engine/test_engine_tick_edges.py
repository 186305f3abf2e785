"""``Engine.on_tick`` and the ClockTick's expiries at their edges (SPEC 4 and 12).

Written from the fifth mutation run (``velox/engine/engine.py``): no engine test sent a tick
priced 0 or 1 unit, a tick older than the last one, an OCO leg past its expiry (by a tick
or by the ClockTick), three reached orders of which the second was ended by the first, or
checked the time of a triggered close; and none changed the state after a snapshot export
had ended. Quote: ref * (1 -/+ 0.0005), the bid rounded down, the ask up.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, ok, order
from tests.engine.test_snapshot_roundtrip_edges import finish
from velox.engine.commands import ClockTick, Deposit, ModifyOrder, PlaceOco, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import OrderCancelled, PositionClosed, PositionOpened
from velox.engine.state import Quote
from velox.engine.views import account_figures
from velox.money import units

SOL = "SOLUSDT"


def quoted(ref: int, ts: int) -> Quote:
    """The quote SPEC 3 gives a reference price (spread 0.001), from Fractions."""
    half = Fraction(1, 2000)
    bid, ask = math.floor(ref * (1 - half)), math.ceil(ref * (1 + half))
    return Quote(ref, bid, ask, ts)  # type: ignore[arg-type]


def of(events: list[Any], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_a_tick_priced_zero_or_for_an_unknown_asset_is_ignored_two_units_are_quoted() -> None:
    """A price of 0 would quote bid = ask = 0 and liquidate every LONG; an unknown asset
    gets no quote; 1 unit (0.00000001) quotes a bid of 0, no tradable price either
    (test_untradable_prices.py), and 2 units are a price. Kills ``bid < 0``, ``bid <= 1``
    and a dropped asset check in the guards of ``on_tick``."""
    engine = engine_at()
    (opened,) = ok(engine, order())
    assert engine.on_tick(PriceTick(BTC, 0, T0 + 1)) == []
    assert engine.quotes[BTC] == quoted(units("100000"), T0)
    assert opened.order_id in engine.positions
    assert engine.on_tick(PriceTick("DOGEUSDT", units("0.1"), T0 + 1)) == []
    assert "DOGEUSDT" not in engine.quotes
    assert engine.on_tick(PriceTick(SOL, 1, T0 + 1)) == []
    assert SOL not in engine.quotes
    assert engine.on_tick(PriceTick(SOL, 2, T0 + 1)) == []
    assert engine.quotes[SOL] == quoted(2, T0 + 1) == Quote(2, 1, 3, T0 + 1)  # type: ignore[arg-type]


def test_a_tick_older_than_the_last_one_changes_nothing() -> None:
    """Ticks can arrive out of order; an older price must not overwrite a newer one nor
    liquidate on it. Kills ``last = None`` and ``quotes.get(None)``."""
    engine = engine_at()
    (opened,) = ok(engine, order())  # LONG 10x: liquidated near 91000
    engine.on_tick(PriceTick(BTC, units("100000"), T0 + 10))
    assert engine.on_tick(PriceTick(BTC, units("50000"), T0 + 5)) == []
    assert engine.quotes[BTC] == quoted(units("100000"), T0 + 10)
    assert opened.order_id in engine.positions
    (closed,) = engine.on_tick(PriceTick(BTC, units("50000"), T0 + 10))  # same ts: taken
    assert isinstance(closed, PositionClosed) and closed.reason == "LIQUIDATION"


def test_triggered_closes_carry_the_ticks_time() -> None:
    """A stop loss fired by a tick (step a) and one fired on the tick that filled its
    pending order (step c) both close at the tick's time. Kills ``ts=None`` in ``_fire``
    and in both of ``on_tick``'s calls of it."""
    engine = engine_at()
    (held,) = ok(engine, order(stop_loss=units("99000")))
    ts = T0 + 7
    (closed,) = engine.on_tick(PriceTick(BTC, units("99000"), ts))  # bid 98950.5
    assert isinstance(closed, PositionClosed) and closed.order_id == held.order_id
    assert (closed.reason, closed.ts) == ("STOP_LOSS", ts)
    (placed,) = ok(engine, order(order_type="LIMIT", price=units("99000"),
                                 stop_loss=units("98950")))  # fmt: skip
    events = engine.on_tick(PriceTick(BTC, units("98900"), ts + 1))  # ask 98949.45
    (filled,) = of(events, PositionOpened)
    assert (filled.order_id, filled.open_price) == (placed.order_id, units("99000"))
    (fired,) = of(events, PositionClosed)
    assert (fired.order_id, fired.reason, fired.ts) == (placed.order_id, "STOP_LOSS", ts + 1)


def test_an_order_after_an_oco_pair_fills_on_the_same_tick() -> None:
    """SPEC 12 (b): the pending orders a tick reaches act in orderId order; the OCO leg
    cancelled by its sibling's fill is skipped and the next order still fills on that
    tick. Kills ``break`` for ``continue`` (it waited for another tick)."""
    engine = engine_at()
    legs = [
        order(order_type="LIMIT", price=units(p), margin=units("10")) for p in ("99000", "98000")
    ]
    (first, second) = ok(engine, PlaceOco("alice", legs[0], legs[1], T0))
    (third,) = ok(engine, order(order_type="LIMIT", price=units("99500"), margin=units("10")))
    events = engine.on_tick(PriceTick(BTC, units("97900"), T0 + 1))  # ask 97948.95
    assert [e.order_id for e in of(events, PositionOpened)] == [first.order_id, third.order_id]
    (oco,) = of(events, OrderCancelled)
    assert (oco.order_id, oco.status, oco.reason) == (second.order_id, "CANCELLED", "OCO")
    assert engine.positions[third.order_id].open_price == units("99500")
    assert not engine.pending


def oco_with_expiring_leg(engine: Engine) -> tuple[Any, Any]:
    """LIMIT LONG 99000 expiring at T0 + 1000 and LIMIT LONG 98000 without expiry, 10 each."""
    legs = [
        order(order_type="LIMIT", price=units("99000"), margin=units("10"), expires_at=T0 + 1000),
        order(order_type="LIMIT", price=units("98000"), margin=units("10")),
    ]
    first, second = ok(engine, PlaceOco("alice", legs[0], legs[1], T0))
    assert account_figures(engine, "alice").pending_margin == units("20")
    return first, second


def assert_expired_pair(events: list[Any], first: Any, second: Any, ts: int) -> None:
    rows = [(e.order_id, e.status, e.reason, e.ts) for e in of(events, OrderCancelled)]
    assert rows == [
        (first.order_id, "EXPIRED", "EXPIRED", ts),
        (second.order_id, "CANCELLED", "OCO", ts),
    ]
    assert not of(events, PositionOpened)


def test_an_oco_leg_reached_after_its_expiry_expires_and_ends_its_sibling() -> None:
    """A tick reaching a leg past its ``expiresAt`` (before the ClockTick came round) ends
    it EXPIRED at the tick's time, and its sibling CANCELLED (OCO) at that time; both
    reservations return. Kills ``cancelled(..., None, ts)``, ``(..., None)`` and
    ``ended(None, ...)`` / ``ended(..., None)`` in ``on_tick``."""
    engine = engine_at(funding_interval_ms=0)
    first, second = oco_with_expiring_leg(engine)
    ts = T0 + 2000
    events = engine.on_tick(PriceTick(BTC, units("98900"), ts))  # ask 98949.45: leg 1 only
    assert_expired_pair(events, first, second, ts)
    assert account_figures(engine, "alice").pending_margin == 0
    assert account_figures(engine, "alice").balance == units("1000")


def test_the_clock_tick_expires_an_oco_leg_and_ends_its_sibling() -> None:
    """The same pair ended by the ClockTick: EXPIRED and CANCELLED (OCO) at its time.
    Kills the same four mutants in ``_clock``."""
    engine = engine_at(funding_interval_ms=0)
    first, second = oco_with_expiring_leg(engine)
    ts = T0 + 2000
    out = engine.handle(ClockTick(ts))
    assert_expired_pair(list(out.events), first, second, ts)
    assert out.more is False and not engine.pending
    assert account_figures(engine, "alice").balance == units("1000")


def test_the_engine_takes_changes_after_an_export_has_ended() -> None:
    """After a snapshot's export ends, deposits and modifies go on (the copy-on-write hooks
    are off). ``end_export`` setting ``""`` instead of None crashed every later change."""
    engine = engine_at()
    (placed,) = ok(engine, order(order_type="LIMIT", price=units("99000")))
    export = engine.begin_export()
    finish(export)
    engine.end_export()
    ok(engine, Deposit("alice", units("5"), T0))
    ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units("98000")))
    assert account_figures(engine, "alice").balance == units("905")
    assert engine.pending[placed.order_id].price == units("98000")


def test_an_order_after_an_expired_one_fills_on_the_same_tick() -> None:
    """An order reached past its expiry ends EXPIRED and the next reached order still fills
    on that tick. Kills ``break`` for the ``continue`` after the expiry in ``on_tick``
    (killed only by chance, by a property test's examples, in the first run)."""
    engine = engine_at(funding_interval_ms=0)
    (stale,) = ok(engine, order(order_type="LIMIT", price=units("99000"), margin=units("10"),
                                expires_at=T0 + 1000))  # fmt: skip
    (live,) = ok(engine, order(order_type="LIMIT", price=units("99500"), margin=units("10")))
    events = engine.on_tick(PriceTick(BTC, units("98900"), T0 + 2000))  # ask 98949.45
    (expired,) = of(events, OrderCancelled)
    assert (expired.order_id, expired.status) == (stale.order_id, "EXPIRED")
    (filled,) = of(events, PositionOpened)
    assert (filled.order_id, filled.open_price) == (live.order_id, units("99500"))
