"""Binance's batch endpoints (``POST``/``DELETE /fapi/v1/batchOrders``: ccxt's
``create_orders`` and ``cancel_orders``) and ``GET /fapi/v1/openOrder``, which bots call
and Velox answered 404 (an outside review)."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, binance_error, make_key, netting_bot, new_account
from tests.binance.test_ccxt_trading import SYMBOL, netting_exchange
from tests.web.conftest import MakeClient
from tests.web.helpers import signup, tick
from velox.binance import trading
from velox.service import EngineNotReady

BTC = "BTCUSDT"


async def test_ccxt_places_and_cancels_a_batch(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, user, account):
        await tick(client, BTC, "100000")
        placed = await exchange.create_orders([
            {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.01, "price": 90000},
            {"symbol": SYMBOL, "type": "limit", "side": "buy", "amount": 0.02, "price": 91000,
             "params": {"clientOrderId": "grid-2"}},
        ])  # fmt: skip
        assert [(o["status"], Decimal(str(o["price"]))) for o in placed] == [
            ("open", Decimal("90000")), ("open", Decimal("91000"))
        ]  # fmt: skip
        assert placed[1]["clientOrderId"] == "grid-2"
        native = await user.json("GET", "/api/v1/order/user/orders?status=PENDING", 200,
                                 headers={"X-Velox-Account": account})  # fmt: skip
        assert sorted(o["orderId"] for o in native["orders"]) == sorted(o["id"] for o in placed)

        opened = await exchange.fapiPrivateGetOpenOrder({"symbol": BTC, "orderId": placed[0]["id"]})
        assert (opened["orderId"], opened["status"]) == (int(placed[0]["id"]), "NEW")

        cancelled = await exchange.cancel_orders([o["id"] for o in placed], SYMBOL)
        assert [o["status"] for o in cancelled] == ["canceled", "canceled"]
        assert await exchange.fetch_open_orders(SYMBOL) == []


async def test_a_batch_limit_without_time_in_force_is_refused_alone(
    make_client: MakeClient,
) -> None:
    """Each order of a batch is checked as ``POST /fapi/v1/order`` checks it: a LIMIT
    without timeInForce is -1102, as on Binance (Velox took it as GTC), the others placed."""
    client = await make_client(binance_weight_limit=100_000)
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"],
                                     account_id=await new_account(user)))  # fmt: skip
    await tick(client, BTC, "100000")
    limit = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000"}
    batch = [limit, {**limit, "timeInForce": "GTC"}]
    answers = await bot.json("POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps(batch)})
    assert answers[0] == {
        "code": -1102,
        "msg": "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
    }
    assert (answers[1]["status"], answers[1]["timeInForce"]) == ("NEW", "GTC")
    open_orders = await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC})
    assert [o["orderId"] for o in open_orders] == [answers[1]["orderId"]]


async def test_one_bad_order_does_not_stop_the_others(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"],
                                     account_id=await new_account(user)))  # fmt: skip
    await tick(client, BTC, "100000")
    batch = [
        {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000",
         "timeInForce": "GTC"},
        {"symbol": "DOGEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"},
        {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01"},
        {"symbol": BTC, "side": "SELL", "type": "MARKET", "quantity": "0.01",
         "reduceOnly": True},
        {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "1000000.00000001"},
    ]  # fmt: skip
    answers = await bot.json("POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps(batch)})
    assert answers[0]["status"] == "NEW" and answers[0]["price"] == "90000.00000000"
    assert answers[1]["code"] == -1121
    assert answers[2]["code"] == -1102
    assert answers[3]["code"] == -2022  # reduce-only with nothing to reduce
    assert answers[4]["code"] == -4005  # over exchangeInfo's LOT_SIZE maxQty (was -2019)
    open_orders = await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC})
    assert [o["orderId"] for o in open_orders] == [answers[0]["orderId"]]

    listed = {"symbol": BTC, "orderIdList": json.dumps([answers[0]["orderId"], 999_999])}
    cancels = await bot.json("DELETE", "/fapi/v1/batchOrders", listed)
    assert cancels[0]["status"] == "CANCELED" and cancels[1]["code"] == -2011
    response = await bot.call("GET", "/fapi/v1/openOrder",
                              {"symbol": BTC, "orderId": answers[0]["orderId"]})  # fmt: skip
    await binance_error(response, 400, -2013)

    deep = "[" * 4000 + "]" * 4000  # a 500 (RecursionError) before: an outside read
    for refused in ("[]", "{}", "not json", json.dumps([batch[0]] * 6), json.dumps([1]), deep):
        response = await bot.call("POST", "/fapi/v1/batchOrders", {"batchOrders": refused})
        await binance_error(response, 400, -1130)
    assert await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC}) == []


async def test_a_batch_counts_each_order_against_the_order_rate(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000, rate_limit_orders=2)
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"],
                                     account_id=await new_account(user)))  # fmt: skip
    await tick(client, BTC, "100000")
    await asyncio.sleep(1.1)  # the key's and account's creation out of the 1 s window
    order = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000",
             "timeInForce": "GTC"}  # fmt: skip
    answers: list[Any] = await bot.json(
        "POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps([order] * 3)}
    )
    assert [a.get("status", a.get("code")) for a in answers] == ["NEW", "NEW", -1015]


async def test_an_engine_that_cannot_answer_for_one_order_leaves_the_others_answered(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine down, or a gateway's bus timing out, for the second order: the first one
    was placed and the answer must say so (it became one -1001 for the whole batch, and the
    bot would send the first again)."""
    client = await make_client(binance_weight_limit=100_000)
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"],
                                     account_id=await new_account(user)))  # fmt: skip
    await tick(client, BTC, "100000")
    place, calls = trading.place, []

    async def flaky(call: Any) -> Any:
        calls.append(call)
        if len(calls) == 2:
            raise EngineNotReady("the engine did not answer in time")
        return await place(call)

    monkeypatch.setattr(trading, "place", flaky)
    order = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000",
             "timeInForce": "GTC"}  # fmt: skip
    answers = await bot.json("POST", "/fapi/v1/batchOrders", {"batchOrders": json.dumps(
        [order, order, order])})  # fmt: skip
    assert [a.get("status", a.get("code")) for a in answers] == ["NEW", -1001, "NEW"]
    assert len(await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC})) == 2


async def test_the_lot_size_ceiling_on_both_order_endpoints(client: TestClient[Any, Any]) -> None:
    """-4005 on /fapi/v1/order and on the Algo API's, which still said -2019."""
    _user, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    too_much = "1000000.00000001"
    order = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": too_much}
    await binance_error(await bot.call("POST", "/fapi/v1/order", order), 400, -4005)
    stop = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
            "quantity": too_much, "triggerPrice": "110000"}  # fmt: skip
    await binance_error(await bot.call("POST", "/fapi/v1/algoOrder", stop), 400, -4005)
