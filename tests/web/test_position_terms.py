"""A position keeps the terms of the order that opened it (SPEC 12: ``type``, ``price``,
``clientOrderId``, ``ocoGroupId``, ``createdAt``) wherever it is shown: the open and closed
lists, single reads, the close answer, the history, and the websocket's ``order_opened`` /
``order_updated`` / ``order_closed``, all the same dict; a closed part shows its position's
terms."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.helpers import next_of, signup, tick

BTC = "BTCUSDT"
TERMS = ("type", "price", "clientOrderId", "ocoGroupId", "createdAt", "positionId")


async def test_a_filled_limit_shows_its_terms_everywhere(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    ws = await user.ws()
    placed = await user.open(asset=BTC, side="LONG", leverage=10, margin="100", type="LIMIT",
                             price="99000", clientOrderId="dip-1")  # fmt: skip
    order_id = placed["orderId"]
    expected = {
        "type": "LIMIT", "price": "99000.00000000", "clientOrderId": "dip-1",
        "ocoGroupId": None, "createdAt": placed["createdAt"], "positionId": order_id,
    }  # fmt: skip

    await tick(client, BTC, "98950")  # ask 98999.475 <= 99000: fills at 99000
    opened = (await next_of(ws, "order_opened"))["data"]
    single = await user.json("GET", f"/api/v1/order/{order_id}", 200)
    assert {k: opened[k] for k in TERMS} == expected
    assert (opened["status"], opened["openPrice"]) == ("OPEN", "99000.00000000")
    assert opened == single
    listed = await user.json("GET", "/api/v1/order/user/orders?status=OPEN", 200)
    assert listed["orders"] == [single]
    by_cid = await user.json("GET", "/api/v1/order/by-client-id/dip-1", 200)
    assert by_cid == single

    answer = await user.json("POST", f"/api/v1/order/close/{order_id}", 200, json={"percent": 40})
    part = answer["closed"]
    assert part["parentOrderId"] == order_id
    assert {k: part[k] for k in TERMS} == expected
    assert (await next_of(ws, "order_closed"))["data"] == part
    updated = (await next_of(ws, "order_updated"))["data"]
    assert updated == answer["order"] == await user.json("GET", f"/api/v1/order/{order_id}", 200)
    assert {k: updated[k] for k in TERMS} == expected

    whole = await user.json("POST", f"/api/v1/order/close/{order_id}", 200)
    assert {k: whole[k] for k in TERMS} == expected
    assert (await next_of(ws, "order_closed"))["data"] == whole
    assert await user.json("GET", f"/api/v1/order/{order_id}", 200) == whole
    assert await user.json("GET", f"/api/v1/order/{part['orderId']}", 200) == part

    closed = await user.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200)
    assert sorted(closed["orders"], key=lambda o: int(o["orderId"])) == [whole, part]
    history = await user.json("GET", "/api/v1/history/positions", 200)
    shown = {p["orderId"]: {k: v for k, v in p.items() if k != "result"}
             for p in history["positions"]}  # fmt: skip
    assert shown == {order_id: whole, part["orderId"]: part}
    await ws.close()


async def test_a_market_position_shows_market_terms(client: TestClient[Any, Any]) -> None:
    """The lists and the websocket agree for a MARKET order too (price null, its own id)."""
    user = await signup(client)
    await tick(client, BTC, "100000")
    ws = await user.ws()
    opened = await user.open(asset=BTC, side="SHORT", leverage=5, margin="50", clientOrderId="m")
    assert {k: opened[k] for k in TERMS} == {
        "type": "MARKET", "price": None, "clientOrderId": "m", "ocoGroupId": None,
        "createdAt": opened["openedAt"], "positionId": opened["orderId"],
    }  # fmt: skip
    assert (await next_of(ws, "order_opened"))["data"] == opened
    whole = await user.json("POST", f"/api/v1/order/close/{opened['orderId']}", 200)
    assert (await next_of(ws, "order_closed"))["data"] == whole
    assert {k: whole[k] for k in TERMS} == {k: opened[k] for k in TERMS}
    closed = await user.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200)
    assert closed["orders"] == [whole]
    await ws.close()
