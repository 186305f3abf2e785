"""Which pending order fills or expires, and when (SPEC 12), through the pending index's
edges: a price reached exactly, an asset with one of two orders cancelled, an order modified
twice or many times, and ClockTicks whose budget ends before the expired orders do.

Written from the survivors of the fourth mutation run (``velox/engine/pending_index.py``):
``key <= threshold`` turned strict, the per-asset count, the version a modify or a cancel
leaves, the compaction of stale entries and ``has_expired`` (which decides ``more``, the
service's cue to send the next ClockTick at once) all passed every engine test. Quotes are
this file's own arithmetic from SPEC 2: ``bid = floor(ref * 0.9995)``,
``ask = ceil(ref * 1.0005)``; ref 100000: bid 99950, ask 100050.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor
from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, ok, order
from velox.engine.commands import CancelOrder, ClockTick, ModifyOrder, PriceTick
from velox.engine.engine import Engine, Outcome
from velox.engine.events import OrderCancelled, PositionOpened
from velox.money import units

U = 10**8


def quote(ref: int) -> tuple[int, int]:
    """SPEC 2's bid and ask in units for a whole-dollar ``ref``, spread 0.001."""
    return floor(Fraction(ref) * Fraction(9995, 10_000) * U), ceil(
        Fraction(ref) * Fraction(10_005, 10_000) * U
    )


def pending(kind: str, side: str, price: int, **kw: Any) -> Any:
    return order(order_type=kind, side=side, price=price, **kw)


def place(engine: Engine, command: Any) -> str:
    (placed,) = ok(engine, command)
    return placed.order_id  # type: ignore[no-any-return]


def opened(events: list[Any]) -> dict[str, int]:
    """Which orders this tick filled, and at what price."""
    return {e.order_id: e.open_price for e in events if isinstance(e, PositionOpened)}


def expired_by(out: Outcome) -> list[str]:
    assert all(isinstance(e, OrderCancelled) and e.status == "EXPIRED" for e in out.events)
    return [e.order_id for e in out.events]  # type: ignore[union-attr]


def test_each_pending_kind_fills_when_the_quote_equals_its_price() -> None:
    """LIMIT LONG at ``ask <= price``, LIMIT SHORT at ``bid >= price``, STOP LONG at
    ``ask >= price``, STOP SHORT at ``bid <= price``: equality included, one unit short not.
    Kills ``reached``'s ``heap[0][0] < threshold``."""
    engine = engine_at()
    low_bid, low_ask = quote(98_000)
    high_bid, high_ask = quote(102_000)
    assert (low_bid, low_ask, high_bid, high_ask) == (
        units("97951"), units("98049"), units("101949"), units("102051"))  # fmt: skip
    limit_long = place(engine, pending("LIMIT", "LONG", low_ask))
    short_of_it = place(engine, pending("LIMIT", "LONG", low_ask - 1))
    stop_short = place(engine, pending("STOP", "SHORT", low_bid))
    limit_short = place(engine, pending("LIMIT", "SHORT", high_bid))
    stop_long = place(engine, pending("STOP", "LONG", high_ask))
    low = engine.on_tick(PriceTick(BTC, units("98000"), T0 + 1))
    assert opened(low) == {limit_long: low_ask, stop_short: low_bid}
    high = engine.on_tick(PriceTick(BTC, units("102000"), T0 + 2))
    assert opened(high) == {limit_short: high_bid, stop_long: high_ask}
    assert list(engine.pending) == [short_of_it]


def test_an_order_fills_after_the_other_order_of_its_asset_is_cancelled() -> None:
    """The per-asset count lets a quiet asset skip the books; it must count each order.
    Kills ``add``'s ``_per_asset.get(None, 0) + 1`` (the count stays 1, a cancel empties it
    and the remaining order never fills)."""
    engine = engine_at()
    keep = place(engine, pending("LIMIT", "LONG", units("99000")))
    drop = place(engine, pending("LIMIT", "LONG", units("98000")))
    ok(engine, CancelOrder("alice", drop, T0))
    events = engine.on_tick(PriceTick(BTC, units("98900"), T0 + 1))  # ask 98949.45
    assert opened(events) == {keep: units("99000")}


