"""A position's stop is an algo order of its own, as on Binance (a review of a ccxt / ccxt.pro
bot's day): it keeps the ``clientAlgoId`` it was placed with; each placement has an id of
its own, never given again (a stop cancelled and placed again is two orders); a cancelled
one answers CANCELED and is listed by ``allAlgoOrders``; and one that fires places an order
of its own, NEW then FILLED on the user stream, which its ALGO_UPDATE names (``ai``).

Before: the stop showed ``velox-<position>-sl``, its id was derived from the position and
the kind (the same for every placement), a cancelled one was -2013, and the fired stop's
trade came under the algo id with no NEW, so ccxt.pro's cache ended it with filled None."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest

from tests.binance.test_ccxt_pro import Session, listening, session
from tests.binance.test_ccxt_trading import netting_exchange
from tests.web.conftest import MakeClient
from tests.web.helpers import tick

SYMBOL = "BTC/USDT:USDT"
TRIGGER = {"trigger": True}
__all__ = ["session"]  # the ccxt.pro fixture


def D(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_a_stop_keeps_the_client_id_it_was_placed_with(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _, _):
        await tick(client, "BTCUSDT", "100000")
        await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        params = {"stopLossPrice": 95000, "closePosition": True, "clientOrderId": "my-sl"}
        sl = await exchange.create_order(SYMBOL, "market", "sell", None, params=params)
        assert sl["clientOrderId"] == "my-sl"
        fetched = await exchange.fetch_order(sl["id"], SYMBOL, params=TRIGGER)
        assert (fetched["clientOrderId"], fetched["status"]) == ("my-sl", "open")
        by_client = await exchange.fetch_order(None, SYMBOL, {**TRIGGER, "clientOrderId": "my-sl"})
        assert by_client["id"] == sl["id"]
        (listed,) = await exchange.fetch_open_orders(SYMBOL, params=TRIGGER)
        assert (listed["id"], listed["clientOrderId"]) == (sl["id"], "my-sl")
        every = await exchange.fetch_orders(SYMBOL, params=TRIGGER)
        assert [(o["id"], o["clientOrderId"]) for o in every] == [(sl["id"], "my-sl")]

        # POST /fapi/v1/order's closePosition STOP_MARKET keeps newClientOrderId too
        await exchange.cancel_order(None, SYMBOL, {**TRIGGER, "clientOrderId": "my-sl"})
        assert await exchange.fetch_open_orders(SYMBOL, params=TRIGGER) == []
        placed = await exchange.fapiPrivatePostOrder({
            "symbol": "BTCUSDT", "side": "SELL", "type": "STOP_MARKET", "stopPrice": "94000",
            "closePosition": "true", "newClientOrderId": "my-sl-2",
        })  # fmt: skip
        assert placed["clientOrderId"] == "my-sl-2"
        again = await exchange.fetch_order(None, SYMBOL, {**TRIGGER, "clientOrderId": "my-sl-2"})
        assert (again["id"], D(again["triggerPrice"])) == (str(placed["orderId"]), 94000)


async def test_a_stop_placed_again_is_another_order(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _, _):
        await tick(client, "BTCUSDT", "100000")
        await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        params = {"stopLossPrice": 95000, "closePosition": True}
        first = await exchange.create_order(SYMBOL, "market", "sell", None, params=params)
        await exchange.cancel_order(first["id"], SYMBOL, params=TRIGGER)
        second = await exchange.create_order(SYMBOL, "market", "sell", None, params=params)
        assert second["id"] != first["id"]
        assert second["clientOrderId"] != first["clientOrderId"]
        (listed,) = await exchange.fetch_open_orders(SYMBOL, params=TRIGGER)
        assert listed["id"] == second["id"]


async def test_a_cancelled_stop_answers_canceled(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _, _):
        await tick(client, "BTCUSDT", "100000")
        await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        params = {"takeProfitPrice": 110000, "closePosition": True, "clientOrderId": "tp-1"}
        tp = await exchange.create_order(SYMBOL, "market", "sell", None, params=params)
        await exchange.cancel_order(tp["id"], SYMBOL, params=TRIGGER)
        fetched = await exchange.fetch_order(tp["id"], SYMBOL, params=TRIGGER)
        assert (fetched["status"], fetched["clientOrderId"], D(fetched["triggerPrice"])) == (
            "canceled", "tp-1", 110000
        )  # fmt: skip
        by_client = await exchange.fetch_order(None, SYMBOL, {**TRIGGER, "clientOrderId": "tp-1"})
        assert (by_client["id"], by_client["status"]) == (tp["id"], "canceled")
        every = await exchange.fetch_orders(SYMBOL, params=TRIGGER)
        assert [(o["id"], o["status"]) for o in every] == [(tp["id"], "canceled")]
        with pytest.raises(ccxt.OrderNotFound):  # not open: cancelled once, not twice
            await exchange.cancel_order(tp["id"], SYMBOL, params=TRIGGER)


async def test_a_fired_stop_places_an_order_that_fills(session: Session) -> None:
    exchange = session.exchange
    session.trade("100000")
    await exchange.load_markets()
    await session.feeding(exchange.create_order(SYMBOL, "market", "buy", 0.01), "100000")
    seen: list[dict[str, Any]] = []  # each order as each answer of watch_orders had it

    async def watching() -> None:
        while True:
            seen.extend(dict(o) for o in await exchange.watch_orders(SYMBOL))

    watch = asyncio.ensure_future(watching())
    try:
        await listening(session)
        params = {"stopLossPrice": 99000, "closePosition": True, "clientOrderId": "sl-fires"}
        sl = await exchange.create_order(SYMBOL, "market", "sell", None, params=params)
        async with asyncio.timeout(10):
            while not any(o["id"] != sl["id"] and o["status"] == "closed" for o in seen):
                session.trade("98000")
                await asyncio.sleep(0.1)
            while [o["status"] for o in seen if o["id"] == sl["id"]][-1] != "closed":
                await asyncio.sleep(0.1)
    finally:
        watch.cancel()
    (done,) = [o for o in seen if o["id"] != sl["id"]]  # NEW and TRADE: one answer
    assert (done["status"], done["side"], D(done["filled"]), D(done["amount"])) == (
        "closed", "sell", D("0.01"), D("0.01")
    )  # fmt: skip
    assert done["reduceOnly"] is True
    algo = await exchange.fetch_order(sl["id"], SYMBOL, params=TRIGGER)
    assert (algo["status"], algo["info"]["actualOrderId"]) == ("closed", done["id"])
    assert [t["order"] for t in await exchange.fetch_my_trades(SYMBOL)][-1] == done["id"]
    filled = await exchange.fetch_order(done["id"], SYMBOL)
    assert (filled["status"], D(filled["filled"])) == ("closed", D("0.01"))
