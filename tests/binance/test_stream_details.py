"""User-stream details a Binance bot reads, from an outside review: a LIMIT that fills at once
is NEW before its TRADE, a flip's one ACCOUNT_UPDATE shows where it ended, and a fired
closePosition stop's trade says ``cp``."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.helpers import netting_bot
from tests.binance.test_trading import ORDER
from tests.binance.test_user_stream import listen_key
from tests.web.helpers import tick

BTC = "BTCUSDT"


async def stream(client: TestClient[Any, Any], bot: Any) -> aiohttp.ClientWebSocketResponse:
    made = await (await listen_key(client, bot.key)).json()
    return await client.ws_connect(f"/ws/{made['listenKey']}")


async def until_account_update(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every message up to and with the next ACCOUNT_UPDATE."""
    out = [await ws.receive_json(timeout=5)]
    while out[-1]["e"] != "ACCOUNT_UPDATE":
        out.append(await ws.receive_json(timeout=5))
    return out


async def test_a_limit_that_opens_at_once_is_new_before_its_trade(
    client: TestClient[Any, Any],
) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    ws = await stream(client, bot)
    through = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.001",
               "price": "200000", "timeInForce": "GTC"}  # fmt: skip
    placed = await bot.json("POST", ORDER, through)
    updates = [m["o"] for m in await until_account_update(ws) if m["e"] == "ORDER_TRADE_UPDATE"]
    assert [(o["i"], o["x"], o["X"], o["o"], o["p"]) for o in updates] == [
        (placed["orderId"], "NEW", "NEW", "LIMIT", "200000.00000000"),
        (placed["orderId"], "TRADE", "FILLED", "LIMIT", "200000.00000000"),
    ]
    await ws.close()


async def test_a_flip_has_one_account_update_where_it_ended(client: TestClient[Any, Any]) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    ws = await stream(client, bot)
    market = {"symbol": BTC, "type": "MARKET"}
    await bot.json("POST", ORDER, {**market, "side": "BUY", "quantity": "0.01"})
    await until_account_update(ws)
    await bot.json("POST", ORDER, {**market, "side": "SELL", "quantity": "0.03"})
    messages = await until_account_update(ws)
    assert [(m["e"], m.get("o", {}).get("X")) for m in messages] == [
        ("ORDER_TRADE_UPDATE", "NEW"), ("ORDER_TRADE_UPDATE", "PARTIALLY_FILLED"),
        ("ORDER_TRADE_UPDATE", "FILLED"), ("ACCOUNT_UPDATE", None),
    ]  # fmt: skip
    (position,) = messages[-1]["a"]["P"]
    assert (position["s"], position["pa"]) == (BTC, "-0.02000000")
    await ws.close()


async def test_a_fired_close_position_stop_says_cp(client: TestClient[Any, Any]) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    ws = await stream(client, bot)
    await bot.json("POST", ORDER, {"symbol": BTC, "type": "MARKET", "side": "BUY",
                                   "quantity": "0.01"})  # fmt: skip
    await until_account_update(ws)
    stop = {"symbol": BTC, "side": "SELL", "type": "STOP_MARKET", "stopPrice": "95000",
            "closePosition": "true"}  # fmt: skip
    await bot.json("POST", ORDER, stop)
    await tick(client, BTC, "94000")
    messages = await until_account_update(ws)
    new, trade = [m["o"] for m in messages if m["e"] == "ORDER_TRADE_UPDATE"]
    assert (new["x"], new["i"], new["cp"]) == ("NEW", trade["i"], True)  # the order it placed
    assert (trade["x"], trade["o"], trade["cp"], trade["R"]) == ("TRADE", "STOP_MARKET", True,
                                                                 True)  # fmt: skip
    await ws.close()
