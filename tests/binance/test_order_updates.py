"""The user stream's ``ORDER_TRADE_UPDATE`` as Binance sends it, on a real socket: a market
order NEW before its TRADE; each trade with the id ``t`` and the ``m`` (maker) that
``/fapi/v1/userTrades`` reports for the same fill, so a resting LIMIT's fill says maker; a
resting order's fill with its own type and price, also when it was placed before the stream
opened; and a GTD order's ``f``/``gtd`` as the REST reply has them, from NEW to its end.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.binance.helpers import Bot, now_ms
from tests.binance.test_trading import ORDER, netting_bot
from tests.binance.test_user_stream import listen_key
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

FEES = {"taker_fee": "0.0005", "maker_fee": "0.0002"}
BTC = "BTCUSDT"


async def next_payload(ws: aiohttp.ClientWebSocketResponse, kind: str) -> Any:
    while True:
        message = await ws.receive_json(timeout=5)
        if message.get("e") == kind:
            return message


async def updates_until_account(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    """The order updates (``o``) up to the next ACCOUNT_UPDATE."""
    out = []
    while (message := await ws.receive_json(timeout=5))["e"] != "ACCOUNT_UPDATE":
        assert message["e"] == "ORDER_TRADE_UPDATE", message
        out.append(message["o"])
    return out


FIELDS = ("x", "X", "i", "c", "o", "f", "gtd", "q", "p", "l", "z", "L", "n", "t", "m", "R")


def shown(o: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(o[k] for k in FIELDS)


async def fills_of(bot: Bot) -> dict[int, dict[str, Any]]:
    """``/fapi/v1/userTrades`` by trade id."""
    return {t["id"]: t for t in await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})}


async def test_order_updates_as_binance_sends_them(make_client: MakeClient) -> None:
    client = await make_client(**FEES)
    _, bot, _ = await netting_bot(client)
    created = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    zero = "0.00000000"
    # an order that never fills takes order id 1: order and trade ids part from here on
    far = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "50000",
           "timeInForce": "GTC"}  # fmt: skip
    far_id = (await bot.json("POST", ORDER, far))["orderId"]
    await bot.json("DELETE", ORDER, {"symbol": BTC, "orderId": far_id})
    assert [(await next_payload(ws, "ORDER_TRADE_UPDATE"))["o"]["x"] for _ in "12"] == [
        "NEW", "CANCELED"
    ]  # fmt: skip

    market = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01",
              "newClientOrderId": "entry-1"}  # fmt: skip
    bought = (await bot.json("POST", ORDER, market))["orderId"]
    (fill,) = (await fills_of(bot)).values()
    assert (fill["orderId"], fill["maker"], fill["price"]) == (bought, False, "100050.00000000")
    assert fill["id"] != bought  # the trade's id is not the order's
    new, trade = await updates_until_account(ws)
    assert shown(new) == ("NEW", "NEW", bought, "entry-1", "MARKET", "GTC", 0, "0.01000000",
                          zero, zero, zero, zero, zero, 0, False, False)  # fmt: skip
    assert shown(trade) == ("TRADE", "FILLED", bought, "entry-1", "MARKET", "GTC", 0,
                            "0.01000000", zero, "0.01000000", "0.01000000", "100050.00000000",
                            "0.50025000", fill["id"], False, False)  # fmt: skip

    # a resting LIMIT (GTD) adds to the LONG when the ask comes down to it: a maker fill
    gtd = now_ms() + 3_600_000
    limit = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.02",
             "price": "99000", "timeInForce": "GTD", "goodTillDate": gtd}  # fmt: skip
    resting = await bot.json("POST", ORDER, limit)
    assert (resting["timeInForce"], resting["goodTillDate"]) == ("GTD", gtd)
    message = await next_payload(ws, "ORDER_TRADE_UPDATE")
    assert shown(message["o"]) == (
        "NEW", "NEW", resting["orderId"], resting["clientOrderId"], "LIMIT", "GTD", gtd,
        "0.02000000", "99000.00000000", zero, zero, zero, zero, 0, False, False,
    )  # fmt: skip
    await tick(client, BTC, "98000")  # ask 98049
    (trade,) = await updates_until_account(ws)  # no NEW again: it was shown when placed
    (fill,) = [f for f in (await fills_of(bot)).values() if f["orderId"] == resting["orderId"]]
    assert fill["maker"] is True
    assert shown(trade) == (
        "TRADE", "FILLED", resting["orderId"], resting["clientOrderId"], "LIMIT", "GTD", gtd,
        "0.02000000", "99000.00000000", "0.02000000", "0.02000000", "99000.00000000",
        "0.39600000", fill["id"], True, False,
    )  # fmt: skip

    # a resting LIMIT SELL placed before anyone listens reduces the LONG: still a LIMIT
    await ws.close()
    sell = {"symbol": BTC, "side": "SELL", "type": "LIMIT", "quantity": "0.01",
            "price": "99500", "timeInForce": "GTC"}  # fmt: skip
    reducing = await bot.json("POST", ORDER, sell)
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    await tick(client, BTC, "99600")  # bid 99550.2
    (trade,) = await updates_until_account(ws)
    (fill,) = [f for f in (await fills_of(bot)).values() if f["orderId"] == reducing["orderId"]]
    assert shown(trade)[:9] == ("TRADE", "FILLED", reducing["orderId"],
                                reducing["clientOrderId"], "LIMIT", "GTC", 0, "0.01000000",
                                "99500.00000000")  # fmt: skip
    assert (trade["t"], trade["m"], trade["L"], trade["n"], trade["rp"]) == (
        fill["id"], fill["maker"], fill["price"], fill["commission"], fill["realizedPnl"]
    )  # fmt: skip
    await ws.close()


async def test_a_gtd_order_says_so_until_it_ends(make_client: MakeClient) -> None:
    client = await make_client(**FEES)
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    gtd = now_ms() + 3_600_000
    limit = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01",
             "price": "90000", "timeInForce": "GTD", "goodTillDate": gtd}  # fmt: skip
    before = await bot.json("POST", ORDER, limit)  # placed before the stream opens
    created = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{created['listenKey']}")
    after = await bot.json("POST", ORDER, {**limit, "price": "91000"})
    o = (await next_payload(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (o["i"], o["x"], o["f"], o["gtd"]) == (after["orderId"], "NEW", "GTD", gtd)
    for order in (before, after):
        await bot.json("DELETE", ORDER, {"symbol": BTC, "orderId": order["orderId"]})
        o = (await next_payload(ws, "ORDER_TRADE_UPDATE"))["o"]
        assert (o["i"], o["x"], o["X"], o["o"], o["f"], o["gtd"]) == (
            order["orderId"], "CANCELED", "CANCELED", "LIMIT", "GTD", gtd
        )  # fmt: skip
    await ws.close()


async def test_a_limit_that_fills_at_once_against_a_position_stays_a_limit(
    make_client: MakeClient,
) -> None:
    """A LIMIT priced through the market fills at once; against an open position (adding
    to it, or reducing it) its row, its reply and its stream updates said MARKET with price 0
    (an outside review): they say LIMIT at its price, as when it opens a position."""
    client = await make_client()
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    market = {"symbol": BTC, "type": "MARKET", "quantity": "0.002"}
    await bot.json("POST", ORDER, {**market, "side": "SELL"})  # a SHORT of 0.002
    await updates_until_account(ws)
    through = {"symbol": BTC, "type": "LIMIT", "quantity": "0.001", "price": "200000",
               "timeInForce": "GTC"}  # fmt: skip
    reduced = await bot.json("POST", ORDER, {**through, "side": "BUY"})  # reduces the SHORT
    flipped = await bot.json("POST", ORDER, {**through, "side": "BUY", "quantity": "0.002"})
    added = await bot.json("POST", ORDER, {**through, "side": "BUY"})  # adds to the LONG
    for placed in (reduced, added):
        assert (placed["type"], placed["origType"], placed["price"], placed["status"]) == (
            "LIMIT", "LIMIT", "200000.00000000", "FILLED"
        )  # fmt: skip
        got = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": placed["orderId"]})
        assert (got["type"], got["price"], got["executedQty"]) == (
            "LIMIT", "200000.00000000", "0.00100000"
        )  # fmt: skip
    streamed: dict[int, list[tuple[str, str, str]]] = {}
    while added["orderId"] not in streamed:  # the flip's updates come between
        for o in await updates_until_account(ws):
            streamed.setdefault(o["i"], []).append((o["x"], o["o"], o["p"]))
    for placed in (reduced, added):
        assert streamed[placed["orderId"]] == [
            ("NEW", "LIMIT", "200000.00000000"), ("TRADE", "LIMIT", "200000.00000000")
        ]  # fmt: skip
    assert streamed[flipped["orderId"]] == [  # closes the SHORT's 0.001, opens a LONG 0.001
        ("NEW", "LIMIT", "200000.00000000"), ("TRADE", "LIMIT", "200000.00000000"),
        ("TRADE", "LIMIT", "200000.00000000"),
    ]  # fmt: skip
    await ws.close()
