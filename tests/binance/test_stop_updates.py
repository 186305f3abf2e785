"""A position's stops on the user stream, as Binance reports conditional orders: ALGO_UPDATE
NEW when one is set, CANCELED when it is cancelled, FINISHED when it fires (next to its
trade) and EXPIRED for the others when the position ends; and a resting order's new price
(PUT /fapi/v1/order) as ORDER_TRADE_UPDATE AMENDMENT. (The stream said nothing when stops
were set or cancelled, so ccxt.pro's watch_orders never saw them: an earlier note's "left
alone" list.)"""

from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, make_key, netting_bot
from tests.binance.test_user_stream import listen_key
from tests.web.conftest import MakeClient
from tests.web.helpers import User, signup, tick

BTC, ORDER, ALGO = "BTCUSDT", "/fapi/v1/order", "/fapi/v1/algoOrder"
STOP_FIELDS = ("X", "aid", "caid", "o", "S", "tp", "cp", "R", "q", "aq", "ap")


async def messages(ws: aiohttp.ClientWebSocketResponse, count: int) -> list[tuple[Any, ...]]:
    """The next ``count`` messages: ALGO_UPDATEs as ``STOP_FIELDS``, others by kind (and an
    order update's execution type and order id)."""
    out: list[tuple[Any, ...]] = []
    while len(out) < count:
        message = await ws.receive_json(timeout=5)
        if message["e"] == "ALGO_UPDATE":
            assert message["T"] <= message["E"]
            out.append(tuple(message["o"][k] for k in STOP_FIELDS))
        elif message["e"] == "ORDER_TRADE_UPDATE":
            out.append((message["e"], message["o"]["x"], message["o"]["i"]))
        else:
            out.append((message["e"],))
    return out


async def quiet(ws: aiohttp.ClientWebSocketResponse) -> None:
    """Nothing more arrives (a trailing stop's mark moving is no update)."""
    try:
        message = await ws.receive_json(timeout=0.5)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected {message}")


async def listening(
    make_client: MakeClient,
) -> tuple[TestClient[Any, Any], User, Bot, dict[str, str], aiohttp.ClientWebSocketResponse]:
    """A NETTING account's bot, BTC quoted (bid 99950, ask 100050), its user stream open:
    (client, user, bot, the account header, the socket)."""
    client = await make_client()
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    return client, user, bot, {"X-Velox-Account": account}, ws


async def test_stops_are_new_canceled_finished_and_expired(make_client: MakeClient) -> None:
    client = await make_client()
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    bought = await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                            "quantity": "0.01"})  # fmt: skip
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    close = {"symbol": BTC, "side": "SELL", "closePosition": "true"}
    take = {"algoType": "CONDITIONAL", "type": "TAKE_PROFIT_MARKET", "triggerPrice": "101000"}
    tp = await bot.json("POST", ALGO, {**close, **take})
    sl = await bot.json("POST", ORDER, {**close, "type": "STOP_MARKET", "stopPrice": "95000"})
    pid, zero = bought["orderId"], "0.00000000"
    tp_new = ("NEW", tp["algoId"], f"velox-{tp['algoId']}", "TAKE_PROFIT_MARKET", "SELL",
              "101000.00000000", True, True, zero, zero, zero)  # fmt: skip
    sl_new = ("NEW", sl["orderId"], f"velox-{sl['orderId']}", "STOP_MARKET", "SELL",
              "95000.00000000", True, True, zero, zero, zero)  # fmt: skip
    assert await messages(ws, 2) == [tp_new, sl_new]

    await bot.json("DELETE", ALGO, {"symbol": BTC, "algoId": sl["orderId"]})
    assert await messages(ws, 1) == [("CANCELED", *sl_new[1:])]
    again = await bot.json("POST", ORDER, {**close, "type": "STOP_MARKET", "stopPrice": "96000"})
    assert again["orderId"] > sl["orderId"]  # another order: an id of its own
    sl_new = ("NEW", again["orderId"], f"velox-{again['orderId']}", *sl_new[3:5],
              "96000.00000000", *sl_new[6:])  # fmt: skip
    assert await messages(ws, 1) == [sl_new]

    await tick(client, BTC, "101500")  # bid 101449.25: the take-profit fires at it
    actual = pid * 4 + 10**15 + 2  # the order it placed (ALGO_UPDATE's ``ai``)
    assert await messages(ws, 7) == [
        ("TRIGGERING", *tp_new[1:]),
        ("TRIGGERED", *tp_new[1:]),
        ("ORDER_TRADE_UPDATE", "NEW", actual),
        ("ORDER_TRADE_UPDATE", "TRADE", actual),
        ("ACCOUNT_UPDATE",),
        ("FINISHED", *tp_new[1:8], zero, "0.01000000", "101449.25000000"),
        ("EXPIRED", *sl_new[1:]),
    ]
    # what the stream said agrees with the REST answers
    algo = await bot.json("GET", ALGO, {"algoId": tp["algoId"]})
    assert (algo["algoStatus"], algo["triggerPrice"]) == ("FINISHED", "101000.00000000")
    expired = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": again["orderId"]})
    assert expired["status"] == "EXPIRED"
    cancelled = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": sl["orderId"]})
    assert (cancelled["status"], cancelled["stopPrice"]) == ("CANCELED", "95000.00000000")
    await ws.close()


