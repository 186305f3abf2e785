"""``allAlgoOrders`` lists every algo order of the symbol, as Binance does: STOP entries, the
open positions' closePosition / trailing orders and the ended ones, FINISHED or EXPIRED, each
as ``algoOrder`` shows it. (It listed STOP entries only: ``[]`` while a stop-loss was open,
and ccxt's fetch_closed_orders with ``trigger`` found nothing that had fired, though
fetch_order found it FINISHED: an outside review, rev4.)"""

from __future__ import annotations

from typing import Any

from tests.binance.helpers import Bot, netting_bot
from tests.binance.test_ccxt_trading import netting_exchange
from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import tick
from velox.clock import ManualClock
from velox.web.options import WebOptions

BTC, ORDER, ALGO = "BTCUSDT", "/fapi/v1/order", "/fapi/v1/algoOrder"
T0 = 1_750_000_000_000
BUY = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01"}
CLOSE = {"symbol": BTC, "side": "SELL", "closePosition": "true"}


async def clocked(make_client: MakeClient) -> tuple[Any, Bot, ManualClock]:
    clock = ManualClock(T0)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, binance_weight_limit=100_000)
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")  # bid 99950, ask 100050
    return client, bot, clock


async def test_all_algo_orders_lists_open_and_ended_conditional_orders(
    make_client: MakeClient,
) -> None:
    client, bot, clock = await clocked(make_client)

    async def get(path: str, **params: Any) -> Any:
        return await bot.json("GET", path, {"symbol": BTC, **params}, clock=clock)

    entry = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
             "quantity": "0.01", "triggerPrice": "120000"}  # fmt: skip
    stop_entry = await bot.json("POST", ALGO, entry, clock=clock)  # T0
    clock.advance(1000)
    first = await bot.json("POST", ORDER, BUY, clock=clock)  # T0 + 1000
    sl = await bot.json("POST", ALGO, {**CLOSE, "algoType": "CONDITIONAL",
                                       "type": "STOP_MARKET", "triggerPrice": "95000"},
                        clock=clock)  # fmt: skip
    tp = await bot.json("POST", ORDER, {**CLOSE, "type": "TAKE_PROFIT_MARKET",
                                        "stopPrice": "101000"}, clock=clock)  # fmt: skip
    listed = await get("/fapi/v1/allAlgoOrders")
    assert [(o["algoId"], o["orderType"], o["algoStatus"]) for o in listed] == [
        (stop_entry["algoId"], "STOP_MARKET", "NEW"), (sl["algoId"], "STOP_MARKET", "NEW"),
        (tp["orderId"], "TAKE_PROFIT_MARKET", "NEW"),
    ]  # fmt: skip

    clock.advance(1000)
    await tick(client, BTC, "101500")  # the take-profit fires; the stop-loss expires
    clock.advance(1000)
    await tick(client, BTC, "100000")
    second = await bot.json("POST", ORDER, BUY, clock=clock)  # T0 + 3000
    trail = {"symbol": BTC, "side": "SELL", "type": "TRAILING_STOP_MARKET",
             "callbackRate": "1", "quantity": "0.01", "reduceOnly": "true"}  # fmt: skip
    ts = await bot.json("POST", ORDER, trail, clock=clock)
    assert ts["orderId"] == second["orderId"] + 1  # an id of its own: the next order id

    listed = await get("/fapi/v1/allAlgoOrders")
    shown = [(o["algoId"], o["algoStatus"], o["executedQty"]) for o in listed]
    assert shown == [
        (stop_entry["algoId"], "NEW", "0.00000000"), (sl["algoId"], "EXPIRED", "0.00000000"),
        (tp["orderId"], "FINISHED", "0.01000000"), (ts["orderId"], "NEW", "0.00000000"),
    ]  # fmt: skip
    # each as GET algoOrder shows it
    for row in listed:
        assert row == await bot.json("GET", ALGO, {"algoId": row["algoId"]}, clock=clock)
    assert listed[2]["actualOrderId"] == str(10**15 + 4 * first["orderId"] + 2)  # its order
    assert first["orderId"] < second["orderId"]

    ids = [row["algoId"] for row in listed]
    assert [o["algoId"] for o in await get("/fapi/v1/allAlgoOrders", limit=2)] == ids[2:]
    assert [o["algoId"] for o in await get("/fapi/v1/allAlgoOrders", algoId=ids[1])] == ids[1:]
    page = await get("/fapi/v1/allAlgoOrders", algoId=ids[0], limit=2)
    assert [o["algoId"] for o in page] == ids[:2]
    page = await get("/fapi/v1/allAlgoOrders", algoId=ids[1] + 1, limit=2)
    assert [o["algoId"] for o in page] == ids[2:]
    page = await get("/fapi/v1/allAlgoOrders", startTime=T0 + 1)
    assert [o["algoId"] for o in page] == ids[1:]
    page = await get("/fapi/v1/allAlgoOrders", startTime=T0 + 2000)
    assert [o["algoId"] for o in page] == ids[3:]
    page = await get("/fapi/v1/allAlgoOrders", endTime=T0 + 1000)
    assert [o["algoId"] for o in page] == ids[:3]
    assert await get("/fapi/v1/allAlgoOrders", startTime=T0 + 5000) == []
    walked, at = [], 0  # a bot paging from the last id it was given + 1 meets each once
    while rows := await get("/fapi/v1/allAlgoOrders", algoId=at, limit=1):
        walked.append(rows[0]["algoId"])
        at = rows[0]["algoId"] + 1
    assert walked == ids
    later = await bot.json("POST", ALGO, {**entry, "triggerPrice": "121000"}, clock=clock)
    assert later["algoId"] == ids[-1] + 1  # stops and entries: one sequence of ids
    assert [o["algoId"] for o in await get("/fapi/v1/allAlgoOrders", algoId=at)] == [
        later["algoId"]
    ]  # fmt: skip
    assert await bot.json("GET", "/fapi/v1/allAlgoOrders", {"symbol": "ETHUSDT"},
                          clock=clock) == []  # fmt: skip