def test_an_order_modified_twice_rests_at_its_last_price_only() -> None:
    """After 99000 -> 98000 -> 97000 a tick with ask 97948.95 must not fill it. Kills
    ``changed``'s ``version = 1`` (the 98000 entry stays valid and fills it at 97000)."""
    engine = engine_at()
    placed = place(engine, pending("LIMIT", "LONG", units("99000")))
    for price in ("98000", "97000"):
        ok(engine, ModifyOrder("alice", placed, T0, price=units(price)))
    assert engine.on_tick(PriceTick(BTC, units("97900"), T0 + 1)) == []
    assert list(engine.pending) == [placed]
    events = engine.on_tick(PriceTick(BTC, units("96900"), T0 + 2))  # ask 96948.45
    assert opened(events) == {placed: units("97000")}


def test_a_modified_then_cancelled_order_takes_no_expiry_slot() -> None:
    """With a budget of one effect, a cancelled order's old entries must not use it: the
    one live expired order expires in this ClockTick. Kills ``changed``'s ``version -= 1``
    and ``remove``'s ``version = +1`` (the cancelled order's entry looks live again)."""
    engine = engine_at(funding_interval_ms=0)
    gone = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10))
    ok(engine, ModifyOrder("alice", gone, T0, price=units("90001")))
    ok(engine, CancelOrder("alice", gone, T0))
    live = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 20))
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([live], False)


def test_a_clock_tick_expires_at_most_its_budget_and_says_when_more_are_due() -> None:
    """Expiry in steps: one per ClockTick of budget 1, oldest first, ``more`` while another
    is due at ``ts`` (its expiry equal to ``ts`` included), not for one due later. Kills
    ``expired``'s ``len(out) <= limit`` and ``has_expired``'s mutants that read the wrong
    entry, compare ``<``, drop the heap or its live entries."""
    engine = engine_at(funding_interval_ms=0)
    first = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10))
    second = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 30))
    later = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10**6))
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([first], True)
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([second], False)
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([], False)
    assert list(engine.pending) == [later]
    out = engine.handle(ClockTick(T0 + 10**6))
    assert (expired_by(out), out.more) == ([later], False)


def test_more_is_due_past_a_modified_order_and_past_a_cancelled_one() -> None:
    """``has_expired`` skips the stale entries on top of the expiry heap and reads the live
    one under them. An order given its expiry by a modify (version 1) sits next to an
    unmodified one; a cancelled order's entry sits on top. Kills ``has_expired`` comparing
    another entry's version (``heap[1]``) and ``heappop(None)``."""
    engine = engine_at(funding_interval_ms=0)
    first = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 5))
    due = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10))
    late = place(engine, pending("LIMIT", "LONG", units("90000")))
    ok(engine, ModifyOrder("alice", late, T0, expires_at=T0 + 10**6))
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([first], True)
    assert expired_by(engine.handle(ClockTick(T0 + 30))) == [due]

    engine = engine_at(funding_interval_ms=0)
    first = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 5))
    cancelled = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10))
    due = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 20))
    ok(engine, CancelOrder("alice", cancelled, T0))
    out = engine.handle(ClockTick(T0 + 30, budget=1))
    assert (expired_by(out), out.more) == ([first], True)
    assert expired_by(engine.handle(ClockTick(T0 + 30))) == [due]


def test_an_order_modified_80_times_still_fills_and_its_neighbours_still_act() -> None:
    """Each modify leaves a stale entry; past ``3 * live + 64`` the heaps are compacted,
    which must keep every live entry: the modified order fills at its last price, an
    unmodified neighbour in the same book fills, another expires. Kills ``_push``'s
    compaction mutants on both heaps (``None``, keeping no entry or only the stale ones,
    the wrong tuple field, ``heapify(None)``)."""
    engine = engine_at()
    moving = place(engine, pending("LIMIT", "LONG", units("90000"), expires_at=T0 + 10**6))
    still = place(engine, pending("LIMIT", "LONG", units("95000"), expires_at=T0 + 50))
    neighbour = place(engine, pending("LIMIT", "LONG", units("92000")))
    for i in range(80):
        price = units("90001") if i % 2 == 0 else units("90000")
        ok(engine, ModifyOrder("alice", moving, T0, price=price))
    index = engine.orders_index
    assert len(index._expiry) < 80 and len(index._heaps[BTC, "LONG", "LIMIT"]) < 80  # compacted
    assert expired_by(engine.handle(ClockTick(T0 + 50))) == [still]
    events = engine.on_tick(PriceTick(BTC, units("89900"), T0 + 60))  # ask 89944.95
    assert opened(events) == {moving: units("90000"), neighbour: units("92000")}
    assert engine.pending == {}
