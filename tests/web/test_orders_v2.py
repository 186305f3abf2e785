"""Engine v2 orders over HTTP on a real socket (SPEC 12): limit and stop fills, fees exact to
the unit, cancel, modify, OCO, expiry by the clock command, idempotent clientOrderId, fills.

Prices are pushed (``tick``) and time is a ManualClock; the clock command is driven by hand
(``clock_tick_s=None``) except where the service's own clock task is the subject.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain
from velox.web.options import WebOptions

BTC = "BTCUSDT"
FEES = {"taker_fee": "0.0005", "maker_fee": "0.0002"}


def options(clock: ManualClock, clock_tick_s: float | None = None) -> WebOptions:
    return WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=clock_tick_s)


@pytest.fixture
def clock() -> ManualClock:
    # a second after 00:00 UTC: ManualClock's default start is a funding boundary, which a
    # position opened there owes (SPEC 12); these worked examples have no funding
    return ManualClock(1_736_812_800_000 + 1_000)


@pytest.fixture
async def trader(fee_client: TestClient[Any, Any]) -> User:
    user = await signup(fee_client)
    await tick(fee_client, BTC, "100000")  # bid 99950, ask 100050
    return user


async def clock_work(client: TestClient[Any, Any]) -> None:
    service = service_of(client)
    await drain(service.submit, service.clock())


def limit(price: str, **changes: Any) -> dict[str, Any]:
    return {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100", "type": "LIMIT",
            "price": price, **changes}  # fmt: skip


async def orders(user: User, status: str) -> list[dict[str, Any]]:
    body = await user.json("GET", f"/api/v1/order/user/orders?status={status}", 200)
    result: list[dict[str, Any]] = body["orders"]
    return result


async def test_a_limit_rests_fills_at_its_price_as_maker_and_closes_as_taker(
    trader: User, fee_client: TestClient[Any, Any]
) -> None:
    """orders-v2.json case 1, through the API, to the unit."""
    placed = await trader.open(**limit("99000"))
    assert (placed["status"], placed["type"], placed["price"], placed["openPrice"]) == (
        "PENDING",
        "LIMIT",
        "99000.00000000",
        None,
    )
    figures = await trader.balance()
    assert (figures["balance"], figures["pendingMargin"]) == ("900.00000000", "100.00000000")
    assert [o["orderId"] for o in await orders(trader, "PENDING")] == [placed["orderId"]]

    await tick(fee_client, BTC, "98950")  # ask 98999.475 <= 99000: fills at 99000
    order = await trader.json("GET", f"/api/v1/order/{placed['orderId']}", 200)
    assert (order["type"], order["price"], order["createdAt"]) == (
        "LIMIT",
        "99000.00000000",
        placed["createdAt"],
    )
    assert {k: order[k] for k in ("status", "openPrice", "qty", "margin", "fee",
                                  "liquidationPrice")} == {
        "status": "OPEN", "openPrice": "99000.00000000", "qty": "0.01010101",
        "margin": "100.00000000", "fee": "0.20000000", "liquidationPrice": "90089.99991090",
    }  # fmt: skip
    figures = await trader.balance()
    assert (figures["balance"], figures["pendingMargin"], figures["fees"]) == (
        "899.80000000",
        "0.00000000",
        "0.20000000",
    )
    assert await orders(trader, "PENDING") == []

    await tick(fee_client, BTC, "101000")  # bid 100949.5
    closed = await trader.json("POST", f"/api/v1/order/close/{placed['orderId']}", 200)
    assert {k: closed[k] for k in ("closePrice", "pnl", "fee")} == {
        "closePrice": "100949.50000000", "pnl": "19.69191899", "fee": "0.70984596",
    }  # fmt: skip
    assert (await trader.balance())["balance"] == "1018.98207303"
    fills = (await trader.json("GET", "/api/v1/order/user/fills", 200))["fills"]
    assert [(f["side"], f["price"], f["qty"], f["fee"], f["realizedPnl"], f["maker"])
            for f in fills] == [
        ("SELL", "100949.50000000", "0.01010101", "0.50984596", "19.69191899", False),
        ("BUY", "99000.00000000", "0.01010101", "0.20000000", "0.00000000", True),
    ]  # fmt: skip
    assert {f["orderId"] for f in fills} == {placed["orderId"]}
    only_new = await trader.json(
        "GET", f"/api/v1/order/user/fills?startTime={fills[0]['time']}&limit=1", 200
    )
    assert only_new["fills"] == fills[:1]


async def test_a_stop_triggers_at_the_ask_and_pays_the_taker_fee(
    trader: User, fee_client: TestClient[Any, Any]
) -> None:
    stop = await trader.open(**limit("101000", type="STOP", margin=None, qty="0.01"))
    # reserved ceil(101000 * 0.01 / 10) = 101
    assert (await trader.balance())["pendingMargin"] == "101.00000000"
    await tick(fee_client, BTC, "101500")  # ask 101550.75 >= 101000: fills at the ask
    order = await trader.json("GET", f"/api/v1/order/{stop['orderId']}", 200)
    # margin ceil(101550.75 * 0.01 / 10) = 101.5507500; fee ceil(1015.5075 * 0.0005)
    assert (order["status"], order["openPrice"], order["qty"], order["margin"], order["fee"]) == (
        "OPEN",
        "101550.75000000",
        "0.01000000",
        "101.55075000",
        "0.50775375",
    )
    assert (await trader.balance())["balance"] == "897.94149625"  # 1000 - 101.55075 - fee


async def test_cancel_and_the_409_and_404_around_it(
    trader: User, fee_client: TestClient[Any, Any]
) -> None:
    placed = await trader.open(**limit("90000"))
    cancelled = await trader.json("DELETE", f"/api/v1/order/{placed['orderId']}", 200)
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "USER")
    assert (await trader.balance())["balance"] == "1000.00000000"
    assert [o["orderId"] for o in await orders(trader, "CANCELLED")] == [placed["orderId"]]
    again = await trader.json("DELETE", f"/api/v1/order/{placed['orderId']}", 409)
    assert again["error"]["code"] == "ORDER_NOT_PENDING"
    position = await trader.open(asset=BTC, side="LONG", leverage=10, margin="50")
    body = await trader.json("DELETE", f"/api/v1/order/{position['orderId']}", 409)
    assert body["error"]["code"] == "ORDER_NOT_PENDING"
    other = await signup(fee_client)
    theirs = await other.open(**limit("90000"))
    before = await trader.balance()
    body = await trader.json("DELETE", f"/api/v1/order/{theirs['orderId']}", 404)
    assert body["error"]["code"] == "NOT_FOUND"
    assert (await other.json("GET", f"/api/v1/order/{theirs['orderId']}", 200))["status"] == (
        "PENDING"
    )
    assert await trader.balance() == before
    await trader.json("DELETE", "/api/v1/order/99999", 404)


async def test_modify_a_pending_order_moves_its_reservation(trader: User) -> None:
    placed = await trader.open(**limit("90000", margin=None, qty="0.01"))
    assert (await trader.balance())["pendingMargin"] == "90.00000000"
    changed = await trader.json(
        "PATCH", f"/api/v1/order/{placed['orderId']}", 200,
        json={"price": "95000", "stopLoss": "90000", "expiresAt": None},
    )  # fmt: skip
    assert (changed["status"], changed["price"], changed["stopLoss"]) == (
        "PENDING",
        "95000.00000000",
        "90000.00000000",
    )
    figures = await trader.balance()
    assert (figures["pendingMargin"], figures["balance"]) == ("95.00000000", "905.00000000")
    body = await trader.json(
        "PATCH", f"/api/v1/order/{placed['orderId']}", 422, json={"price": "100100"}
    )
    assert body["error"]["code"] in ("WOULD_TRIGGER_IMMEDIATELY", "INVALID_STOP_LOSS")
    assert await trader.balance() == figures


async def test_oco_one_fills_the_other_is_cancelled(
    trader: User, fee_client: TestClient[Any, Any]
) -> None:
    body = await trader.json("POST", "/api/v1/order/oco", 201, json={"orders": [
        limit("99000"), limit("101000", type="STOP"),
    ]})  # fmt: skip
    first, second = body["orders"]
    assert first["ocoGroupId"] is not None and first["ocoGroupId"] == second["ocoGroupId"]
    assert (await trader.balance())["pendingMargin"] == "200.00000000"
    await tick(fee_client, BTC, "98950")
    assert (await trader.json("GET", f"/api/v1/order/{first['orderId']}", 200))["status"] == "OPEN"
    other = await trader.json("GET", f"/api/v1/order/{second['orderId']}", 200)
    assert (other["status"], other["cancelReason"]) == ("CANCELLED", "OCO")
    assert (await trader.balance())["pendingMargin"] == "0.00000000"


async def test_expiry_by_the_clock_command_returns_the_reservation(
    trader: User, fee_client: TestClient[Any, Any], clock: ManualClock
) -> None:
    placed = await trader.open(**limit("90000", expiresAt=clock.now_ms() + 5_000))
    clock.advance(4_000)
    await clock_work(fee_client)
    assert (await trader.json("GET", f"/api/v1/order/{placed['orderId']}", 200))["status"] == (
        "PENDING"
    )
    clock.advance(2_000)
    await clock_work(fee_client)
    order = await trader.json("GET", f"/api/v1/order/{placed['orderId']}", 200)
    assert (order["status"], order["cancelReason"]) == ("EXPIRED", "EXPIRED")
    assert (await trader.balance())["balance"] == "1000.00000000"
    assert [o["orderId"] for o in await orders(trader, "EXPIRED")] == [placed["orderId"]]


async def test_the_service_sends_the_clock_command_by_itself(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(options(clock, clock_tick_s=0.02))
    user = await signup(client)
    await tick(client, BTC, "100000")
    placed = await user.open(**limit("90000", expiresAt=clock.now_ms() + 1_000))
    clock.advance(1_001)
    for _ in range(250):
        order = await user.json("GET", f"/api/v1/order/{placed['orderId']}", 200)
        if order["status"] != "PENDING":
            break
        await asyncio.sleep(0.02)
    assert order["status"] == "EXPIRED"


async def test_a_repeated_client_order_id_answers_the_first_order(trader: User) -> None:
    first = await trader.open(**limit("90000", clientOrderId="bot-1:a.b_c-d"))
    again = await trader.open(200, **limit("91000", clientOrderId="bot-1:a.b_c-d"))
    assert again == first
    assert len(await orders(trader, "PENDING")) == 1
    found = await trader.json("GET", "/api/v1/order/by-client-id/bot-1:a.b_c-d", 200)
    assert found == first
    market = await trader.open(asset=BTC, side="SHORT", leverage=5, margin="20",
                               clientOrderId="m1")  # fmt: skip
    assert market["clientOrderId"] == "m1"
    assert (await trader.open(200, asset=BTC, side="SHORT", leverage=5, margin="20",
                              clientOrderId="m1"))["orderId"] == market["orderId"]  # fmt: skip
    assert len(await orders(trader, "OPEN")) == 1
    await trader.json("GET", "/api/v1/order/by-client-id/nobody", 404)


async def test_a_retry_after_the_orders_expiry_passed_still_answers_the_order(
    trader: User, clock: ManualClock
) -> None:
    """SPEC 12: a client whose connection dropped can retry safely. A resting order with
    an expiresAt 5 s ahead, retried 6 s later (the same request), was refused 400
    "expiresAt must be in the future" before its clientOrderId was looked up."""
    request = limit("90000", expiresAt=clock.now_ms() + 5_000, clientOrderId="gtd-1")
    first = await trader.open(**request)
    clock.advance(6_000)
    again = await trader.open(200, **request)
    assert again["orderId"] == first["orderId"]
    late = await trader.call(
        "POST", "/api/v1/order/open", json=limit("90000", expiresAt=clock.now_ms() - 1)
    )
    assert late.status == 400  # a new order with a past expiry is still refused
    body = await late.json()
    assert (body["error"]["code"], body["error"]["field"]) == ("VALIDATION_ERROR", "expiresAt")


async def test_a_repeated_oco_answers_the_pair_it_placed(
    trader: User, fee_client: TestClient[Any, Any]
) -> None:
    """As with an open (SPEC 12), a client whose connection dropped can send its OCO again:
    with both clientOrderIds it places nothing more and gets the two orders, 200."""
    body = {"orders": [limit("99000", clientOrderId="grid-a"),
                       limit("101000", type="STOP", clientOrderId="grid-b")]}  # fmt: skip
    placed = (await trader.json("POST", "/api/v1/order/oco", 201, json=body))["orders"]
    again = (await trader.json("POST", "/api/v1/order/oco", 200, json=body))["orders"]
    assert again == placed
    assert (await trader.balance())["pendingMargin"] == "200.00000000"
    assert len(await orders(trader, "PENDING")) == 2
    await tick(fee_client, BTC, "98950")  # the limit fills, the stop is cancelled
    later = (await trader.json("POST", "/api/v1/order/oco", 200, json=body))["orders"]
    assert [o["orderId"] for o in later] == [o["orderId"] for o in placed]
    assert [o["status"] for o in later] == ["OPEN", "CANCELLED"]
    assert await orders(trader, "PENDING") == []
    assert len(await orders(trader, "OPEN")) == 1


async def test_an_oco_whose_ids_name_other_orders_is_refused(trader: User) -> None:
    await trader.open(**limit("99000", clientOrderId="one"))
    await trader.open(**limit("98000", clientOrderId="two"))
    figures = await trader.balance()
    for ids in (("one", "two"), ("one", "fresh")):
        body = {"orders": [limit("97000", clientOrderId=ids[0]),
                           limit("96000", clientOrderId=ids[1])]}  # fmt: skip
        answer = await trader.json("POST", "/api/v1/order/oco", 400, json=body)
        assert (answer["error"]["code"], answer["error"]["field"]) == (
            "VALIDATION_ERROR",
            "clientOrderId",
        )
    assert await trader.balance() == figures
    assert len(await orders(trader, "PENDING")) == 2
