"""A LIMIT order's time in force (Binance's ``timeInForce``), beside GTC, the resting default:

- IOC fills at once if it can (marketable: a LONG at or above the ask, a SHORT at or below the
  bid, filled at the ask/bid as a taker), and otherwise ends EXPIRED at once: placed and
  expired in the same command, its reservation back, nothing left resting;
- FOK fills at once or is refused (WOULD_NOT_FILL) and leaves nothing (Velox fills an order
  whole or not at all, so filling all at once and filling at once are the same);
- GTX (post-only) rests as a maker or is refused (WOULD_TAKE) if it would fill at once.

Bots written for Binance send these (ccxt's ``postOnly`` is GTX); they were refused with
-1115. The quote here: BTC ref 100000, bid 99950, ask 100050."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.test_orders_v2 import engine_at, netting, ok, order
from velox import codec
from velox.engine.commands import CancelOrder, PriceTick
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import (
    OrderCancelled,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.snapshot_format import SnapshotFormat
from velox.money import units

BID, ASK = units("99950"), units("100050")
ONE = 1
T0 = 1_700_000_000_000


def limit(side: str, price: int, tif: str, **kw: Any) -> Any:
    return order(order_type="LIMIT", side=side, price=price, time_in_force=tif, **kw)


def balance(engine: Engine) -> int:
    (account,) = [a for a in engine.accounts.values() if a.user_id == "alice"]
    return account.balance


@pytest.mark.parametrize("side, through", [("LONG", ASK), ("SHORT", BID)])
@pytest.mark.parametrize("tif", ["IOC", "FOK"])
def test_ioc_and_fok_through_the_market_fill_at_once_at_the_quote(
    side: str, through: int, tif: str
) -> None:
    engine = engine_at()
    events = ok(engine, limit(side, through, tif))
    (opened,) = [e for e in events if isinstance(e, PositionOpened)]
    assert opened.open_price == through  # the ask / bid: a taker's fill
    assert opened.margin == units("100") and engine.pending == {}


@pytest.mark.parametrize("side, short_of", [("LONG", ASK - ONE), ("SHORT", BID + ONE)])
def test_an_ioc_that_cannot_fill_expires_at_once_and_gives_its_reservation_back(
    side: str, short_of: int
) -> None:
    engine = engine_at()
    before = balance(engine)
    events = ok(engine, limit(side, short_of, "IOC", client_order_id="ioc-1"))
    placed, expired = events
    assert isinstance(placed, OrderPlaced) and isinstance(expired, OrderCancelled)
    assert (expired.order_id, expired.status, expired.reason) == (
        placed.order_id,
        "EXPIRED",
        "EXPIRED",
    )
    assert expired.released == placed.reserved == units("100")
    assert balance(engine) == before and engine.pending == {} and engine.positions == {}
    # the id names an order that has ended: free again, as on Binance
    ok(engine, limit(side, short_of, "GTC", client_order_id="ioc-1", client_id_reusable=True))
    # its events alone, applied as a replay applies them, leave the same state
    rebuilt = engine_at()
    for event in events:
        rebuilt.apply(event)
    assert balance(rebuilt) == before and rebuilt.pending == {}


@pytest.mark.parametrize("side, short_of", [("LONG", ASK - ONE), ("SHORT", BID + ONE)])
def test_a_fok_that_cannot_fill_is_refused_and_leaves_nothing(side: str, short_of: int) -> None:
    engine = engine_at()
    before = balance(engine)
    out = engine.handle(limit(side, short_of, "FOK"))
    assert out.refusal is not None and out.refusal.code is Code.WOULD_NOT_FILL
    assert out.events == () or out.events == []
    assert balance(engine) == before and engine.pending == {} and engine.positions == {}


@pytest.mark.parametrize("side, through", [("LONG", ASK), ("SHORT", BID)])
def test_a_post_only_order_that_would_take_is_refused(side: str, through: int) -> None:
    engine = engine_at()
    before = balance(engine)
    out = engine.handle(limit(side, through, "GTX"))
    assert out.refusal is not None and out.refusal.code is Code.WOULD_TAKE
    assert balance(engine) == before and engine.pending == {} and engine.positions == {}


@pytest.mark.parametrize("side, short_of", [("LONG", ASK - ONE), ("SHORT", BID + ONE)])
def test_a_post_only_order_rests_and_fills_as_a_maker_at_its_price(
    side: str, short_of: int
) -> None:
    engine = engine_at()
    (placed,) = ok(engine, limit(side, short_of, "GTX"))
    assert isinstance(placed, OrderPlaced) and placed.order_id in engine.pending
    # the market comes to it: filled at exactly its price
    ref = "99000" if side == "LONG" else "101000"
    events = engine.on_tick(PriceTick("BTCUSDT", units(ref), T0 + 1000))
    (opened,) = [e for e in events if isinstance(e, PositionOpened)]
    assert opened.open_price == short_of


@pytest.mark.parametrize("kind", ["MARKET", "STOP"])
@pytest.mark.parametrize("tif", ["IOC", "FOK", "GTX"])
def test_a_time_in_force_is_for_limit_orders(kind: str, tif: str) -> None:
    engine = engine_at()
    price = None if kind == "MARKET" else ASK + units("100")
    out = engine.handle(order(order_type=kind, price=price, time_in_force=tif))
    assert out.refusal is not None
    assert (out.refusal.code, out.refusal.field) == (Code.VALIDATION_ERROR, "timeInForce")


def test_an_unknown_time_in_force_is_refused() -> None:
    out = engine_at().handle(limit("LONG", ASK - ONE, "GTD"))
    assert out.refusal is not None
    assert (out.refusal.code, out.refusal.field) == (Code.VALIDATION_ERROR, "timeInForce")


def test_the_time_in_force_is_the_orders_from_its_placing_to_its_end() -> None:
    """Every event that writes the order's row carries it, and a resting order keeps it in
    the engine and its snapshots; it was dropped at the command, so a GTX read back GTC."""
    engine = engine_at()
    netted = netting(engine)
    (gtx,) = ok(engine, limit("LONG", ASK - ONE, "GTX"))
    assert gtx.time_in_force == engine.pending[gtx.order_id].time_in_force == "GTX"
    restored = Engine.restore(codec.loads(codec.dumps(engine.export())))
    assert restored.pending[gtx.order_id].time_in_force == "GTX"
    (cancelled,) = ok(restored, CancelOrder("alice", gtx.order_id, T0))
    assert isinstance(cancelled, OrderCancelled) and cancelled.time_in_force == "GTX"
    placed, expired = ok(engine, limit("LONG", ASK - ONE, "IOC"))
    assert (placed.time_in_force, expired.time_in_force) == ("IOC", "IOC")
    on = {"account_id": netted}
    (opened,) = ok(engine, limit("LONG", ASK, "FOK", **on))
    (added,) = ok(engine, limit("LONG", ASK, "IOC", **on))
    (reduced,) = ok(engine, limit("SHORT", BID, "FOK", margin=units("50"), **on))
    assert isinstance(opened, PositionOpened) and isinstance(added, PositionIncreased)
    assert isinstance(reduced, PositionPartiallyClosed)
    assert (opened.time_in_force, added.time_in_force, reduced.by_time_in_force) == (
        "FOK", "IOC", "FOK"
    )  # fmt: skip
    (position,) = engine.positions.values()  # the NETTING account's; a flip:
    closed, flipped = ok(engine, limit("SHORT", BID, "IOC", qty=position.qty * 2, margin=None,
                                       **on))  # fmt: skip
    assert isinstance(closed, PositionClosed) and isinstance(flipped, PositionOpened)
    assert (closed.by_time_in_force, flipped.time_in_force) == ("IOC", "IOC")


def test_what_an_older_velox_wrote_reads_as_gtc() -> None:
    """A journal event without the field decodes with GTC, all an older Velox kept; a
    snapshot whose pending rows lack it restores them with GTC, and is not taken for one
    the engine must be rebuilt past (``snapshot_format.DEFAULTED``): a replay of that
    journal gives GTC too."""
    engine = engine_at()
    (placed,) = ok(engine, limit("LONG", ASK - ONE, "GTX"))
    old = {k: v for k, v in codec.loads(codec.encode_event(placed)).items()
           if k != "time_in_force"}  # fmt: skip
    decoded = codec.decode_event("OrderPlaced", codec.dumps(old))
    assert isinstance(decoded, OrderPlaced) and decoded.time_in_force == "GTC"
    data = codec.loads(codec.dumps(engine.export()))
    assert data["pending_fields"][-1] == "time_in_force"
    data["pending_fields"].pop()
    data["pending"] = [row[:-1] for row in data["pending"]]
    assert SnapshotFormat.of(data).missing() == []
    assert Engine.restore(data).pending[placed.order_id].time_in_force == "GTC"
