"""``allOrders`` lists the positions' stops that fired (the order that executed the close, as
``GET /fapi/v1/order`` shows it), so every order ``userTrades`` names is in it. (A bot
matching its fills to orders found 12 of 39 trades' orders missing: an outside review,
rev4.)"""

from __future__ import annotations

from typing import Any

from tests.binance.test_algo_lists import BTC, BUY, CLOSE, ORDER, T0, clocked
from tests.web.conftest import MakeClient
from tests.web.helpers import tick


async def test_all_orders_lists_the_stops_that_fired(make_client: MakeClient) -> None:
    client, bot, clock = await clocked(make_client)

    async def get(path: str, **params: Any) -> Any:
        return await bot.json("GET", path, {"symbol": BTC, **params}, clock=clock)

    first = await bot.json("POST", ORDER, BUY, clock=clock)  # T0
    tp = await bot.json("POST", ORDER, {**CLOSE, "type": "TAKE_PROFIT_MARKET",
                                        "stopPrice": "101000"}, clock=clock)  # fmt: skip
    await bot.json("POST", ORDER, {**CLOSE, "type": "STOP_MARKET", "stopPrice": "95000"},
                   clock=clock)  # fmt: skip
    clock.advance(1000)
    await tick(client, BTC, "101500")  # the take-profit fires at the bid
    clock.advance(1000)
    await tick(client, BTC, "100000")
    second = await bot.json("POST", ORDER, BUY, clock=clock)  # T0 + 2000, still open

    trades = await get("/fapi/v1/userTrades")
    listed = await get("/fapi/v1/allOrders")
    algo = await bot.json("GET", "/fapi/v1/algoOrder", {"algoId": tp["orderId"]}, clock=clock)
    actual = int(algo["actualOrderId"])  # the order the take-profit placed when it fired
    assert [o["orderId"] for o in listed] == [first["orderId"], actual,
                                              second["orderId"]]  # fmt: skip
    assert {t["orderId"] for t in trades} <= {o["orderId"] for o in listed}
    fired = await get(ORDER, orderId=actual)
    assert listed[1] == fired
    assert (fired["status"], fired["type"], fired["executedQty"]) == (
        "FILLED", "TAKE_PROFIT_MARKET", "0.01000000"
    )  # fmt: skip
    # the stop-loss that expired with the position is no order Binance lists here
    ids = [o["orderId"] for o in listed]
    assert [o["orderId"] for o in await get("/fapi/v1/allOrders", limit=1)] == ids[2:]
    # by id, the stop comes after the order that opened its position, as by time
    assert [o["orderId"] for o in await get("/fapi/v1/allOrders", orderId=ids[1])] == ids[1:]
    page = await get("/fapi/v1/allOrders", orderId=ids[0], limit=2)
    assert [o["orderId"] for o in page] == ids[:2]
    walked, at = [], 0  # a bot paging from the last id it was given + 1 meets each once
    while rows := await get("/fapi/v1/allOrders", orderId=at, limit=1):
        walked.append(rows[0]["orderId"])
        at = rows[0]["orderId"] + 1
    assert walked == ids
    page = await get("/fapi/v1/allOrders", startTime=T0 + 1)
    assert [o["orderId"] for o in page] == ids[2:]
    page = await get("/fapi/v1/allOrders", endTime=T0)
    assert [o["orderId"] for o in page] == ids[:2]