async def test_from_an_algo_id_the_stops_come_by_their_positions_ids(
    make_client: MakeClient,
) -> None:
    """A LIMIT that rested opens its position after a later order's position closed: each
    stop has an id of its own, given when it was placed (the order ids' sequence), so from
    an id a bot meets each once; in allOrders, the order a fired stop placed comes after
    the order that opened its position."""
    client, bot, clock = await clocked(make_client)
    limit = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01",
             "price": "90000", "timeInForce": "GTC"}  # fmt: skip
    rested = await bot.json("POST", ORDER, limit, clock=clock)
    bought = await bot.json("POST", ORDER, BUY, clock=clock)
    sl = await bot.json("POST", ORDER, {**CLOSE, "type": "STOP_MARKET", "stopPrice": "95000"},
                        clock=clock)  # fmt: skip
    clock.advance(1000)
    await tick(client, BTC, "94000")  # the stop-loss closes the market order's position
    clock.advance(1000)
    await tick(client, BTC, "89000")  # ask 89050: the LIMIT opens its own
    clock.advance(1000)
    tp = await bot.json("POST", ORDER, {**CLOSE, "type": "TAKE_PROFIT_MARKET",
                                        "stopPrice": "91000"}, clock=clock)  # fmt: skip
    await tick(client, BTC, "92000")
    history = await bot.json("GET", "/fapi/v1/allAlgoOrders", {"symbol": BTC}, clock=clock)
    assert [o["algoId"] for o in history] == [sl["orderId"], tp["orderId"]]  # by time
    assert rested["orderId"] < bought["orderId"] < sl["orderId"] < tp["orderId"]

    async def page(from_id: int) -> list[int]:
        query = {"symbol": BTC, "algoId": from_id, "limit": 1}
        return [o["algoId"] for o in await bot.json("GET", "/fapi/v1/allAlgoOrders", query,
                                                    clock=clock)]  # fmt: skip

    assert await page(rested["orderId"]) == [sl["orderId"]]
    assert await page(sl["orderId"] + 1) == [tp["orderId"]]
    assert await page(tp["orderId"] + 1) == []
    fired = await bot.json("GET", ALGO, {"algoId": tp["orderId"]}, clock=clock)
    query = {"symbol": BTC, "orderId": rested["orderId"] + 1, "limit": 2}
    listed = await bot.json("GET", "/fapi/v1/allOrders", query, clock=clock)
    assert [o["orderId"] for o in listed] == [int(fired["actualOrderId"]), bought["orderId"]]


