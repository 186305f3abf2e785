"""Client order ids (SPEC 12 for the native API, Binance's rule for its API): the native
API's retry answers the first order; an order from Binance's API may reuse an id once its
order has ended (-4116 while it rests), and the id then names the new order, also after a
restore from a snapshot."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.engine.test_orders_v2 import T0, engine_at, netting, ok, order
from velox.engine.commands import CancelOrder, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.settings import EngineSettings

LIMIT = order(order_type="LIMIT", price=90_000 * 10**8, client_order_id="grid/7")


def binance(**kw: Any) -> OpenPosition:
    return replace(LIMIT, client_id_reusable=True, **kw)


def test_the_native_api_answers_a_repeated_id_with_the_first_order() -> None:
    engine = engine_at()
    native = replace(LIMIT, client_order_id="grid-7")
    (placed,) = ok(engine, native)
    out = engine.handle(native)
    assert (out.existing, out.events) == (placed.order_id, ())
    assert engine.handle(LIMIT).refusal.code == Code.VALIDATION_ERROR  # type: ignore[union-attr]


def test_binance_refuses_an_id_a_resting_order_holds_and_reuses_an_ended_ones() -> None:
    engine = engine_at()
    (first,) = ok(engine, binance())
    out = engine.handle(binance())
    assert out.refusal is not None and out.refusal.code == Code.DUPLICATE_CLIENT_ORDER_ID
    assert out.events == () and list(engine.pending) == [first.order_id]
    ok(engine, CancelOrder("alice", first.order_id, T0))
    (second,) = ok(engine, binance())
    assert second.order_id != first.order_id
    account = engine.account_of("alice", None)
    assert account is not None
    assert engine.client_ids[(account.account_id, "grid/7")] == second.order_id
    # a market order may reuse it too once the second has ended, and then names it
    ok(engine, CancelOrder("alice", second.order_id, T0))
    (opened,) = ok(engine, binance(order_type="MARKET", price=None))
    restored = Engine.restore(engine.export(), EngineSettings())
    assert restored.client_ids[(account.account_id, "grid/7")] == opened.order_id


def test_a_restore_keeps_the_bindings_and_their_order() -> None:
    """``velox audit`` compares a snapshot + tail with the full replay: restoring inserted
    the positions and orders first (binding their own ids), so the list came back in
    another order (a false "snapshot differs"), and a position's old id took its name back
    from the newer order a Binance client reused it for."""
    engine = engine_at()
    ok(engine, replace(LIMIT, client_order_id="a", order_type="MARKET", price=None))
    ok(engine, replace(LIMIT, client_order_id="b"))
    # the open position's id 'x' is reused (Binance's rule) by a resting order
    (opened,) = ok(engine, binance(client_order_id="x", order_type="MARKET", price=None))
    (reused,) = ok(engine, binance(client_order_id="x"))
    account = engine.account_of("alice", None)
    assert account is not None and opened.order_id in engine.positions
    restored = Engine.restore(engine.export(), EngineSettings())
    assert restored.client_id_list == engine.client_id_list
    assert restored.client_ids[(account.account_id, "x")] == reused.order_id
    assert restored.export() == engine.export()


def test_a_resting_order_that_fills_into_a_position_keeps_its_name() -> None:
    """A market scale-in's id names the position (as its reply did); a resting order's id
    keeps naming that order once it has filled into the position."""
    engine = engine_at()
    acc = netting(engine)
    (held,) = ok(engine, order(account_id=acc))
    (resting,) = ok(engine, replace(LIMIT, account_id=acc, client_order_id="lim-1",
                                    price=99_000 * 10**8))  # fmt: skip
    engine.on_tick(PriceTick("BTCUSDT", 98_950 * 10**8, T0))  # ask 98999.475: fills
    assert resting.order_id not in engine.pending
    assert engine.client_ids[(acc, "lim-1")] == resting.order_id
    (scaled,) = ok(engine, replace(order(account_id=acc), client_order_id="mkt-1"))
    assert engine.client_ids[(acc, "mkt-1")] == held.order_id == scaled.position_id
