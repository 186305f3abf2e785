"""Every worked example of tests/vectors/orders-v2.json (SPEC 12), reproduced exactly:
pending LIMIT / STOP orders with reservations and fees, a fee'd liquidation, funding, and
NETTING scale-in, reduce and flip."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vectors import load
from velox.engine.commands import (
    ClockTick,
    ClosePosition,
    CreateAccount,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.engine import Engine
from velox.engine.events import (
    FundingCharged,
    FundingCompleted,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.settings import EngineSettings
from velox.engine.views import account_figures, ledger
from velox.money import format_units, units

CASES: list[dict[str, Any]] = load("orders-v2")["cases"]
T0 = 1_700_000_000_000
HOUR8 = 28_800_000


def by_kind(*keys: str) -> list[dict[str, Any]]:
    return [c for c in CASES if all(k in c for k in keys)]


def asset_for(ref: str) -> str:
    value = units(ref)
    return (
        "BTCUSDT"
        if value >= units("50000")
        else "ETHUSDT"
        if value >= units("1000")
        else ("SOLUSDT")
    )


class Run:
    """One engine and one trader, ``alice``, the way a case describes them."""

    def __init__(self, case: dict[str, Any]) -> None:
        s = case.get("settings", {})
        self.engine = Engine(
            EngineSettings(
                maker_fee=units(s.get("makerFee", "0")),
                taker_fee=units(s.get("takerFee", "0")),
                funding_rate=units(s.get("fundingRate", "0.0001")),
            )
        )
        out = self.engine.handle(OpenAccount("alice", T0))  # signup's (HEDGING)
        assert out.ok, out.refusal
        if s.get("mode") == "NETTING":  # a second account (a user's first is made at signup)
            out = self.engine.handle(CreateAccount("alice", "Bot", "NETTING", T0))
            assert out.ok, out.refusal
        self.account_id = self.engine.user_accounts["alice"][-1]
        self.ts = T0
        self.asset = ""

    def tick(self, ref: str, expect: dict[str, Any] | None = None) -> list[Any]:
        self.ts += 1
        if not self.asset:
            self.asset = asset_for(ref)
        events = self.engine.on_tick(PriceTick(self.asset, units(ref), self.ts))
        if expect is not None and "bid" in expect:
            q = self.engine.quotes[self.asset]
            assert (format_units(q.bid), format_units(q.ask)) == (expect["bid"], expect["ask"])
        assert ledger(self.engine)["conserved"], ledger(self.engine)
        return events

    def order(self, o: dict[str, Any]) -> Any:
        amount = {"margin": units(o["margin"])} if "margin" in o else {"qty": units(o["qty"])}
        out = self.engine.handle(
            OpenPosition(
                "alice",
                self.asset,
                o["side"],
                o["leverage"],
                self.ts,
                order_type=o.get("type", "MARKET"),
                price=units(o["price"]) if "price" in o else None,
                account_id=self.account_id,
                **amount,  # type: ignore[arg-type]
            )
        )
        assert out.ok, out.refusal
        assert ledger(self.engine)["conserved"], ledger(self.engine)
        return out

    def balance(self) -> str:
        return format_units(self.engine.accounts[self.account_id].balance)


def check_opened(event: Any, exp: dict[str, Any], run: Run) -> None:
    assert isinstance(event, PositionOpened)
    assert format_units(event.open_price) == exp["openPrice"]
    assert format_units(event.qty) == exp["qty"]
    if "margin" in exp:
        assert format_units(event.margin) == exp["margin"]
    if "openFee" in exp:
        assert format_units(event.fee) == exp["openFee"]
    if "maker" in exp:
        assert event.maker is exp["maker"]
    assert format_units(event.liquidation_price) == exp["liquidationPrice"]
    if "balanceAfter" in exp:
        assert run.balance() == exp["balanceAfter"]


@pytest.mark.parametrize("case", by_kind("place", "fillTick"), ids=lambda c: c["name"])
def test_pending_order_rests_then_fills(case: dict[str, Any]) -> None:
    run = Run(case)
    place = case["place"]
    run.tick(place["ref"], place)
    out = run.order(place["order"])
    (placed,) = out.events
    assert isinstance(placed, OrderPlaced) and place["expect"]["status"] == "PENDING"
    figures = account_figures(run.engine, "alice", run.account_id)
    assert format_units(figures.pending_margin) == place["expect"]["pendingMargin"]
    if "balanceAfter" in place["expect"]:
        assert run.balance() == place["expect"]["balanceAfter"]
    fill = case["fillTick"]
    events = run.tick(fill["ref"], fill)
    opened = [e for e in events if isinstance(e, PositionOpened)]
    assert len(opened) == 1 and opened[0].order_id == placed.order_id  # keeps its orderId
    check_opened(opened[0], fill["expect"], run)
    assert run.engine.pending == {}
    assert account_figures(run.engine, "alice").pending_margin == 0
    if "close" in case:
        close = case["close"]
        run.tick(close["ref"])
        out = run.engine.handle(ClosePosition("alice", placed.order_id, run.ts))
        (closed,) = out.events
        assert isinstance(closed, PositionClosed)
        exp = close["expect"]
        assert format_units(closed.close_price) == exp["closePrice"]
        assert format_units(closed.pnl) == exp["pnl"]
        assert format_units(closed.close_fee) == exp["closeFee"]
        assert format_units(closed.fee) == exp["fee"]
        assert format_units(closed.settlement) == exp["settlement"]
        assert run.balance() == exp["balanceAfter"]
        assert ledger(run.engine)["conserved"]


@pytest.mark.parametrize("case", by_kind("open", "close"), ids=lambda c: c["name"])
def test_market_open_with_fee_then_liquidation(case: dict[str, Any]) -> None:
    run = Run(case)
    run.tick(case["open"]["ref"], case["open"])
    out = run.order(case["open"]["order"])
    check_opened(out.events[0], case["open"]["expect"], run)
    close = case["close"]
    (closed,) = run.tick(close["ref"])
    assert isinstance(closed, PositionClosed) and closed.reason == close["reason"]
    exp = close["expect"]
    assert format_units(closed.close_price) == exp["closePrice"]
    assert format_units(closed.pnl) == exp["pnl"]
    assert format_units(closed.close_fee) == exp["closeFee"]
    assert format_units(closed.settlement) == exp["settlement"]
    assert format_units(run.engine.house) == exp["houseGets"]


@pytest.mark.parametrize("case", by_kind("open", "funding"), ids=lambda c: c["name"])
def test_funding_boundary(case: dict[str, Any]) -> None:
    run = Run(case)
    run.tick(case["open"]["ref"])
    out = run.order(case["open"]["order"])
    check_opened(out.events[0], case["open"]["expect"], run)
    boundary = (T0 // HOUR8 + 1) * HOUR8
    run.ts = boundary - 5
    run.tick(case["funding"]["ref"])
    before = run.engine.handle(ClockTick(boundary - 1))
    assert before.events == ()  # the boundary before it owed nothing: nothing journaled
    out = run.engine.handle(ClockTick(boundary))
    charged = [e for e in out.events if isinstance(e, FundingCharged)]
    assert len(charged) == 1 and charged[0].boundary == boundary
    exp = case["funding"]["expect"]
    pos = run.engine.positions[charged[0].order_id]
    assert format_units(charged[0].amount) == exp["funding"]
    assert format_units(pos.margin) == exp["margin"]
    assert format_units(pos.liquidation_price) == exp["liquidationPrice"]
    assert format_units(pos.funding) == exp["funding"]
    assert out.events[-1] == FundingCompleted(boundary, boundary)
    assert ledger(run.engine)["conserved"]
    again = run.engine.handle(ClockTick(boundary + 1000))  # the same boundary: never twice
    assert again.events == ()


def position_matches(pos: Any, exp: dict[str, Any]) -> None:
    for field, name in (
        ("qty", "qty"),
        ("margin", "margin"),
        ("open_price", "openPrice"),
        ("liquidation_price", "liquidationPrice"),
    ):
        if name in exp:
            assert format_units(getattr(pos, field)) == exp[name], name
    if "side" in exp:
        assert pos.side == exp["side"]


@pytest.mark.parametrize("case", by_kind("fills"), ids=lambda c: c["name"])
def test_netting(case: dict[str, Any]) -> None:
    run = Run(case)
    outs = []
    for fill in case["fills"]:
        run.tick(fill["ref"])
        outs.append(run.order(fill["order"]))
    exp = case["expect"]
    last = list(outs[-1].events)
    (position_id,) = run.engine.accounts[run.account_id].open_orders
    pos = run.engine.positions[position_id]
    if "closedPart" in exp:
        (part,) = last
        assert isinstance(part, PositionPartiallyClosed) and part.reason == "REDUCE"
        cp = exp["closedPart"]
        assert part.reason == cp["closeReason"]
        assert format_units(part.part_qty) == cp["qty"]
        assert format_units(part.part_margin) == cp["margin"]
        assert format_units(part.close_price) == cp["closePrice"]
        assert format_units(part.pnl) == cp["pnl"]
        assert format_units(part.settlement) == cp["settlement"]
        position_matches(pos, exp["remaining"])
    elif "closed" in exp:
        closed, opened = last
        assert isinstance(closed, PositionClosed) and closed.reason == "REDUCE"
        c = exp["closed"]
        assert format_units(closed.qty) == c["qty"]
        assert format_units(closed.margin) == c["margin"]
        assert format_units(closed.close_price) == c["closePrice"]
        assert format_units(closed.pnl) == c["pnl"]
        assert format_units(closed.settlement) == c["settlement"]
        assert isinstance(opened, PositionOpened) and opened.order_id == position_id
        position_matches(pos, exp["opened"])
    else:
        (increased,) = last
        assert isinstance(increased, PositionIncreased)
        position_matches(pos, exp)
    assert ledger(run.engine)["conserved"]
