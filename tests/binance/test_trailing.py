"""A trailing stop set through the Binance API (``TRAILING_STOP_MARKET`` with
``callbackRate``) is a conditional order like a closePosition stop-loss: listed with the
algo orders, read and cancelled by its own id (each placement's) through ``/fapi/v1/order``
and ``/fapi/v1/algoOrder`` (then CANCELED), cleared by ``allOpenOrders``; in Binance's
trailing shape (``activatePrice``, ``priceRate`` / ``callbackRate``), its ``stopPrice`` the
level it fires at.
"""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, binance_error, netting_bot, orders_of
from tests.binance.test_ccxt import urls_for
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

BTC, ORDER, ALGO = "BTCUSDT", "/fapi/v1/order", "/fapi/v1/algoOrder"
TRAIL = {"symbol": BTC, "side": "SELL", "type": "TRAILING_STOP_MARKET", "callbackRate": "1",
         "quantity": "0.01", "reduceOnly": "true"}  # fmt: skip


def next_id(position_id: str) -> int:
    """A stop placed right after its position opened: the next order id, its own."""
    return int(position_id) + 1


async def long_btc(client: TestClient[Any, Any], bot: Bot) -> str:
    """A LONG 0.01 BTC bought at the ask (100050; the bid is 99950); its position id."""
    await tick(client, BTC, "100000")
    bought = await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                            "quantity": "0.01"})  # fmt: skip
    return str(bought["orderId"])


async def test_a_trailing_stop_shows_reads_and_cancels_as_a_conditional_order(
    client: TestClient[Any, Any],
) -> None:
    user, bot, account = await netting_bot(client)
    position = await long_btc(client, bot)
    placed = await bot.json("POST", ORDER, TRAIL)
    tid = next_id(position)
    # 1 % of the bid: a distance of 999.5 under the best bid since (99950)
    shown = {k: placed[k] for k in ("orderId", "status", "type", "origType", "side",
                                    "origQty", "stopPrice", "activatePrice", "priceRate",
                                    "reduceOnly", "closePosition", "clientOrderId")}  # fmt: skip
    assert shown == {
        "orderId": tid, "status": "NEW", "type": "TRAILING_STOP_MARKET",
        "origType": "TRAILING_STOP_MARKET", "side": "SELL", "origQty": "0.01000000",
        "stopPrice": "98950.50000000", "activatePrice": "99950.00000000",
        "priceRate": "1.00000000", "reduceOnly": True, "closePosition": False,
        "clientOrderId": f"velox-{tid}",
    }  # fmt: skip
    (native,) = await orders_of(user, account, "OPEN")
    assert (native["trailingStop"], native["stopLoss"]) == ("999.50000000", None)

    assert await bot.json("GET", ORDER, {"symbol": BTC, "orderId": tid}) == placed
    assert await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC}) == []  # algo only
    (listed,) = await bot.json("GET", "/fapi/v1/openAlgoOrders", {"symbol": BTC})
    assert {k: listed[k] for k in ("algoId", "orderType", "algoStatus", "quantity",
                                   "triggerPrice", "activatePrice", "callbackRate",
                                   "closePosition", "reduceOnly")} == {
        "algoId": tid, "orderType": "TRAILING_STOP_MARKET", "algoStatus": "NEW",
        "quantity": "0.01000000", "triggerPrice": "98950.50000000",
        "activatePrice": "99950.00000000", "callbackRate": "1.00000000",
        "closePosition": False, "reduceOnly": True,
    }  # fmt: skip
    assert await bot.json("GET", ALGO, {"algoId": tid}) == listed

    # the bid rises to 100949.5: the stop follows it, 999.5 under
    await tick(client, BTC, "101000")
    moved = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": tid})
    assert (moved["stopPrice"], moved["activatePrice"], moved["priceRate"]) == (
        "99950.00000000", "100949.50000000", "0.99000000")  # fmt: skip

    cancelled = await bot.json("DELETE", ORDER, {"symbol": BTC, "orderId": tid})
    assert (cancelled["orderId"], cancelled["status"], cancelled["type"]) == (
        tid, "CANCELED", "TRAILING_STOP_MARKET")  # fmt: skip
    (native,) = await orders_of(user, account, "OPEN")
    assert native["trailingStop"] is None
    ended = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": tid})
    assert (ended["status"], ended["clientOrderId"]) == ("CANCELED", f"velox-{tid}")
    assert (await bot.json("GET", ALGO, {"algoId": tid}))["algoStatus"] == "CANCELED"
    assert await bot.json("GET", "/fapi/v1/openAlgoOrders", {"symbol": BTC}) == []


async def test_cancel_all_and_the_algo_endpoints_clear_a_trailing_stop(
    client: TestClient[Any, Any],
) -> None:
    user, bot, account = await netting_bot(client)
    position = await long_btc(client, bot)
    await bot.json("POST", ORDER, TRAIL)
    done = await bot.json("DELETE", "/fapi/v1/allOpenOrders", {"symbol": BTC})
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    (native,) = await orders_of(user, account, "OPEN")
    assert native["trailingStop"] is None

    algo = {**TRAIL, "algoType": "CONDITIONAL"}
    placed = await bot.json("POST", ALGO, algo)
    tid = placed["algoId"]  # placed again: another order, the next id
    assert (tid, placed["orderType"], placed["callbackRate"]) == (
        next_id(position) + 1, "TRAILING_STOP_MARKET", "1.00000000")  # fmt: skip
    cancelled = await bot.json("DELETE", ALGO, {"algoId": tid})
    assert cancelled == {"algoId": tid, "clientAlgoId": f"velox-{tid}", "code": "200",
                         "msg": "success"}  # fmt: skip
    (native,) = await orders_of(user, account, "OPEN")
    assert native["trailingStop"] is None
    await binance_error(await bot.call("DELETE", ALGO, {"algoId": tid}), 400, -2011)


async def test_a_trailing_stop_through_ccxt(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    user, bot, account = await netting_bot(client)
    position = await long_btc(client, bot)
    base = str(client.make_url("")).rstrip("/")
    exchange = ccxt.binanceusdm({"apiKey": bot.key.api_key, "secret": bot.key.secret,
                                 "urls": urls_for(base)})  # fmt: skip
    symbol = "BTC/USDT:USDT"
    try:
        await exchange.load_markets()
        trailing = {"trailingPercent": 2, "reduceOnly": True}
        made = await exchange.create_order(symbol, "market", "sell", 0.01, params=trailing)
        assert made["id"] == str(next_id(position))
        (native,) = await orders_of(user, account, "OPEN")
        assert native["trailingStop"] == "1999.00000000"  # 2 % of the bid 99950
        (listed,) = await exchange.fetch_open_orders(symbol, params={"trigger": True})
        assert (listed["id"], listed["info"]["orderType"]) == (made["id"], "TRAILING_STOP_MARKET")
        await exchange.cancel_order(made["id"], symbol, params={"trigger": True})
        assert await exchange.fetch_open_orders(symbol, params={"trigger": True}) == []
        (native,) = await orders_of(user, account, "OPEN")
        assert native["trailingStop"] is None
    finally:
        await exchange.close()
