"""A trailing stop's ORDER_TRADE_UPDATE says its activation price (``AP``) and callback rate
(``cr``), as Binance's does for a TRAILING_STOP_MARKET, with the values the order's REST
answer gives (``activatePrice``, ``priceRate``). (They were absent: an outside review, rev4.)"""

from __future__ import annotations

from typing import Any

from tests.binance.helpers import netting_bot
from tests.binance.test_user_stream import listen_key, next_event
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

BTC, ORDER = "BTCUSDT", "/fapi/v1/order"
BUY = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01"}


async def test_a_trailing_stops_trade_says_its_activation_price_and_rate(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    await bot.json("POST", ORDER, BUY)
    trail = {"symbol": BTC, "side": "SELL", "type": "TRAILING_STOP_MARKET",
             "callbackRate": "1", "quantity": "0.01", "reduceOnly": "true"}  # fmt: skip
    placed = await bot.json("POST", ORDER, trail)
    assert (placed["activatePrice"], placed["priceRate"]) == ("99950.00000000", "1.00000000")
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    await tick(client, BTC, "98000")  # bid 97951: under the stop's 98950.5
    update = await fired_trade(bot, ws, placed["orderId"])
    assert (update["o"], update["X"]) == ("TRAILING_STOP_MARKET", "FILLED")
    assert (update["AP"], update["cr"]) == (placed["activatePrice"], placed["priceRate"])
    await ws.close()


async def test_after_its_mark_moved_the_trade_says_the_rate_it_was_placed_with(
    make_client: MakeClient,
) -> None:
    """``AP``/``cr`` are the order's as placed (Binance's are its activation price and
    callback rate), not the mark it has trailed to since."""
    client = await make_client()
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    await bot.json("POST", ORDER, BUY)
    trail = {"symbol": BTC, "side": "SELL", "type": "TRAILING_STOP_MARKET",
             "callbackRate": "2.5", "quantity": "0.01", "reduceOnly": "true"}  # fmt: skip
    placed = await bot.json("POST", ORDER, trail)
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    await tick(client, BTC, "102000")  # the mark rises to the bid, 101949
    await tick(client, BTC, "99000")  # bid 98950.5: under 101949 - 2498.75
    update = await fired_trade(bot, ws, placed["orderId"])
    assert update["X"] == "FILLED"
    assert (update["AP"], update["cr"]) == ("99950.00000000", "2.50000000")
    assert (placed["activatePrice"], placed["priceRate"]) == (update["AP"], update["cr"])
    await ws.close()


async def fired_trade(bot: Any, ws: Any, algo_id: int) -> Any:
    """The trade of the order a fired stop placed (its NEW first, with the same terms),
    which its algo order names (``actualOrderId``)."""
    new = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    trade = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    algo = await bot.json("GET", "/fapi/v1/algoOrder", {"algoId": algo_id})
    assert (new["x"], trade["x"]) == ("NEW", "TRADE")
    assert new["i"] == trade["i"] == int(algo["actualOrderId"]) != algo_id
    assert (new["AP"], new["cr"]) == (trade["AP"], trade["cr"])
    return trade
