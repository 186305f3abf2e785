"""Hypothesis-driven trading over HTTP: sequences of opens, partial and full closes, added
margin, stop changes and price moves, each judged by the business rules, with the books
and the account figures checked after every step.

Random bodies on every route, against the API document, are schemathesis's job
(``test_schemathesis.py``); what is left here is what a document cannot say: that valid
orders open at the quoted price, that refusals are the right ones, that a partial close
splits the quantity exactly, and that money is conserved whatever happens.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.helpers import JSON, User, assert_error, signup, tick
from tests.web.schema import check_named
from velox.engine.views import ledger
from velox.money import format_units, units
from velox.web.keys import SERVICE

START = {"BTCUSDT": "100000", "ETHUSDT": "3000"}
ASSETS = sorted(START)
MIN_MARGIN = units("1")  # Settings.min_margin
MONEY = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("1200"), places=8)


@dataclass(frozen=True)
class Open:
    asset: str
    side: str
    leverage: int
    margin: Decimal
    stop_below: bool | None  # a stop-loss on the right (True) or wrong (False) side, or none


@dataclass(frozen=True)
class Close:
    pick: int
    percent: int | None


@dataclass(frozen=True)
class AddMargin:
    pick: int
    amount: Decimal


@dataclass(frozen=True)
class Move:
    asset: str
    bps: int  # the reference price moves by this many basis points


Step = Open | Close | AddMargin | Move
STEPS = st.lists(
    st.one_of(
        st.builds(
            Open,
            st.sampled_from(ASSETS),
            st.sampled_from(["LONG", "SHORT"]),
            st.integers(1, 100),
            MONEY,
            st.none() | st.booleans(),
        ),
        st.builds(Close, st.integers(0, 9), st.none() | st.integers(1, 99)),
        st.builds(AddMargin, st.integers(0, 9), MONEY),
        st.builds(Move, st.sampled_from(ASSETS), st.integers(-1500, 1500)),
    ),
    min_size=1,
    max_size=10,
)


class Trader:
    """One fresh user per example, acting through the API and checking every answer."""

    def __init__(self, user: User, prices: dict[str, int]) -> None:
        self.user = user
        self.prices = prices

    async def quote(self, asset: str) -> dict[str, Any]:
        assets = await self.user.json("GET", "/api/v1/assets", 200)
        quote: dict[str, Any] = next(a for a in assets["assets"] if a["symbol"] == asset)
        return quote

    async def open_orders(self) -> list[dict[str, Any]]:
        listed = await self.user.json("GET", "/api/v1/order/user/orders?status=OPEN", 200)
        orders: list[dict[str, Any]] = listed["orders"]
        return orders

    async def balance(self) -> int:
        return units((await self.user.balance())["balance"])

    async def do(self, step: Step) -> None:
        if isinstance(step, Move):
            self.prices[step.asset] = self.prices[step.asset] * (10_000 + step.bps) // 10_000
            await tick(self.user.client, step.asset, format_units(self.prices[step.asset]))
        elif isinstance(step, Open):
            await self.open(step)
        else:
            orders = await self.open_orders()
            if orders:
                order = orders[step.pick % len(orders)]
                if isinstance(step, Close):
                    await self.close(order, step.percent)
                else:
                    await self.add_margin(order, step.amount)

    async def open(self, step: Open) -> None:
        quote, free = await self.quote(step.asset), await self.balance()
        body: dict[str, Any] = {
            "asset": step.asset,
            "side": step.side,
            "leverage": step.leverage,
            "margin": format(step.margin, "f"),
        }
        if step.stop_below is not None:  # a LONG's stop belongs below the bid, a SHORT's above
            below = step.stop_below == (step.side == "LONG")
            body["stopLoss"] = format_units(units(quote["bid"]) * (9 if below else 11) // 10)
        response = await self.user.call("POST", "/api/v1/order/open", json=body)
        answer = await response.json()
        margin = units(format(step.margin, "f"))
        broken = {  # every rule this order breaks; the engine names one of them
            code
            for code, broke in [
                ("MARGIN_TOO_SMALL", margin < MIN_MARGIN),
                ("INSUFFICIENT_BALANCE", margin > free),
                ("INVALID_STOP_LOSS", step.stop_below is False),
            ]
            if broke
        }
        if broken:
            assert response.status == 422, answer
            assert answer["error"]["code"] in broken, (broken, answer)
            check_named("Error", answer)
            assert await self.balance() == free  # a refusal changes nothing
        else:
            assert response.status == 201, answer
            check_named("Order", answer)
            price = quote["ask"] if step.side == "LONG" else quote["bid"]
            assert (answer["asset"], answer["side"], answer["leverage"]) == (
                step.asset,
                step.side,
                step.leverage,
            )
            assert (answer["margin"], answer["openPrice"]) == (format_units(margin), price)
            assert await self.balance() <= free - margin

    async def close(self, order: dict[str, Any], percent: int | None) -> None:
        path = f"/api/v1/order/close/{order['orderId']}"
        if percent is None:
            closed = await self.user.json("POST", path, 200)
            assert (closed["status"], closed["closeReason"]) == ("CLOSED", "MANUAL")
            assert closed["qty"] == order["qty"] and closed["margin"] == order["margin"]
            again = await self.user.call("POST", path)  # acting on a closed order: a conflict
            assert again.status == 409
            assert_error(await again.json(), "ORDER_CLOSED")
        else:
            parts = await self.user.json("POST", path, 200, json={"percent": percent})
            check_named("PartialClose", parts)
            rest, part = parts["order"], parts["closed"]
            assert part["parentOrderId"] == order["orderId"]
            assert units(rest["qty"]) + units(part["qty"]) == units(order["qty"])
            assert units(rest["margin"]) + units(part["margin"]) == units(order["margin"])

    async def add_margin(self, order: dict[str, Any], amount: Decimal) -> None:
        free, added = await self.balance(), units(format(amount, "f"))
        path = f"/api/v1/order/{order['orderId']}/margin"
        response = await self.user.call("POST", path, json={"amount": format(amount, "f")})
        answer = await response.json()
        if added > free:
            assert response.status == 422, answer
            assert_error(answer, "INSUFFICIENT_BALANCE", "amount")
        else:
            assert response.status == 200, answer
            assert units(answer["margin"]) == units(order["margin"]) + added
            assert await self.balance() == free - added

    async def check_books(self) -> None:
        """The ledger balances; the figures agree with the open orders, to the unit."""
        books = await self.user.client.app[SERVICE].read(ledger)
        assert books["conserved"], books
        figures = await self.user.balance()
        orders = await self.open_orders()
        assert units(figures["balance"]) >= 0
        assert units(figures["usedMargin"]) == sum(units(o["margin"]) for o in orders)
        assert units(figures["unrealizedPnl"]) == sum(units(o["unrealizedPnl"]) for o in orders)
        held = sum(max(0, units(o["margin"]) + units(o["unrealizedPnl"])) for o in orders)
        assert units(figures["equity"]) == units(figures["balance"]) + held
        assert figures["freeMargin"] == figures["balance"]


@settings(
    max_examples=int(os.environ.get("VELOX_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
async def test_trading_follows_the_rules(client: TestClient[Any, Any], steps: list[Step]) -> None:
    user = await signup(client)
    prices = {asset: units(price) for asset, price in START.items()}
    for asset, price in START.items():
        await tick(client, asset, price)
    trader = Trader(user, prices)
    for step in steps:
        await trader.do(step)
        await trader.check_books()


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=st.binary(max_size=64) | st.text(max_size=32).map(str.encode))
@pytest.mark.parametrize("path", ["/api/v1/order/open", "/api/v1/user/signin"])
async def test_junk_bodies_are_clear_400s(
    client: TestClient[Any, Any], path: str, raw: bytes
) -> None:
    """Bytes that are not a JSON object of the right fields: a 400 in the documented error
    shape, never a 5xx (the body is declared JSON: the 415 is test_security's)."""
    user = await signup(client)
    response = await user.call("POST", path, data=raw, headers=JSON)
    body = await response.json()
    assert response.status == 400, (raw, body)
    check_named("Error", body)
    assert body["error"]["code"] in ("INVALID_JSON", "VALIDATION_ERROR")
