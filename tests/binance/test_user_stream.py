"""The user-data stream: listenKey by API key alone, ``/ws/<listenKey>`` with Binance's
ORDER_TRADE_UPDATE and ACCOUNT_UPDATE carrying the native API's numbers, and its end
(listen key deleted or expired, API key revoked)."""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, Key, binance_error, make_key, new_account
from tests.web.conftest import MakeClient
from tests.web.helpers import User, signup, tick
from velox.clock import ManualClock
from velox.web.options import WebOptions

LISTEN = "/fapi/v1/listenKey"


async def listen_key(client: TestClient[Any, Any], key: Key, method: str = "POST") -> Any:
    response = await client.request(method, LISTEN, headers={"X-MBX-APIKEY": key.api_key})
    return response


async def next_event(ws: aiohttp.ClientWebSocketResponse, kind: str) -> Any:
    while True:
        message = await ws.receive_json(timeout=5)
        if message["e"] == kind:
            return message


async def stream_of(client: TestClient[Any, Any], user: User) -> tuple[Key, str, Any]:
    key = await make_key(user)
    created = await (await listen_key(client, key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    return key, created["listenKey"], ws


async def test_fills_and_account_updates_carry_the_native_numbers(
    client: TestClient[Any, Any],
) -> None:
    user, other = await signup(client), await signup(client)
    await tick(client, "BTCUSDT", "100000")
    _, _, ws = await stream_of(client, user)
    await other.open(asset="BTCUSDT", side="LONG", leverage=2, margin="10")  # not ours
    order = await user.open(asset="BTCUSDT", side="SHORT", leverage=10, margin="100")
    new = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]  # a market order: NEW first
    assert (new["i"], new["x"], new["X"], new["q"]) == (int(order["orderId"]), "NEW", "NEW",
                                                        order["qty"])  # fmt: skip
    update = await next_event(ws, "ORDER_TRADE_UPDATE")
    o = update["o"]
    assert (o["s"], o["S"], o["o"], o["x"], o["X"], o["i"], o["R"]) == (
        "BTCUSDT", "SELL", "MARKET", "TRADE", "FILLED", int(order["orderId"]), False
    )  # fmt: skip
    assert o["q"] == o["z"] == o["l"] == order["qty"]
    assert o["ap"] == o["L"] == order["openPrice"] == "99950.00000000"
    account = await next_event(ws, "ACCOUNT_UPDATE")
    figures = await user.balance()
    (wallet,) = account["a"]["B"]
    assert account["a"]["m"] == "ORDER"
    assert wallet["cw"] == figures["balance"] == "900.00000000"
    assert wallet["wb"] == "1000.00000000"  # free cash + locked margin
    (position,) = account["a"]["P"]
    assert position["pa"] == "-" + order["qty"] and position["ep"] == order["openPrice"]
    assert position["iw"] == order["margin"] and position["mt"] == "isolated"

    await tick(client, "BTCUSDT", "99000")
    closed = await user.json("POST", f"/api/v1/order/close/{order['orderId']}", 200)
    o = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (o["S"], o["R"], o["ot"], o["ap"], o["rp"]) == (
        "BUY", True, "MARKET", closed["closePrice"], closed["pnl"]
    )  # fmt: skip
    account = await next_event(ws, "ACCOUNT_UPDATE")
    figures = await user.balance()
    assert account["a"]["B"][0]["wb"] == figures["balance"]  # no margin locked any more
    assert account["a"]["P"][0]["pa"] == "0.00000000"
    await ws.close()


async def test_keepalive_delete_and_bad_keys(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    key, listen, ws = await stream_of(client, user)
    again = await (await listen_key(client, key)).json()
    assert again == {"listenKey": listen}  # one live listen key per API key
    assert await (await listen_key(client, key, "PUT")).json() == {"listenKey": listen}
    response = await client.post(LISTEN)
    await binance_error(response, 401, -2014)
    response = await client.post(LISTEN, headers={"X-MBX-APIKEY": "B" * 64})
    await binance_error(response, 401, -2015)
    assert await (await listen_key(client, key, "DELETE")).json() == {}
    closed = await ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await binance_error(await listen_key(client, key, "PUT"), 400, -1125)
    response = await client.get(f"/ws/{listen}")
    await binance_error(response, 400, -1125)


async def test_revoking_the_api_key_closes_its_streams(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    key, _, ws = await stream_of(client, user)
    response = await user.call("DELETE", f"/api/v1/api-keys/{key.key_id}")
    assert response.status == 204
    closed = await ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_an_expired_listen_key_says_so_and_closes(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=clock))
    user = await signup(client)
    key, listen, ws = await stream_of(client, user)
    clock.advance(59 * 60 * 1000)
    assert (await (await listen_key(client, key, "PUT")).json()) == {"listenKey": listen}
    clock.advance(59 * 60 * 1000)  # still inside the hour the keepalive gave it
    await tick(client, "BTCUSDT", "100000")
    await user.open(asset="BTCUSDT", side="LONG", leverage=2, margin="10")
    assert (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]["S"] == "BUY"
    clock.advance(60 * 60 * 1000)
    await tick(client, "BTCUSDT", "100001")  # the next commit finds it expired
    expired = await next_event(ws, "listenKeyExpired")
    assert expired["listenKey"] == listen
    closed = await ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_a_resting_order_is_new_then_canceled(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    account = await new_account(user, "NETTING")
    key = await make_key(user, ["read", "trade"], account_id=account)
    created = await (await listen_key(client, key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    await tick(client, "BTCUSDT", "100000")
    bot = Bot(client, key)
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.02",
              "price": "110000", "timeInForce": "GTC", "newClientOrderId": "grid-7"}  # fmt: skip
    placed = await bot.json("POST", "/fapi/v1/order", params)
    o = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (o["i"], o["c"], o["S"], o["o"], o["x"], o["X"], o["p"], o["q"], o["z"]) == (
        placed["orderId"], "grid-7", "SELL", "LIMIT", "NEW", "NEW", "110000.00000000",
        "0.02000000", "0.00000000",
    )  # fmt: skip
    await bot.json("DELETE", "/fapi/v1/order", {"symbol": "BTCUSDT", "orderId": o["i"]})
    o = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (o["i"], o["x"], o["X"]) == (placed["orderId"], "CANCELED", "CANCELED")
    await ws.close()


async def test_a_listen_key_in_a_combined_stream(client: TestClient[Any, Any]) -> None:
    """``/stream?streams=<listenKey>/<market stream>``: the account's events and the market
    on one socket, each wrapped with its stream's name, as Binance serves them (a bot's
    combined socket was refused with 400: an outside review)."""
    user = await signup(client)
    account = await new_account(user, "NETTING")
    key = await make_key(user, ["read", "trade"], account_id=account)
    listen = (await (await listen_key(client, key)).json())["listenKey"]
    ws = await client.ws_connect(f"/stream?streams={listen}/btcusdt@bookTicker")
    await tick(client, "BTCUSDT", "100000")
    params = {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.02",
              "price": "110000", "timeInForce": "GTC"}  # fmt: skip
    placed = await Bot(client, key).json("POST", "/fapi/v1/order", params)
    seen: dict[str, Any] = {}
    while len(seen) < 2:
        message = await ws.receive_json(timeout=5)
        seen.setdefault(message["stream"], message["data"])
    assert seen[listen]["e"] == "ORDER_TRADE_UPDATE"
    assert seen[listen]["o"]["i"] == placed["orderId"]
    assert seen["btcusdt@bookTicker"]["e"] == "bookTicker"
    assert await (await listen_key(client, key, "DELETE")).json() == {}
    while (closed := await ws.receive(timeout=5)).type is aiohttp.WSMsgType.TEXT:
        pass  # a book ticker still queued
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await binance_error(await client.get(f"/stream?streams={listen}"), 400, -1125)


async def test_a_combined_stream_opened_with_no_streams(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/stream")
    await ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@bookTicker"], "id": 1})
    assert await ws.receive_json(timeout=5) == {"result": None, "id": 1}
    await tick(client, "ETHUSDT", "3000")
    message = await ws.receive_json(timeout=5)
    assert (message["stream"], message["data"]["e"]) == ("ethusdt@bookTicker", "bookTicker")
    await ws.close()


async def test_a_misspelt_stream_is_an_invalid_name_not_a_listen_key(
    client: TestClient[Any, Any],
) -> None:
    """Only a 64-letter name is taken for a listen key (-1125 when unknown); a name such as
    ``btcusdt`` is a stream Velox does not serve (-1121)."""
    for path in ("/stream?streams=btcusdt", "/ws/btcusdt", "/stream?streams=btcusdt/x"):
        await binance_error(await client.get(path), 400, -1121)
    for path in (f"/stream?streams={'A' * 64}", f"/ws/{'A' * 64}"):
        await binance_error(await client.get(path), 400, -1125)
