"""A position's stop that fires places an order of its own that fills, as on Binance: a bot
asking after its take-profit (GET /fapi/v1/order, /fapi/v1/algoOrder) learns it FILLED /
FINISHED at the close price, naming that order (``actualOrderId``), and its stop-loss
EXPIRED with the position; the close's trade in userTrades and on the user stream carries
that order's id, NEW before its TRADE. (They carried the opening order's id, and the stops
answered -2013: an outside review; then the stop's own id, with no NEW: another.)"""

from __future__ import annotations

from tests.binance.helpers import binance_error, netting_bot
from tests.binance.test_user_stream import listen_key, next_event
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

BTC, ORDER = "BTCUSDT", "/fapi/v1/order"


async def test_a_fired_take_profit_filled_and_its_stop_loss_expired(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    bought = await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                            "quantity": "0.01"})  # fmt: skip
    stop = {"symbol": BTC, "side": "SELL", "closePosition": "true"}
    tp = await bot.json("POST", ORDER, {**stop, "type": "TAKE_PROFIT_MARKET",
                                        "stopPrice": "101000"})  # fmt: skip
    sl = await bot.json("POST", ORDER, {**stop, "type": "STOP_MARKET", "stopPrice": "95000"})
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")

    await tick(client, BTC, "101500")  # bid 101449.25: the take-profit fires at it
    triggered = [(await next_event(ws, "ALGO_UPDATE"))["o"] for _ in range(2)]
    assert [(a["aid"], a["X"]) for a in triggered] == [
        (tp["orderId"], "TRIGGERING"), (tp["orderId"], "TRIGGERED")
    ]  # fmt: skip
    actual = int(triggered[1]["ai"])  # the order it placed: an id of its own
    assert actual != tp["orderId"]
    new = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (new["i"], new["x"], new["X"]) == (actual, "NEW", "NEW")
    update = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (update["i"], update["c"], update["o"], update["x"], update["X"], update["S"]) == (
        actual, f"velox-{bought['orderId']}-tp", "TAKE_PROFIT_MARKET", "TRADE",
        "FILLED", "SELL",
    )  # fmt: skip
    finished = (await next_event(ws, "ALGO_UPDATE"))["o"]
    assert (finished["aid"], finished["X"], finished["ai"]) == (
        tp["orderId"], "FINISHED", str(actual)
    )  # fmt: skip
    assert (update["z"], update["ap"], update["R"], update["sp"]) == (
        "0.01000000", "101449.25000000", True, "101000.00000000"
    )  # fmt: skip

    filled = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": actual})
    assert {k: filled[k] for k in ("status", "type", "executedQty", "avgPrice", "stopPrice",
                                   "clientOrderId")} == {
        "status": "FILLED", "type": "TAKE_PROFIT_MARKET", "executedQty": "0.01000000",
        "avgPrice": "101449.25000000", "stopPrice": "101000.00000000",
        "clientOrderId": f"velox-{bought['orderId']}-tp",
    }  # fmt: skip
    shown = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": tp["orderId"]})
    assert (shown["status"], shown["executedQty"], shown["clientOrderId"]) == (
        "FILLED", "0.01000000", tp["clientOrderId"]
    )  # fmt: skip
    expired = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": sl["orderId"]})
    assert (expired["status"], expired["executedQty"]) == ("EXPIRED", "0.00000000")
    algo = await bot.json("GET", "/fapi/v1/algoOrder", {"algoId": tp["orderId"]})
    assert (algo["algoId"], algo["algoStatus"]) == (tp["orderId"], "FINISHED")
    assert algo["actualOrderId"] == str(actual)
    trailing = actual + 1  # the position never had one
    await binance_error(await bot.call("GET", ORDER, {"symbol": BTC, "orderId": trailing}),
                        400, -2013)  # fmt: skip
    await binance_error(await bot.call("DELETE", ORDER, {"symbol": BTC,
                                                         "orderId": tp["orderId"]}),
                        400, -2011)  # fmt: skip
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})
    assert [(t["orderId"], t["side"]) for t in trades] == [
        (bought["orderId"], "BUY"), (actual, "SELL")
    ]  # fmt: skip
    income = await bot.json("GET", "/fapi/v1/income", {"symbol": BTC,
                                                       "incomeType": "REALIZED_PNL"})  # fmt: skip
    assert [row["info"] for row in income] == [str(actual)]  # as userTrades says
    entry = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": bought["orderId"]})
    assert (entry["status"], entry["executedQty"]) == ("FILLED", "0.01000000")
    await ws.close()
