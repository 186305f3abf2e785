"""What ``apply`` books for NETTING fills, reduces and modified orders, exact to the unit.

Written from the survivors of the fourth mutation run (``velox/engine/apply.py``): the order
and fill ids a scale-in, a partial close and a reduce consume, the pending order a fill or a
reduce ends, a scale-in's clientOrderId, a reduce-only pending order and a modified order's
terms could all change without a test in ``tests/engine`` noticing. Expected numbers are this
file's own arithmetic from SPEC 3 and 12 (``Fraction``), never the engine's formulas. Quote:
BTC ref 100000, bid 99950, ask 100050; fees 0 (the default), leverage 10.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil
from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, netting, ok, order
from velox.engine.commands import ClockTick, ClosePosition, ModifyOrder, OpenPosition, PriceTick
from velox.engine.events import (
    OrderCancelled,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.views import fills_of
from velox.money import units

U = 10**8
BID, ASK = Fraction(99950), Fraction(100050)


def u(x: Fraction | int | str) -> int:
    """Exact value ``x`` in units; it must be whole."""
    value = Fraction(x) * U
    assert value.denominator == 1, x
    return int(value)


def margin_of(price: Fraction, qty: Fraction) -> int:
    """SPEC 12: from a qty, ``margin = ceil(price * qty / leverage)`` (leverage 10)."""
    return ceil(price * qty / 10 * U)


def btc(acc: str, qty: str, **kw: Any) -> OpenPosition:
    return order(account_id=acc, margin=None, qty=units(qty), **kw)


def fill_ids(events: tuple[object, ...] | list[object]) -> list[str]:
    return [f.fill_id for e in events for f in fills_of(e)]  # type: ignore[arg-type]


def test_every_fill_and_order_takes_the_next_id() -> None:
    """Order and fill ids count up by one across a scale-in, a partial close and a reduce.

    Kills ``_bump`` ``+ 2`` / ``- 1`` and the ``_bump`` calls of ``_opened``, ``_increased``,
    ``_part_closed`` and ``_closed`` that drop or swap the order id or the fill id (a repeated
    fillId or orderId, or a gap)."""
    engine = engine_at()
    acc = netting(engine)
    (opened,) = ok(engine, btc(acc, "0.02"))
    (joined,) = ok(engine, btc(acc, "0.02"))
    (part,) = ok(engine, ClosePosition("alice", opened.order_id, T0, percent=50, account_id=acc))
    (reduced,) = ok(engine, btc(acc, "0.02", side="SHORT"))
    (again,) = ok(engine, btc(acc, "0.01"))
    assert isinstance(opened, PositionOpened) and isinstance(joined, PositionIncreased)
    assert isinstance(part, PositionPartiallyClosed) and isinstance(reduced, PositionClosed)
    assert isinstance(again, PositionOpened)
    assert (opened.order_id, joined.order_id, part.part_order_id) == ("1", "2", "3")
    assert (reduced.order_id, reduced.by_order_id, again.order_id) == ("1", "4", "5")
    assert fill_ids([opened, joined, part, reduced, again]) == ["1", "2", "3", "4", "5"]
    assert (engine.next_order_id, engine.next_fill_id) == (6, 6)


def test_a_pending_limit_that_scales_in_ends_and_its_reservation_is_spent() -> None:
    """A LIMIT filling into the NETTING position leaves the pending book and the position
    (and a close afterwards) books exact sums. Kills ``_increased``: ``_end_order(None)`` (the
    order stays pending, its reservation counted twice) and ``used_margin = None``."""
    engine = engine_at()
    acc = netting(engine)
    q = Fraction("0.01")
    ok(engine, btc(acc, "0.01"))
    (placed,) = ok(engine, btc(acc, "0.01", order_type="LIMIT", price=units("99000")))
    engine.on_tick(PriceTick(BTC, units("98900"), T0))  # ask 98949.45 <= 99000: fills at 99000
    assert engine.pending == {} and engine.accounts[acc].pending_orders == {}
    account = engine.accounts[acc]
    first, second = margin_of(ASK, q), margin_of(Fraction(99000), q)
    assert (first, second) == (u("100.05"), u("99"))
    assert (account.balance, account.pending_margin) == (u(1000) - first - second, 0)
    (pos,) = engine.positions.values()
    assert (pos.qty, pos.margin) == (u(2 * q), first + second)
    (closed,) = ok(engine, ClosePosition("alice", pos.order_id, T0, account_id=acc))
    bid = Fraction("98850.55")  # 98900 * 0.9995, exact
    entry = ceil((q * ASK + q * 99000) / (2 * q) * U)  # a LONG's entry rounds up: 99525
    pnl = (bid - Fraction(entry, U)) * 2 * q
    assert closed.settlement == u(Fraction(first + second, U) + pnl)
    assert account.balance == u(1000) + u(pnl)
    assert account.used_margin == 0
    assert placed.order_id not in engine.pending


def test_a_scale_in_with_a_client_order_id_is_not_repeated_by_a_retry() -> None:
    """SPEC 12: a repeated order with the same clientOrderId creates nothing and answers
    what the first answered: for a market scale-in, the position (as for a reduce). Kills
    ``_increased``'s ``remember_client_id`` mutants (skipped, wrong account, wrong id, wrong
    arity): a retried scale-in would double the position."""
    engine = engine_at()
    acc = netting(engine)
    ok(engine, btc(acc, "0.01"))
    (joined,) = ok(engine, btc(acc, "0.01", client_order_id="bot-1"))
    assert isinstance(joined, PositionIncreased)
    retry = engine.handle(btc(acc, "0.01", client_order_id="bot-1"))
    assert (retry.ok, retry.events, retry.existing) == (True, (), joined.position_id)
    (pos,) = engine.positions.values()
    assert pos.qty == u("0.02")


def test_a_pending_reduce_that_closes_the_position_ends_and_returns_its_reservation() -> None:
    """A SHORT LIMIT of the position's whole qty closes it at its price; the order ends and
    its reservation returns. Kills ``_closed``: ``_end_order(None, ...)`` (order left pending,
    reservation kept) and ``_end_order(id, None)`` (a crash)."""
    engine = engine_at()
    acc = netting(engine)
    q = Fraction("0.01")
    ok(engine, btc(acc, "0.01"))
    (placed,) = ok(engine, btc(acc, "0.01", side="SHORT", order_type="LIMIT",
                               price=units("101000")))  # fmt: skip
    assert placed.reserved == margin_of(Fraction(101000), q) == u(101)
    (closed, *_) = engine.on_tick(PriceTick(BTC, units("101100"), T0))  # bid 101049.45
    assert isinstance(closed, PositionClosed) and closed.by_order_id == placed.order_id
    pnl = (Fraction(101000) - ASK) * q  # 9.5
    assert closed.settlement == margin_of(ASK, q) + u(pnl)
    account = engine.accounts[acc]
    assert engine.pending == {} and engine.positions == {}
    assert (account.balance, account.pending_margin) == (u(1000) + u(pnl), 0)


def test_a_reduce_only_pending_order_never_flips_the_position() -> None:
    """SPEC 12: reduceOnly caps q at Q. A reduce-only SHORT LIMIT of twice the LONG's qty
    closes it and opens nothing. Kills ``_placed`` storing ``reduce_only=None``."""
    engine = engine_at()
    acc = netting(engine)
    q = Fraction("0.01")
    ok(engine, btc(acc, "0.01"))
    ok(engine, btc(acc, "0.02", side="SHORT", order_type="LIMIT", price=units("101000"),
                   reduce_only=True))  # fmt: skip
    engine.on_tick(PriceTick(BTC, units("101100"), T0))
    assert engine.positions == {} and engine.pending == {}
    pnl = (Fraction(101000) - ASK) * q
    assert engine.accounts[acc].balance == u(1000) + u(pnl)


def test_a_modify_in_a_second_account_moves_that_accounts_money() -> None:
    """Re-reserving at a new price moves the difference in the order's own account. Kills
    ``_order_modified``'s ``_account(user_id, None)`` (the user's first account paid)."""
    engine = engine_at()
    acc = netting(engine)
    (placed,) = ok(engine, btc(acc, "0.01", order_type="LIMIT", price=units("99000")))
    assert placed.reserved == u(99)
    ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units("98000"), account_id=acc))
    second, first = engine.accounts[acc], engine.accounts["1"]
    assert (second.balance, second.pending_margin) == (u(1000) - u(98), u(98))
    assert (first.balance, first.pending_margin) == (u(1000), 0)


def test_a_modified_order_keeps_its_stops_and_expiry_in_the_book() -> None:
    """A price-only modify keeps the stops (the fill brings them) and the expiry (the order
    still expires). Kills ``_order_modified`` setting stop_loss / take_profit /
    trailing_stop / expires_at to None."""
    engine = engine_at()
    stops = {"stop_loss": units("90000"), "take_profit": units("120000"),
             "trailing_stop": units("800")}  # fmt: skip
    (filling,) = ok(engine, order(order_type="LIMIT", price=units("99000"), **stops))
    (expiring,) = ok(engine, order(order_type="LIMIT", price=units("95000"),
                                   expires_at=T0 + 60_000))  # fmt: skip
    for placed, price in ((filling, "98000"), (expiring, "94000")):
        ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units(price)))
    engine.on_tick(PriceTick(BTC, units("97900"), T0 + 10))  # ask 97948.95 <= 98000
    pos = engine.positions[filling.order_id]
    assert (pos.open_price, pos.stop_loss, pos.take_profit, pos.trailing_stop) == (
        units("98000"), units("90000"), units("120000"), units("800"))  # fmt: skip
    assert engine.handle(ClockTick(T0 + 59_999)).events == ()
    (gone,) = engine.handle(ClockTick(T0 + 60_000)).events
    assert isinstance(gone, OrderCancelled)
    assert (gone.order_id, gone.status, gone.released) == (expiring.order_id, "EXPIRED", u(100))


def test_a_pending_reduce_of_part_of_the_position_ends_and_returns_its_reservation() -> None:
    """A SHORT LIMIT of half the LONG's qty closes that half at its price (a partial close
    with its own order id); the order ends and its reservation returns. Kills
    ``_part_closed``'s ``_end_order(None, ...)`` and ``_end_order(id, None)`` (killed only by
    chance by the property tests in the first run, survivors of the second)."""
    engine = engine_at()
    acc = netting(engine)
    q = Fraction("0.02")
    (opened,) = ok(engine, btc(acc, "0.02"))
    (placed,) = ok(engine, btc(acc, "0.01", side="SHORT", order_type="LIMIT",
                               price=units("101000")))  # fmt: skip
    assert placed.reserved == u(101)
    (part, *_) = engine.on_tick(PriceTick(BTC, units("101100"), T0))  # bid 101049.45
    assert isinstance(part, PositionPartiallyClosed) and part.by_order_id == placed.order_id
    margin = margin_of(ASK, q)  # 200.1
    part_margin = margin // 2  # floor(M * q / Q), q / Q = 1/2
    pnl = (Fraction(101000) - ASK) * q / 2  # 9.5
    assert (part.part_qty, part.part_margin) == (u(q / 2), part_margin)
    assert part.settlement == part_margin + u(pnl)
    account = engine.accounts[acc]
    assert engine.pending == {} and account.pending_orders == {}
    assert (account.balance, account.pending_margin) == (u(1000) - margin + part.settlement, 0)
    pos = engine.positions[opened.order_id]
    assert (pos.qty, pos.margin) == (u(q / 2), margin - part_margin)
