"""USDⓈ-M's routed stream paths (``/public``, ``/market``, ``/private``) as ccxt.pro and
Binance's own connectors open them, on a real socket: a socket with no stream yet, filled by
the control messages, each answered as Binance answers it; and the user stream on the
private route.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.helpers import binance_error
from tests.binance.test_order_updates import BTC, next_payload
from tests.binance.test_trading import ORDER, netting_bot
from tests.binance.test_user_stream import listen_key
from tests.web.helpers import tick


async def reply(ws: aiohttp.ClientWebSocketResponse, message: Any) -> Any:
    """Send a control message (a dict, or raw text) and return the next reply with an id or
    a code, skipping stream payloads."""
    if isinstance(message, str):
        await ws.send_str(message)
    else:
        await ws.send_json(message)
    while True:
        answer = await ws.receive_json(timeout=5)
        if "id" in answer or "code" in answer:
            return answer


async def test_routed_paths_and_the_control_protocol(client: TestClient[Any, Any]) -> None:
    await tick(client, BTC, "100000")
    for path in ("/public/ws/0", "/market/ws/1", "/public/ws", "/market/ws", "/ws/0", "/ws/12"):
        ws = await client.ws_connect(path)
        assert await reply(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 7}) == {
            "result": [], "id": 7
        }, path  # fmt: skip
        await ws.close()

    ws = await client.ws_connect("/public/ws/0")
    subscribe = {"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker"], "id": 1}
    assert await reply(ws, subscribe) == {"result": None, "id": 1}
    await tick(client, BTC, "100010")
    book = await next_payload(ws, "bookTicker")  # raw, as on /ws/<stream>
    assert (book["s"], book["b"], book["a"]) == (BTC, "99959.99500000", "100060.00500000")
    more = {"method": "SUBSCRIBE", "params": ["ethusdt@markPrice@1s", "btcusdt@kline_1m"],
            "id": 2}  # fmt: skip
    assert await reply(ws, more) == {"result": None, "id": 2}
    assert await reply(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 3}) == {
        "result": ["btcusdt@bookTicker", "btcusdt@kline_1m", "ethusdt@markPrice@1s"], "id": 3
    }  # fmt: skip
    less = {"method": "UNSUBSCRIBE", "params": ["btcusdt@bookTicker"], "id": 4}
    assert await reply(ws, less) == {"result": None, "id": 4}
    assert await reply(ws, {"method": "LIST_SUBSCRIPTIONS", "id": 5}) == {
        "result": ["btcusdt@kline_1m", "ethusdt@markPrice@1s"], "id": 5
    }  # fmt: skip
    # Binance's error replies: code 3 for what is not JSON, code 2 for a bad request
    assert (await reply(ws, "{not json"))["code"] == 3
    unknown = await reply(ws, {"method": "SUBSCRIBE_ALL", "params": [], "id": 6})
    assert (unknown["code"], unknown["id"]) == (2, 6)
    assert unknown["msg"].startswith("Invalid request: unknown variant `SUBSCRIBE_ALL`")
    bad = await reply(ws, {"method": "SUBSCRIBE", "params": ["dogeusdt@trade"], "id": 8})
    assert (bad["code"], bad["id"]) == (2, 8)
    noid = await reply(ws, {"method": "SUBSCRIBE", "params": [], "id": "x"})
    assert noid == {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}
    await ws.close()

    ws = await client.ws_connect("/market/stream?streams=btcusdt@bookTicker")
    await tick(client, BTC, "100020")
    wrapped = await ws.receive_json(timeout=5)
    assert (wrapped["stream"], wrapped["data"]["e"]) == ("btcusdt@bookTicker", "bookTicker")
    await ws.close()
    ws = await client.ws_connect("/public/ws/btcusdt@bookTicker")
    await tick(client, BTC, "100030")
    assert (await next_payload(ws, "bookTicker"))["s"] == BTC
    await ws.close()
    for refused in ("/public/ws/dogeusdt@trade", "/market/stream?streams=btcusdt@nothing"):
        await binance_error(await client.get(refused), 400, -1121)


async def test_the_private_route_serves_the_user_stream(client: TestClient[Any, Any]) -> None:
    _, bot, _ = await netting_bot(client)
    created = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/private/ws?listenKey={created['listenKey']}")
    await tick(client, BTC, "100000")
    placed = await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                            "quantity": "0.01"})  # fmt: skip
    update = await next_payload(ws, "ORDER_TRADE_UPDATE")
    assert update["o"]["i"] == placed["orderId"]
    await ws.close()
    for path in ("/private/ws?listenKey=" + "B" * 64, "/private/ws", "/ws/" + "B" * 64):
        await binance_error(await client.get(path), 400, -1125)
