"""A tick whose quote cannot be traded is refused by the engine (SPEC 2), and no price a feed
can send makes ``on_tick`` raise.

A reference price of 1 unit (0.00000001) passes every feed's validation, but its bid rounds
down to 0: a resting STOP SHORT then filled at a bid of 0 and divided by it
(``qty_for_margin``), and the service threw the whole batch away, every other user's command
and every other symbol's tick with it, at each such tick. Such a tick is now refused like a
price of 0: no events, no quote, the last quote kept.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.test_orders_v2 import BTC, T0, engine_at, ok, order
from velox.engine.commands import PriceTick
from velox.engine.engine import Engine
from velox.engine.state import Quote
from velox.engine.views import ledger
from velox.money import MAX_UNITS, SCALE, units


def _bid(ref: int, spread: int) -> int:
    """SPEC 2's bid, from Fractions: ref * (1 - spread/2), rounded down."""
    return math.floor(ref * (1 - Fraction(spread, 2 * SCALE)))


def test_a_stop_short_is_not_filled_at_a_bid_of_zero() -> None:
    """The reviewer's crash: ZeroDivisionError from the STOP SHORT's fill at a bid of 0."""
    engine = engine_at()
    (placed,) = ok(engine, order(side="SHORT", order_type="STOP", price=units("70000")))
    before = engine.quotes[BTC]
    assert engine.on_tick(PriceTick(BTC, 1, T0 + 1)) == []
    assert engine.quotes[BTC] == before
    assert placed.order_id in engine.pending


def test_two_units_is_the_smallest_price_at_the_default_spread() -> None:
    """1 unit quotes a bid of 0 (refused); 2 units a bid of 1 (quoted, and fills)."""
    engine = engine_at()
    ok(engine, order(side="SHORT", order_type="STOP", price=units("70000")))
    engine.on_tick(PriceTick(BTC, 2, T0 + 1))
    assert engine.quotes[BTC] == Quote(2, 1, 3, T0 + 1)  # type: ignore[arg-type]


def test_a_wide_spread_refuses_every_price_whose_bid_rounds_to_zero() -> None:
    """Spread 0.5: the bid is ref * 0.75, so 1 unit is refused and 2 (bid 1) is quoted."""
    spread = SCALE // 2
    engine = engine_at(spread=spread)
    ok(engine, order(side="SHORT", order_type="STOP", price=units("70000")))
    assert engine.on_tick(PriceTick(BTC, 1, T0 + 1)) == []
    assert engine.quotes[BTC].ts == T0
    engine.on_tick(PriceTick(BTC, 2, T0 + 2))
    assert engine.quotes[BTC].bid == _bid(2, spread) == 1


def _book(engine: Engine) -> None:
    """Every kind of order a tick can fill or trigger, on both sides."""
    ok(engine, order(stop_loss=units("50000"), take_profit=units("200000")))
    ok(engine, order(side="SHORT", stop_loss=units("200000"), take_profit=units("50000")))
    ok(engine, order(trailing_stop=units("500"), user_id="bob"))
    ok(engine, order(side="SHORT", trailing_stop=units("500"), user_id="bob", leverage=100))
    ok(engine, order(side="SHORT", order_type="STOP", price=units("40000")))
    ok(engine, order(order_type="STOP", price=units("200000")))
    ok(engine, order(order_type="LIMIT", price=units("50000"), user_id="bob"))
    ok(engine, order(side="SHORT", order_type="LIMIT", price=units("150000"), user_id="bob"))
    ok(engine, order(order_type="LIMIT", price=units("10"), margin=None, qty=units("100")))


prices = st.one_of(
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=MAX_UNITS),
    st.integers(min_value=0, max_value=23).map(lambda e: 10**e),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(prices, min_size=1, max_size=6), st.sampled_from([0, 100_000, SCALE // 2]))
def test_no_price_a_feed_can_send_makes_a_tick_raise(refs: list[int], spread: int) -> None:
    """Any price a feed parses (1 unit up to money's MAX_UNITS), in any order, against a book
    of stops, limits, trailing stops and triggers: no exception, money conserved, and a
    quote only where the bid is above 0."""
    engine = engine_at(spread=spread)
    _book(engine)
    events: list[Any] = []
    for n, ref in enumerate(refs, start=1):
        last = engine.quotes[BTC]
        events.extend(engine.on_tick(PriceTick(BTC, ref, T0 + n)))
        if _bid(ref, spread) <= 0:
            assert engine.quotes[BTC] == last
        else:
            assert engine.quotes[BTC].ref == ref and engine.quotes[BTC].bid > 0
        assert ledger(engine)["conserved"], ledger(engine)