async def test_ccxt_finds_a_fired_stop_among_its_trigger_orders(make_client: MakeClient) -> None:
    """The reviewer's lookups (fired_stop_lookup.py): fetch_orders / fetch_closed_orders
    with ``trigger`` gave [] for a stop-loss that fetch_order found FINISHED."""
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _user, _account):
        exchange.enableRateLimit = False
        symbol = "BTC/USDT:USDT"
        await tick(client, BTC, "100000")
        await exchange.create_order(symbol, "market", "buy", 0.01)
        stop = await exchange.create_order(symbol, "market", "sell", None, None,
                                           {"stopPrice": 95000, "closePosition": True})  # fmt: skip
        (listed,) = await exchange.fetch_orders(symbol, None, None, {"trigger": True})
        assert (listed["id"], listed["status"]) == (stop["id"], "open")
        await tick(client, BTC, "94000")  # the stop-loss fires at the bid, 93953
        found = await exchange.fetch_order(stop["id"], symbol, {"trigger": True})
        (closed,) = await exchange.fetch_closed_orders(symbol, None, None, {"trigger": True})
        assert (closed["id"], closed["status"], closed["filled"]) == (
            found["id"], found["status"], found["filled"]
        )  # fmt: skip
        assert (closed["status"], closed["filled"]) == ("closed", 0.01)


async def test_a_stop_was_created_when_it_was_placed(make_client: MakeClient) -> None:
    """A stop placed after its position opened says so (``createTime``, ``time``) in its
    answer, to GET, in the open and all lists, and once cancelled: it showed the position's
    open while open, and its placement once cancelled."""
    _, bot, clock = await clocked(make_client)
    await bot.json("POST", ORDER, BUY, clock=clock)  # T0
    clock.advance(5000)
    stop = {**CLOSE, "algoType": "CONDITIONAL", "type": "STOP_MARKET", "triggerPrice": "95000"}
    sl = await bot.json("POST", ALGO, stop, clock=clock)
    query = {"algoId": sl["algoId"]}
    shown = [sl, await bot.json("GET", ALGO, query, clock=clock),
             *await bot.json("GET", "/fapi/v1/openAlgoOrders", {"symbol": BTC}, clock=clock),
             *await bot.json("GET", "/fapi/v1/allAlgoOrders", {"symbol": BTC,
                                                               "startTime": T0 + 1},
                             clock=clock)]  # fmt: skip
    assert [(o["algoId"], o["createTime"], o["updateTime"]) for o in shown] == [
        (sl["algoId"], T0 + 5000, T0 + 5000)
    ] * 4
    as_order = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": sl["algoId"]},
                              clock=clock)  # fmt: skip
    assert (as_order["time"], as_order["updateTime"]) == (T0 + 5000, T0 + 5000)
    clock.advance(1000)
    await bot.json("DELETE", ALGO, query, clock=clock)
    cancelled = await bot.json("GET", ALGO, query, clock=clock)
    assert (cancelled["algoStatus"], cancelled["createTime"], cancelled["updateTime"]) == (
        "CANCELED", T0 + 5000, T0 + 6000
    )  # fmt: skip
