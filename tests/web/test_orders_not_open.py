"""Acting on an order that is not an open position (SPEC 7, 12): a close or a margin of the
owner's PENDING order is 409 ``ORDER_NOT_OPEN``, and of a CANCELLED, EXPIRED, REJECTED or
FILLED one too; a stops PATCH of one that has ended is 409 ``ORDER_NOT_PENDING``, as a PATCH
with a price already was. All of them answered 404 "no such order" while GET of the same id
answered 200. Another user still gets 404 for each, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, signup, tick
from tests.web.test_orders_v2_cancel_finished import MAKERS, limit
from velox.clock import ManualClock

BTC = "BTCUSDT"
ENDED = ["CANCELLED", "EXPIRED", "REJECTED", "FILLED"]


ACTIONS = [
    ("POST", "/api/v1/order/close/{}", None),
    ("POST", "/api/v1/order/close/{}", {"percent": 40}),
    ("POST", "/api/v1/order/{}/margin", {"amount": "5"}),
]


async def _unchanged_after(
    owner: User, other: User, order_id: str, acct: dict[str, str],
    attempts: list[tuple[str, str, Any, str]],
) -> None:  # fmt: skip
    """Each attempt answers its 409 code to the owner, 404 to another user, and leaves the
    order and both users' figures as they were."""
    owner_path = f"/api/v1/order/{order_id}"
    before = await owner.json("GET", owner_path, 200, headers=acct)
    figures = await owner.json("GET", "/api/v1/order/user/balance", 200, headers=acct)
    other_figures = await other.balance()
    for method, path, body, code in attempts:
        answer = await owner.json(method, path, 409, headers=acct, json=body)
        assert answer["error"]["code"] == code, (method, path, body)
        answer = await other.json(method, path, 404, json=body)
        assert answer["error"]["code"] == "NOT_FOUND", (method, path, body)
    assert await owner.json("GET", owner_path, 200, headers=acct) == before
    assert await owner.json("GET", "/api/v1/order/user/balance", 200, headers=acct) == figures
    assert await other.balance() == other_figures


async def test_close_or_margin_of_a_pending_order_is_409_order_not_open(
    fee_client: TestClient[Any, Any],
) -> None:
    owner, other = await signup(fee_client), await signup(fee_client)
    await tick(fee_client, BTC, "100000")
    placed = await owner.open(**limit("90000"))
    assert placed["status"] == "PENDING"
    attempts = [(m, p.format(placed["orderId"]), b, "ORDER_NOT_OPEN") for m, p, b in ACTIONS]
    await _unchanged_after(owner, other, placed["orderId"], {}, attempts)
    # a stops PATCH of a pending order changes its stops (SPEC 12), so it is no refusal
    path = f"/api/v1/order/{placed['orderId']}"
    await other.json("PATCH", path, 404, json={"stopLoss": "85000"})
    changed = await owner.json("PATCH", path, 200, json={"stopLoss": "85000"})
    assert (changed["status"], changed["stopLoss"]) == ("PENDING", "85000.00000000")


@pytest.mark.parametrize("case", ENDED)
async def test_acting_on_an_ended_order_is_409_to_its_owner_and_404_to_anyone_else(
    fee_client: TestClient[Any, Any], clock: ManualClock, case: str
) -> None:
    owner, other = await signup(fee_client), await signup(fee_client)
    await tick(fee_client, BTC, "100000")
    order_id, acct = await MAKERS[case](owner, fee_client, clock)
    assert (await owner.json("GET", f"/api/v1/order/{order_id}", 200, headers=acct))[
        "status"
    ] == case
    attempts = [(m, p.format(order_id), b, "ORDER_NOT_OPEN") for m, p, b in ACTIONS]
    path = f"/api/v1/order/{order_id}"
    attempts += [
        ("PATCH", path, {"stopLoss": "85000"}, "ORDER_NOT_PENDING"),
        ("PATCH", path, {"takeProfit": None}, "ORDER_NOT_PENDING"),
        ("PATCH", path, {"price": "91000"}, "ORDER_NOT_PENDING"),  # as before
    ]
    await _unchanged_after(owner, other, order_id, acct, attempts)


async def test_a_pending_order_of_another_own_account_stays_404(
    fee_client: TestClient[Any, Any],
) -> None:
    """An order of the user's other account is not in the account the request names (SPEC
    13): 404 there, as GET answers, and 409 only in its own account."""
    owner = await signup(fee_client)
    await tick(fee_client, BTC, "100000")
    second = await owner.json(
        "POST", "/api/v1/accounts", 201, json={"name": "two", "mode": "HEDGING"}
    )
    in_second = {"X-Velox-Account": second["accountId"]}
    placed = await owner.json(
        "POST", "/api/v1/order/open", 201, headers=in_second, json=limit("90000")
    )
    path = f"/api/v1/order/close/{placed['orderId']}"
    await owner.json("GET", f"/api/v1/order/{placed['orderId']}", 404)
    assert (await owner.json("POST", path, 404))["error"]["code"] == "NOT_FOUND"
    body = await owner.json("POST", path, 409, headers=in_second)
    assert body["error"]["code"] == "ORDER_NOT_OPEN"


async def test_a_closed_order_of_another_account_is_not_found_in_this_one(
    fee_client: TestClient[Any, Any],
) -> None:
    """As for a pending or ended order: acting on a closed position of another of the user's
    accounts is 404 in the one the request names (SPEC 13), not 409 ORDER_CLOSED (which it
    answered, while the same case of a pending order answered 404)."""
    owner = await signup(fee_client)
    await tick(fee_client, BTC, "100000")
    order = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "10"}
    opened = await owner.json("POST", "/api/v1/order/open", 201, json=order)
    await owner.json("POST", f"/api/v1/order/close/{opened['orderId']}", 200, json={})
    second = await owner.json(
        "POST", "/api/v1/accounts", 201, json={"name": "b", "mode": "HEDGING"}
    )
    there = {"X-Velox-Account": second["accountId"]}
    path = f"/api/v1/order/close/{opened['orderId']}"
    answer = await owner.json("POST", path, 404, headers=there, json={})
    assert answer["error"]["code"] == "NOT_FOUND"
    answer = await owner.json("POST", path, 409, json={})  # in its own account: closed
    assert answer["error"]["code"] == "ORDER_CLOSED"
