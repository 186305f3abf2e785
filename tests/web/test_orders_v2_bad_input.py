"""Issue 12, "bad input gets a clear error and changes nothing": every case over a real
socket, with its status, code and field, and the account exactly as it was afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, assert_error, signup, tick

BTC = "BTCUSDT"
LIMIT = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100", "type": "LIMIT",
         "price": "90000"}  # fmt: skip
STATUSES = ("OPEN", "PENDING", "CANCELLED", "CLOSED", "FILLED")


@pytest.fixture
async def trader(client: TestClient[Any, Any]) -> User:
    user = await signup(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    await user.open(**LIMIT)  # something to leave alone
    await user.open(asset=BTC, side="SHORT", leverage=5, margin="10")
    return user


async def state(user: User, headers: dict[str, str] | None = None) -> Any:
    kw: dict[str, Any] = {"headers": headers or {}}
    return (
        await user.json("GET", "/api/v1/order/user/balance", 200, **kw),
        [
            (await user.json("GET", f"/api/v1/order/user/orders?status={s}", 200, **kw))
            for s in STATUSES
        ],
        await user.json("GET", "/api/v1/order/user/fills", 200, **kw),
    )


CASES = [
    ("limit without price", {**LIMIT, "price": None}, 400, "VALIDATION_ERROR", "price"),
    ("stop without price", {**LIMIT, "type": "STOP", "price": None}, 400, "VALIDATION_ERROR",
     "price"),
    ("zero price", {**LIMIT, "price": "0"}, 400, "VALIDATION_ERROR", "price"),
    ("negative price", {**LIMIT, "price": "-1"}, 400, "VALIDATION_ERROR", "price"),
    ("market with a price", {**LIMIT, "type": "MARKET"}, 400, "VALIDATION_ERROR", "price"),
    ("unknown type", {**LIMIT, "type": "ICEBERG"}, 400, "VALIDATION_ERROR", "type"),
    ("expiresAt in the past", {**LIMIT, "expiresAt": 1}, 400, "VALIDATION_ERROR", "expiresAt"),
    ("expiresAt not an integer", {**LIMIT, "expiresAt": "soon"}, 400, "VALIDATION_ERROR",
     "expiresAt"),
    ("clientOrderId with a blank", {**LIMIT, "clientOrderId": "a b"}, 400, "VALIDATION_ERROR",
     "clientOrderId"),
    ("clientOrderId of 37", {**LIMIT, "clientOrderId": "x" * 37}, 400, "VALIDATION_ERROR",
     "clientOrderId"),
    ("empty clientOrderId", {**LIMIT, "clientOrderId": ""}, 400, "VALIDATION_ERROR",
     "clientOrderId"),
    ("reduceOnly not a boolean", {**LIMIT, "reduceOnly": "yes"}, 400, "VALIDATION_ERROR",
     "reduceOnly"),
    ("reduceOnly in a HEDGING account", {**LIMIT, "reduceOnly": True}, 422,
     "REDUCE_ONLY_REJECTED", "reduceOnly"),
    ("a stop already through", {**LIMIT, "type": "STOP", "price": "100000"}, 422,
     "WOULD_TRIGGER_IMMEDIATELY", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_a_bad_open_changes_nothing(
    trader: User, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    before = await state(trader)
    assert_error(await trader.open(status, **body), code, field)
    assert await state(trader) == before


OCO_CASES = [
    ("of one order", {"orders": [LIMIT]}),
    ("of three orders", {"orders": [LIMIT, LIMIT, LIMIT]}),
    ("on two assets", {"orders": [LIMIT, {**LIMIT, "asset": "ETHUSDT", "price": "2000"}]}),
    ("with a market leg", {"orders": [LIMIT, {**LIMIT, "type": "MARKET", "price": None}]}),
    ("not a list", {"orders": LIMIT}),
]


@pytest.mark.parametrize("body", [c[1] for c in OCO_CASES], ids=[c[0] for c in OCO_CASES])
async def test_a_bad_oco_changes_nothing(trader: User, body: dict[str, Any]) -> None:
    before = await state(trader)
    answer = await trader.json("POST", "/api/v1/order/oco", 400, json=body)
    assert_error(answer, "VALIDATION_ERROR", "orders")
    assert await state(trader) == before


async def test_touching_another_users_order_or_account_is_404(
    trader: User, client: TestClient[Any, Any]
) -> None:
    other = await signup(client)
    theirs = await other.open(**LIMIT)
    their_account = (await other.json("GET", "/api/v1/accounts", 200))["accounts"][0]
    before, their_before = await state(trader), await state(other)
    order_path = f"/api/v1/order/{theirs['orderId']}"
    assert_error(await trader.json("DELETE", order_path, 404), "NOT_FOUND")
    assert_error(await trader.json("PATCH", order_path, 404, json={"price": "1"}), "NOT_FOUND")
    assert_error(await trader.json("GET", order_path, 404), "NOT_FOUND")
    theirs_by_header = {"X-Velox-Account": their_account["accountId"]}
    for method, path, kw in (
        ("POST", "/api/v1/order/open", {"json": LIMIT}),
        ("GET", "/api/v1/order/user/balance", {}),
        ("GET", "/api/v1/order/user/orders?status=PENDING", {}),
        ("GET", "/api/v1/order/user/fills", {}),
        ("PATCH", f"/api/v1/accounts/{their_account['accountId']}", {"json": {"name": "mine"}}),
        ("POST", f"/api/v1/accounts/{their_account['accountId']}/reset", {}),
    ):
        answer = await trader.json(method, path, 404, headers=theirs_by_header, **kw)
        assert_error(answer, "NOT_FOUND")
    by_query = f"/api/v1/order/user/balance?account={their_account['accountId']}"
    assert_error(await trader.json("GET", by_query, 404), "NOT_FOUND")
    assert_error(
        await trader.json("GET", "/api/v1/order/user/balance", 404,
                          headers={"X-Velox-Account": "abc"}),
        "NOT_FOUND",
    )  # fmt: skip
    mine = (await trader.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    for query in ("", "x", their_account["accountId"]):  # never ignored beside a good header
        answer = await trader.json("GET", f"/api/v1/order/user/balance?account={query}", 404,
                                   headers={"X-Velox-Account": mine})  # fmt: skip
        assert_error(answer, "NOT_FOUND")
    assert await state(trader) == before
    assert await state(other) == their_before


async def test_netting_refusals_change_nothing(trader: User) -> None:
    netting = await trader.json(
        "POST", "/api/v1/accounts", 201, json={"name": "bot", "mode": "NETTING"}
    )
    acct = {"X-Velox-Account": netting["accountId"]}
    market = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100"}
    before = await state(trader, acct)
    answer = await trader.json("POST", "/api/v1/order/open", 422, headers=acct,
                               json={**market, "side": "SHORT", "reduceOnly": True})  # fmt: skip
    assert_error(answer, "REDUCE_ONLY_REJECTED")
    assert await state(trader, acct) == before
    await trader.json("POST", "/api/v1/order/open", 201, headers=acct, json=market)
    before = await state(trader, acct)
    answer = await trader.json("POST", "/api/v1/order/open", 422, headers=acct,
                               json={**market, "leverage": 20})  # fmt: skip
    assert_error(answer, "LEVERAGE_MISMATCH")
    assert await state(trader, acct) == before
