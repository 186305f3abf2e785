"""``userTrades`` and ``allOrders`` page as Binance's: always oldest first; from ``fromId``
(trades) or ``orderId`` (orders) on; else the oldest ``limit`` of the ``startTime`` /
``endTime`` window; else the newest ``limit``. ccxt's ``since`` is ``startTime``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.binance.helpers import Bot, binance_error, netting_bot
from tests.binance.test_ccxt import urls_for
from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import tick
from velox.clock import ManualClock
from velox.web.options import WebOptions

SOL = "SOLUSDT"
T0 = 1_750_000_000_000


@dataclass
class Three:
    """Three market buys of 1 SOL, one second apart (at T0, T0 + 1000, T0 + 2000)."""

    bot: Bot
    clock: ManualClock
    base: str
    orders: list[int]
    trades: list[int]

    async def get(self, path: str, params: dict[str, Any]) -> list[Any]:
        rows: list[Any] = await self.bot.json("GET", path, {"symbol": SOL, **params},
                                              clock=self.clock)  # fmt: skip
        return rows


@pytest.fixture
async def three(make_client: MakeClient) -> AsyncIterator[Three]:
    clock = ManualClock(T0)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, binance_weight_limit=100_000)
    _, bot, _ = await netting_bot(client)
    await tick(client, SOL, "150")
    orders = []
    for _ in range(3):
        buy = {"symbol": SOL, "side": "BUY", "type": "MARKET", "quantity": "1"}
        orders.append((await bot.json("POST", "/fapi/v1/order", buy, clock=clock))["orderId"])
        clock.advance(1000)
    every = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": SOL}, clock=clock)
    yield Three(bot, clock, str(client.make_url("")).rstrip("/"), orders,
                [t["id"] for t in every])  # fmt: skip


def ids(rows: list[Any], key: str) -> list[int]:
    return [row[key] for row in rows]


async def test_user_trades_pages_forward(three: Three) -> None:
    t1, t2, t3 = three.trades
    assert t1 < t2 < t3
    trades = "/fapi/v1/userTrades"
    assert [t["time"] for t in await three.get(trades, {})] == [T0, T0 + 1000, T0 + 2000]
    assert ids(await three.get(trades, {"limit": 2}), "id") == [t2, t3]  # the newest
    assert ids(await three.get(trades, {"fromId": t2}), "id") == [t2, t3]
    assert ids(await three.get(trades, {"fromId": t1, "limit": 1}), "id") == [t1]
    assert ids(await three.get(trades, {"fromId": t3 + 1}), "id") == []
    assert ids(await three.get(trades, {"startTime": T0, "limit": 1}), "id") == [t1]
    assert ids(await three.get(trades, {"startTime": T0 + 1, "limit": 2}), "id") == [t2, t3]
    assert ids(await three.get(trades, {"endTime": T0 + 1000, "limit": 1}), "id") == [t1]
    window = {"startTime": T0 + 1000, "endTime": T0 + 1000}
    assert ids(await three.get(trades, window), "id") == [t2]
    bad = {"symbol": SOL, "startTime": T0 + 1, "endTime": T0}
    response = await three.bot.call("GET", trades, bad, timestamp=three.clock.wall_ms())
    await binance_error(response, 400, -1023)


async def test_all_orders_pages_forward(three: Three) -> None:
    o1, o2, o3 = three.orders
    orders = "/fapi/v1/allOrders"
    assert ids(await three.get(orders, {}), "orderId") == [o1, o2, o3]
    assert ids(await three.get(orders, {"limit": 1}), "orderId") == [o3]  # the newest
    assert ids(await three.get(orders, {"orderId": o2}), "orderId") == [o2, o3]
    assert ids(await three.get(orders, {"orderId": o1, "limit": 1}), "orderId") == [o1]
    assert ids(await three.get(orders, {"startTime": T0 + 5000}), "orderId") == []
    assert ids(await three.get(orders, {"startTime": T0, "limit": 1}), "orderId") == [o1]
    assert ids(await three.get(orders, {"startTime": T0 + 1, "limit": 1}), "orderId") == [o2]
    assert ids(await three.get(orders, {"endTime": T0 + 1000}), "orderId") == [o1, o2]
    bad = {"symbol": SOL, "startTime": T0 + 1, "endTime": T0}
    response = await three.bot.call("GET", orders, bad, timestamp=three.clock.wall_ms())
    await binance_error(response, 400, -1023)


async def test_ccxt_pages_with_since(three: Three) -> None:
    key = three.bot.key
    exchange = ccxt.binanceusdm({"apiKey": key.api_key, "secret": key.secret,
                                 "urls": urls_for(three.base)})  # fmt: skip
    exchange.milliseconds = three.clock.wall_ms  # ccxt signs with its own clock
    try:
        await exchange.load_markets()
        symbol = "SOL/USDT:USDT"
        first = await exchange.fetch_my_trades(symbol, since=T0, limit=2)
        assert [int(t["id"]) for t in first] == three.trades[:2]
        rest = await exchange.fetch_my_trades(symbol, since=first[-1]["timestamp"] + 1, limit=2)
        assert [int(t["id"]) for t in rest] == three.trades[2:]
        orders = await exchange.fetch_orders(symbol, since=T0 + 1, limit=1)
        assert [int(o["id"]) for o in orders] == three.orders[1:2]
    finally:
        await exchange.close()


async def test_all_algo_orders_page_from_an_algo_id_and_by_time(make_client: MakeClient) -> None:
    """allAlgoOrders pages as allOrders does (an outside review found algoId, startTime and
    endTime ignored: a bot paging forward by algoId looped for ever)."""
    clock = ManualClock(T0)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options)
    _, bot, _ = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    ids = []
    for trigger in ("110000", "111000", "112000"):
        stop = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "BUY",
                "type": "STOP_MARKET", "quantity": "0.01", "triggerPrice": trigger}  # fmt: skip
        placed = await bot.json("POST", "/fapi/v1/algoOrder", stop, clock=clock)
        ids.append(placed["algoId"])
        clock.advance(1000)
    limit = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
             "price": "90000", "timeInForce": "GTC"}  # fmt: skip
    await bot.json("POST", "/fapi/v1/order", limit, clock=clock)  # not an algo order

    async def listed(**params: Any) -> list[int]:
        query = {"symbol": "BTCUSDT", **params}
        rows = await bot.json("GET", "/fapi/v1/allAlgoOrders", query, clock=clock)
        return [row["algoId"] for row in rows]

    assert await listed() == ids
    assert await listed(algoId=ids[1]) == ids[1:]
    assert await listed(algoId=ids[2] + 1000) == []
    assert await listed(algoId=ids[0], limit=2) == ids[:2]
    assert await listed(limit=2) == ids[1:]  # the newest, oldest first
    assert await listed(startTime=T0 + 1000) == ids[1:]
    assert await listed(endTime=T0 + 1000) == ids[:2]
    assert await listed(startTime=T0 + 10_000) == []
    assert await listed(symbol="ETHUSDT") == []


async def test_an_order_shows_its_fills_however_many_came_after(make_client: MakeClient) -> None:
    """GET /fapi/v1/order and allOrders read an order's own fills: they read the symbol's
    newest 1,000, so an order with 1,000 newer fills showed executedQty 0 (an outside
    review; ccxt's fetch_order then said nothing filled)."""
    # a price that stays fresh: a loaded host took more than 10 s for 200 of the orders
    client = await make_client(binance_weight_limit=10**6, rate_limit_orders=0, max_price_age=3600)
    _, bot, _ = await netting_bot(client)
    await tick(client, SOL, "150")
    buy = {"symbol": SOL, "side": "BUY", "type": "MARKET", "quantity": "1"}
    first = await bot.json("POST", "/fapi/v1/order", buy)
    for n in range(1000):
        side = "SELL" if n % 2 == 0 else "BUY"
        await bot.json("POST", "/fapi/v1/order", {**buy, "side": side})
    shown = await bot.json("GET", "/fapi/v1/order", {"symbol": SOL, "orderId": first["orderId"]})
    assert (shown["status"], shown["executedQty"], shown["avgPrice"]) == (
        "FILLED", "1.00000000", first["avgPrice"]
    )  # fmt: skip
    page = {"symbol": SOL, "orderId": first["orderId"], "limit": 1}
    (listed,) = await bot.json("GET", "/fapi/v1/allOrders", page)
    assert listed["executedQty"] == "1.00000000"