async def test_native_stops_and_a_manual_close(make_client: MakeClient) -> None:
    """Stops set at the open and changed with the native API; a trailing stop's mark moves
    quietly; the close button expires every stop the position still had."""
    client, user, _, on, ws = await listening(make_client)
    order = await user.json("POST", "/api/v1/order/open", 201, headers=on, json={
        "asset": BTC, "side": "LONG", "leverage": 10, "margin": "100",
        "stopLoss": "90000", "trailingStop": "1000",
    })  # fmt: skip
    pid, qty = int(order["orderId"]), order["qty"]
    sl = ("NEW", pid * 4 + 10**15 + 1, f"velox-{pid}-sl", "STOP_MARKET", "SELL",
          "90000.00000000", True, True, "0.00000000")  # fmt: skip
    ts = ("NEW", pid * 4 + 10**15 + 3, f"velox-{pid}-ts", "TRAILING_STOP_MARKET", "SELL",
          "98950.00000000", False, True, qty)  # fmt: skip
    opened = await messages(ws, 5)  # the market order's NEW and TRADE, the account, stops
    assert [m[:9] for m in opened[3:]] == [sl, ts]

    await tick(client, BTC, "100500")  # the mark moves up: no update
    await quiet(ws)
    path = f"/api/v1/order/{pid}"
    await user.json("PATCH", path, 200, headers=on, json={"stopLoss": "91000",
                                                           "takeProfit": "120000"})  # fmt: skip
    changed = await messages(ws, 2)
    tp_id = changed[1][1]  # placed after the open: an id of its own, an order id's
    assert pid < tp_id < 10**15
    assert [m[:6] for m in changed] == [
        (*sl[:5], "91000.00000000"),
        ("NEW", tp_id, f"velox-{tp_id}", "TAKE_PROFIT_MARKET", "SELL", "120000.00000000"),
    ]  # fmt: skip
    await user.json("PATCH", path, 200, headers=on, json={"trailingStop": None})
    assert [m[:4] for m in await messages(ws, 1)] == [("CANCELED", *ts[1:4])]

    await user.json("POST", f"/api/v1/order/close/{pid}", 200, headers=on)
    ended = await messages(ws, 4)
    # the close button's close is an order of its own (not the opening order's id)
    close_id = 10**15 + pid * 4
    assert ended[:2] == [("ORDER_TRADE_UPDATE", "TRADE", close_id), ("ACCOUNT_UPDATE",)]
    assert sorted(m[:2] for m in ended[2:]) == [("EXPIRED", tp_id), ("EXPIRED", sl[1])]
    await ws.close()


