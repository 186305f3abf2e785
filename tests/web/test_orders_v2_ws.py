"""The owner's websocket messages of SPEC 12 over a real socket: order_pending,
order_cancelled (with its status), and a fill per execution; other users see none."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.helpers import next_of, signup, tick

BTC = "BTCUSDT"
LIMIT = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100", "type": "LIMIT"}


async def test_pending_cancelled_and_fill_messages_reach_the_owner(
    client: TestClient[Any, Any],
) -> None:
    user, other = await signup(client), await signup(client)
    await tick(client, BTC, "100000")
    ws, their_ws = await user.ws(), await other.ws()
    resting = await user.open(**LIMIT, price="90000")
    message = await next_of(ws, "order_pending")
    assert message["data"] == resting
    cancelled = await user.json("DELETE", f"/api/v1/order/{resting['orderId']}", 200)
    message = await next_of(ws, "order_cancelled")
    assert message["data"] == cancelled and message["data"]["status"] == "CANCELLED"

    filling = await user.open(**LIMIT, price="99000")
    await tick(client, BTC, "98950")
    fill = (await next_of(ws, "fill"))["data"]
    assert (fill["orderId"], fill["side"], fill["price"], fill["maker"]) == (
        filling["orderId"], "BUY", "99000.00000000", True
    )  # fmt: skip
    (stored,) = (await user.json("GET", "/api/v1/order/user/fills", 200))["fills"]
    assert fill == stored
    await their_ws.send_json({"op": "ping"})
    while (message := await their_ws.receive_json(timeout=5))["type"] != "pong":
        assert message["type"] not in ("order_pending", "order_cancelled", "fill"), message
    await ws.close()
    await their_ws.close()
