"""Cancelling an order that is no longer pending (SPEC 12): the owner gets 409
``ORDER_NOT_PENDING`` for every finished status (CLOSED, a closed part, CANCELLED, EXPIRED,
REJECTED, FILLED), another user 404 ``NOT_FOUND`` for the same order, and neither changes
anything: the order reads back the same and both balances stay to the unit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain

BTC = "BTCUSDT"
Headers = dict[str, str]
Made = tuple[str, Headers]  # the order's id, the owner's account header (if any)


def limit(price: str, **changes: Any) -> dict[str, Any]:
    return {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100", "type": "LIMIT",
            "price": price, **changes}  # fmt: skip


async def closed(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    position = await user.open(asset=BTC, side="LONG", leverage=10, margin="50")
    await user.json("POST", f"/api/v1/order/close/{position['orderId']}", 200)
    return position["orderId"], {}


async def closed_part(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    position = await user.open(asset=BTC, side="LONG", leverage=10, margin="50")
    body = await user.json(
        "POST", f"/api/v1/order/close/{position['orderId']}", 200, json={"percent": 40}
    )
    return body["closed"]["orderId"], {}


async def cancelled(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    placed = await user.open(**limit("90000"))
    await user.json("DELETE", f"/api/v1/order/{placed['orderId']}", 200)
    return placed["orderId"], {}


async def expired(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    placed = await user.open(**limit("90000", expiresAt=clock.now_ms() + 1_000))
    clock.advance(2_000)
    service = service_of(client)
    await drain(service.submit, service.clock())
    await tick(client, BTC, "100000")  # fresh again after the clock moved
    return placed["orderId"], {}


async def rejected(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    # all 1000 reserved: the maker fee of the fill (2) cannot be paid, so it ends REJECTED
    placed = await user.open(**limit("99000", margin="1000"))
    await tick(client, BTC, "98950")  # ask 98999.475 <= 99000
    await tick(client, BTC, "100000")
    return placed["orderId"], {}


async def filled(user: User, client: TestClient[Any, Any], clock: ManualClock) -> Made:
    account = await user.json(
        "POST", "/api/v1/accounts", 201, json={"name": "n", "mode": "NETTING"}
    )
    acct = {"X-Velox-Account": account["accountId"]}
    long = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100"}
    await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    resting = await user.json("POST", "/api/v1/order/open", 201, headers=acct,
                              json=limit("99000", margin="10"))  # fmt: skip
    await tick(client, BTC, "98950")  # fills into the LONG: FILLED
    await tick(client, BTC, "100000")
    return resting["orderId"], acct


MAKERS: dict[str, Callable[[User, TestClient[Any, Any], ManualClock], Awaitable[Made]]] = {
    "CLOSED": closed,
    "CLOSED part": closed_part,
    "CANCELLED": cancelled,
    "EXPIRED": expired,
    "REJECTED": rejected,
    "FILLED": filled,
}
STATUS = {"CLOSED part": "CLOSED"}


@pytest.mark.parametrize("case", list(MAKERS))
async def test_a_finished_order_is_409_to_its_owner_and_404_to_anyone_else(
    fee_client: TestClient[Any, Any], clock: ManualClock, case: str
) -> None:
    owner, other = await signup(fee_client), await signup(fee_client)
    await tick(fee_client, BTC, "100000")  # bid 99950, ask 100050
    order_id, acct = await MAKERS[case](owner, fee_client, clock)
    before = await owner.json("GET", f"/api/v1/order/{order_id}", 200, headers=acct)
    assert before["status"] == STATUS.get(case, case)
    owner_figures = await owner.json("GET", "/api/v1/order/user/balance", 200, headers=acct)
    other_figures = await other.balance()

    body = await owner.json("DELETE", f"/api/v1/order/{order_id}", 409, headers=acct)
    assert body["error"]["code"] == "ORDER_NOT_PENDING"
    body = await other.json("DELETE", f"/api/v1/order/{order_id}", 404)
    assert body["error"]["code"] == "NOT_FOUND"

    assert await owner.json("GET", f"/api/v1/order/{order_id}", 200, headers=acct) == before
    assert await owner.json("GET", "/api/v1/order/user/balance", 200, headers=acct) == (
        owner_figures
    )
    assert await other.balance() == other_figures
    await other.json("GET", f"/api/v1/order/{order_id}", 404)


async def test_an_order_of_another_own_account_is_404_not_409(
    fee_client: TestClient[Any, Any],
) -> None:
    """GET, DELETE and PATCH act on the account the header names (SPEC 13): a resting order
    of the user's other account is not in it (404), and stays resting. DELETE and PATCH
    answered 409 ORDER_NOT_PENDING, which tells a bot its order is gone while it still holds
    margin; GET answered 200 whatever account was named, even one that does not exist."""
    owner = await signup(fee_client)
    await tick(fee_client, BTC, "100000")
    first = (await owner.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    second = await owner.json(
        "POST", "/api/v1/accounts", 201, json={"name": "two", "mode": "HEDGING"}
    )
    in_second = {"X-Velox-Account": second["accountId"]}
    placed = await owner.json(
        "POST", "/api/v1/order/open", 201, headers=in_second, json=limit("90000")
    )
    in_first = {"X-Velox-Account": first}
    path = f"/api/v1/order/{placed['orderId']}"
    body = await owner.json("DELETE", path, 404, headers=in_first)
    assert body["error"]["code"] == "NOT_FOUND"
    body = await owner.json("PATCH", path, 404, headers=in_first, json={"price": "91000"})
    assert body["error"]["code"] == "NOT_FOUND"
    body = await owner.json("GET", path, 404, headers=in_first)  # not in the named account
    assert body["error"]["code"] == "NOT_FOUND"
    await owner.json("GET", path, 404, headers={"X-Velox-Account": "99999"})
    await owner.json("GET", f"{path}?account={first}", 404)
    await owner.json("GET", path, 404)  # no selector: the user's first account
    still = await owner.json("GET", path, 200, headers=in_second)
    assert (still["status"], still["price"]) == ("PENDING", "90000.00000000")
    figures = await owner.json("GET", "/api/v1/order/user/balance", 200, headers=in_second)
    assert figures["pendingMargin"] == "100.00000000"
    await owner.json("DELETE", path, 200, headers=in_second)  # its own account cancels it