async def test_a_resting_orders_new_price_is_an_amendment(make_client: MakeClient) -> None:
    _, _, bot, _, ws = await listening(make_client)
    placed = await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "LIMIT",
                                            "quantity": "0.01", "price": "90000",
                                            "timeInForce": "GTC"})  # fmt: skip
    assert await messages(ws, 1) == [("ORDER_TRADE_UPDATE", "NEW", placed["orderId"])]
    await bot.json("PUT", ORDER, {"symbol": BTC, "orderId": placed["orderId"], "side": "BUY",
                                  "quantity": "0.01", "price": "91000"})  # fmt: skip
    message = await ws.receive_json(timeout=5)
    o = message["o"]
    assert (message["e"], o["x"], o["X"], o["i"], o["s"], o["S"], o["o"], o["p"], o["q"]) == (
        "ORDER_TRADE_UPDATE", "AMENDMENT", "NEW", placed["orderId"], BTC, "BUY", "LIMIT",
        "91000.00000000", "0.01000000",
    )  # fmt: skip
    await ws.close()


async def test_a_scale_in_sets_stops_and_the_trailing_quantity_follows(
    make_client: MakeClient,
) -> None:
    """A NETTING scale-in replaces the stops it gives (SPEC 12) and changes the quantity:
    the stream says which conditional orders that set, a trailing stop it kept shows the
    new quantity, and the stop it set is FINISHED when it fires. (The stream read the
    scale-in's own order id, missed all of it, and showed the old quantity: a read of the
    change.)"""
    client, user, _, on, ws = await listening(make_client)
    long = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100"}
    first = await user.json("POST", "/api/v1/order/open", 201, headers=on,
                            json={**long, "trailingStop": "1000"})  # fmt: skip
    pid = int(first["orderId"])
    assert [m[:4] for m in (await messages(ws, 4))[3:]] == [
        ("NEW", pid * 4 + 10**15 + 3, f"velox-{pid}-ts", "TRAILING_STOP_MARKET")
    ]
    added = await user.json("POST", "/api/v1/order/open", 200, headers=on,
                            json={**long, "stopLoss": "95000"})  # fmt: skip
    scaled = await messages(ws, 5)  # NEW, TRADE and ACCOUNT_UPDATE; the SL, the trailing stop
    # the stop-loss given is set, an order of its own (the id after the scale-in's order);
    # the trailing stop not given stays, on the grown quantity
    stop = scaled[0][2] + 1
    trailing = pid * 4 + 10**15 + 3  # set with the position: derived from its id
    assert [m[:3] for m in scaled[3:]] == [("NEW", stop, f"velox-{stop}"),
                                           ("NEW", trailing, f"velox-{pid}-ts")]  # fmt: skip
    assert scaled[3][5] == "95000.00000000"
    assert scaled[4][8] == added["qty"]
    await user.json("PATCH", f"/api/v1/order/{pid}", 200, headers=on,
                    json={"trailingStop": "2000"})  # fmt: skip
    (trailing,) = await messages(ws, 1)
    assert (trailing[0], trailing[1], trailing[8]) == ("NEW", pid * 4 + 10**15 + 3, added["qty"])
    await tick(client, BTC, "94000")  # the stop-loss fires
    fired = await messages(ws, 7)
    actual = pid * 4 + 10**15 + 1  # the order the stop-loss placed
    assert [m[:2] for m in fired[:2]] == [("TRIGGERING", stop), ("TRIGGERED", stop)]
    assert fired[2:5] == [("ORDER_TRADE_UPDATE", "NEW", actual),
                          ("ORDER_TRADE_UPDATE", "TRADE", actual), ("ACCOUNT_UPDATE",)]  # fmt: skip
    assert [m[:2] for m in fired[5:]] == [("FINISHED", stop),
                                          ("EXPIRED", pid * 4 + 10**15 + 3)]  # fmt: skip
    assert fired[5][9] == added["qty"]
    await ws.close()


async def test_quantity_algo_orders_are_algo_updates(make_client: MakeClient) -> None:
    """A conditional order with a quantity (POST /fapi/v1/algoOrder STOP_MARKET, reduce-only
    or not) is an algo order on the stream too, as the closePosition ones: ALGO_UPDATE NEW,
    CANCELED, and when it fires TRIGGERED, its order's NEW and TRADE, FINISHED. It came as
    ORDER_TRADE_UPDATEs under the algo id (an outside review)."""
    client, _, bot, _, ws = await listening(make_client)
    entry = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
             "quantity": "0.01", "triggerPrice": "101000"}  # fmt: skip
    zero, qty = "0.00000000", "0.01000000"
    first = await bot.json("POST", ALGO, entry)
    aid = first["algoId"]
    new = ("NEW", aid, f"velox-{aid}", "STOP_MARKET", "BUY", "101000.00000000", False, False,
           qty, zero, zero)  # fmt: skip
    assert await messages(ws, 1) == [new]
    await bot.json("DELETE", ALGO, {"symbol": BTC, "algoId": aid})
    assert await messages(ws, 1) == [("CANCELED", *new[1:])]

    second = await bot.json("POST", ALGO, {**entry, "clientAlgoId": "entry-2"})
    aid = second["algoId"]
    new = ("NEW", aid, "entry-2", *new[3:])
    assert await messages(ws, 1) == [new]
    await tick(client, BTC, "101500")  # ask 101550.75: it fires and fills there
    raw = [await ws.receive_json(timeout=5) for _ in range(5)]
    assert [(m["e"], m["o"].get("X") if m["e"] != "ACCOUNT_UPDATE" else None) for m in raw] == [
        ("ALGO_UPDATE", "TRIGGERED"), ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "FILLED"), ("ACCOUNT_UPDATE", None), ("ALGO_UPDATE", "FINISHED"),
    ]  # fmt: skip
    triggered, placed, trade, _, finished = raw
    assert tuple(triggered["o"][k] for k in STOP_FIELDS) == ("TRIGGERED", *new[1:])
    assert (triggered["o"]["ai"], triggered["o"]["tt"]) == (str(aid), triggered["T"])
    assert (placed["o"]["i"], placed["o"]["c"], placed["o"]["q"]) == (aid, "entry-2", qty)
    assert (trade["o"]["i"], trade["o"]["L"], trade["o"]["z"]) == (aid, "101550.75000000", qty)
    assert tuple(finished["o"][k] for k in STOP_FIELDS) == (
        "FINISHED",
        *new[1:9],
        qty,
        "101550.75000000",
    )
    assert finished["o"]["ai"] == str(aid)
    algo = await bot.json("GET", ALGO, {"algoId": aid})  # REST says the same
    assert (algo["algoStatus"], algo["executedQty"], algo["avgPrice"]) == (
        "FINISHED",
        qty,
        "101550.75000000",
    )

    reduce = {**entry, "side": "SELL", "triggerPrice": "99000", "reduceOnly": "true"}
    third = await bot.json("POST", ALGO, reduce)
    aid = third["algoId"]
    new = ("NEW", aid, f"velox-{aid}", "STOP_MARKET", "SELL", "99000.00000000", False, True,
           qty, zero, zero)  # fmt: skip
    assert await messages(ws, 1) == [new]
    await bot.json("DELETE", ALGO, {"symbol": BTC, "algoId": aid})
    assert await messages(ws, 1) == [("CANCELED", *new[1:])]
    await quiet(ws)
    await ws.close()


async def test_a_hedging_accounts_stream_gives_each_position_its_side(
    make_client: MakeClient,
) -> None:
    """A HEDGING account is Binance's hedge mode (``velox.binance.sides``): its key's stream
    says each position's own side in ACCOUNT_UPDATE, as positionRisk does (both said BOTH,
    one-way mode: a LONG and a SHORT on one symbol read as two one-way positions)."""
    client = await make_client()
    user = await signup(client)
    key = await make_key(user, ["read"])  # the first account: HEDGING
    await tick(client, BTC, "100000")
    made = await (await listen_key(client, key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    sides = []
    for side in ("SHORT", "LONG"):
        order = {"asset": BTC, "side": side, "leverage": 10, "margin": "100"}
        await user.json("POST", "/api/v1/order/open", 201, json=order)
        while (message := await ws.receive_json(timeout=5))["e"] != "ACCOUNT_UPDATE":
            pass
        sides.append([(p["s"], p["ps"]) for p in message["a"]["P"]])
    assert sides == [[(BTC, "SHORT")], [(BTC, "SHORT"), (BTC, "LONG")]]
    await ws.close()
