"""Signed trading refused as Binance refuses it, with nothing changed; and the numbers of
accepted orders as the native API has them."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import balance_of, binance_error, netting_bot, orders_of
from tests.web.helpers import tick

ORDER = "/fapi/v1/order"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": "BUY", "type": "MARKET", "quantity": "1000"}, -2019),  # 100k USD at 20x
        ({"side": "BUY", "type": "STOP_MARKET", "quantity": "0.01", "stopPrice": "90000"},
         -2021),  # a buy stop below the market would trigger at once
        ({"side": "SELL", "type": "MARKET", "quantity": "0.01", "reduceOnly": "true"}, -2022),
        ({"side": "BUY", "type": "LIMIT", "quantity": "0.01"}, -1102),
        ({"side": "BUY", "type": "MARKET"}, -1102),
        ({"side": "BUY", "type": "MARKET", "quantity": "0.000000001"}, -1111),
        ({"side": "HOLD", "type": "MARKET", "quantity": "0.01"}, -1117),
        ({"side": "BUY", "type": "FOK", "quantity": "0.01"}, -1116),
        ({"side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000",
          "timeInForce": "FOO"}, -1115),
        ({"side": "BUY", "type": "MARKET", "quantity": "0.01", "positionSide": "LONG"}, -4061),
        ({"side": "BUY", "type": "MARKET", "quantity": "0.01", "reduceOnly": "maybe"}, -1130),
        ({"side": "BUY", "type": "MARKET", "quantity": "0.01", "newClientOrderId": "a b"}, -1100),
        ({"side": "SELL", "type": "STOP_MARKET", "closePosition": "true", "stopPrice": "9"},
         -2022),  # no position to close
    ],
)  # fmt: skip
async def test_refused_orders_change_nothing(
    client: TestClient[Any, Any], params: dict[str, Any], code: int
) -> None:
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    before = await balance_of(user, account)
    response = await bot.call("POST", ORDER, {"symbol": "BTCUSDT", **params})
    await binance_error(response, 400, code)
    assert await balance_of(user, account) == before
    for status in ("OPEN", "PENDING"):
        assert await orders_of(user, account, status) == []


TIF_MISSING = "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."


async def test_a_limit_without_time_in_force_is_refused_as_binance_refuses_it(
    client: TestClient[Any, Any],
) -> None:
    """Binance has no default timeInForce for a LIMIT order (ccxt always sends one, GTC by
    default): without it, 400 -1102 and nothing placed. Velox took it as GTC and answered
    200 NEW, so a bot tested here could fail on the exchange."""
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    before = await balance_of(user, account)
    limit = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
             "price": "90000"}  # fmt: skip
    for missing in ({}, {"timeInForce": ""}):
        body = await binance_error(await bot.call("POST", ORDER, {**limit, **missing}), 400, -1102)
        assert body["msg"] == TIF_MISSING
    assert await balance_of(user, account) == before
    assert await orders_of(user, account, "PENDING") == []
    placed = await bot.json("POST", ORDER, {**limit, "timeInForce": "GTC"})
    assert (placed["status"], placed["timeInForce"]) == ("NEW", "GTC")


async def test_a_read_only_key_cannot_trade(client: TestClient[Any, Any]) -> None:
    user, bot, account = await netting_bot(client, ["read"])
    await tick(client, "BTCUSDT", "100000")
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}
    await binance_error(await bot.call("POST", ORDER, params), 401, -2015)
    assert await orders_of(user, account, "OPEN") == []


async def test_unknown_or_anothers_order(client: TestClient[Any, Any]) -> None:
    alice, alice_bot, alice_account = await netting_bot(client)
    _, bob_bot, _ = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
              "price": "90000", "timeInForce": "GTC"}  # fmt: skip
    limit = await alice_bot.json("POST", ORDER, params)
    assert limit["status"] == "NEW" and limit["price"] == "90000.00000000"
    ref = {"symbol": "BTCUSDT", "orderId": limit["orderId"]}
    await binance_error(await bob_bot.call("GET", ORDER, ref), 400, -2013)
    await binance_error(await bob_bot.call("DELETE", ORDER, ref), 400, -2011)
    unknown = {"symbol": "BTCUSDT", "orderId": 999999}
    await binance_error(await alice_bot.call("GET", ORDER, unknown), 400, -2013)
    await binance_error(await alice_bot.call("GET", ORDER, {"symbol": "BTCUSDT"}), 400, -1102)
    elsewhere = {"symbol": "ETHUSDT", "orderId": limit["orderId"]}  # hers, on BTCUSDT
    await binance_error(await alice_bot.call("GET", ORDER, elsewhere), 400, -2013)
    await binance_error(await alice_bot.call("DELETE", ORDER, elsewhere), 400, -2011)
    (pending,) = await orders_of(alice, alice_account, "PENDING")
    assert pending["orderId"] == str(limit["orderId"])
    cancelled = await alice_bot.json("DELETE", ORDER, ref)
    assert cancelled["status"] == "CANCELED"
    await binance_error(await alice_bot.call("DELETE", ORDER, ref), 400, -2011)


async def test_a_stop_is_found_on_its_own_symbol_only(client: TestClient[Any, Any]) -> None:
    _, bot, _ = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                   "quantity": "0.01"})  # fmt: skip
    stop = await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "SELL",
                                          "type": "STOP_MARKET", "closePosition": "true",
                                          "stopPrice": "90000"})  # fmt: skip
    elsewhere = {"symbol": "ETHUSDT", "orderId": stop["orderId"]}
    await binance_error(await bot.call("GET", ORDER, elsewhere), 400, -2013)
    await binance_error(await bot.call("DELETE", ORDER, elsewhere), 400, -2011)
    ref = {"symbol": "BTCUSDT", "orderId": stop["orderId"]}
    assert (await bot.json("GET", ORDER, ref))["status"] == "NEW"  # still set


async def test_market_order_numbers_equal_the_native_position(
    client: TestClient[Any, Any],
) -> None:
    user, bot, account = await netting_bot(client)
    await tick(client, "ETHUSDT", "3000")
    await bot.json("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 5})
    sell = {"symbol": "ETHUSDT", "side": "SELL", "type": "MARKET", "quantity": "1.5",
            "newClientOrderId": "s-1"}  # fmt: skip
    sold = await bot.json("POST", ORDER, sell)
    (position,) = await orders_of(user, account, "OPEN")
    assert sold["orderId"] == int(position["orderId"]) and sold["status"] == "FILLED"
    assert (sold["side"], sold["clientOrderId"]) == ("SELL", "s-1")
    assert sold["executedQty"] == position["qty"]
    assert sold["avgPrice"] == position["openPrice"] == "2998.50000000"  # the bid
    assert position["leverage"] == 5 and position["margin"] == "899.55000000"
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": "ETHUSDT"})
    assert [(t["side"], t["price"], t["qty"], t["orderId"]) for t in trades] == [
        ("SELL", "2998.50000000", "1.50000000", sold["orderId"])
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "TAKE_PROFIT_MARKET", "stopPrice": "120000", "quantity": "0.001",
         "reduceOnly": "true"},  # a quarter of the position
        {"type": "TAKE_PROFIT_MARKET", "stopPrice": "120000", "quantity": "0.005"},
        {"type": "TRAILING_STOP_MARKET", "callbackRate": "1", "quantity": "0.002",
         "reduceOnly": "true"},
        {"type": "TRAILING_STOP_MARKET", "callbackRate": "1", "quantity": "0.004",
         "activationPrice": "120000"},
    ],
)  # fmt: skip
async def test_a_conditional_order_is_never_widened_to_the_whole_position(
    client: TestClient[Any, Any], params: dict[str, Any]
) -> None:
    """Velox keeps one take-profit and one trailing stop per position, each closing all of
    it: asked for part of it (or to trail from an activation price), it refuses, where it
    used to set a take-profit on the whole position (an outside review)."""
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                   "quantity": "0.004"})  # fmt: skip
    response = await bot.call("POST", ORDER, {"symbol": "BTCUSDT", "side": "SELL", **params})
    await binance_error(response, 400, -1106)
    (position,) = await orders_of(user, account, "OPEN")
    assert (position["takeProfit"], position["trailingStop"]) == (None, None)
    whole = {**params, "quantity": "0.004"}
    whole.pop("activationPrice", None)
    placed = await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "SELL", **whole})
    assert placed["status"] == "NEW"  # the whole position: as closePosition


async def test_the_leverage_of_an_open_position_cannot_change(
    client: TestClient[Any, Any],
) -> None:
    """Accepted, a leverage change left the open position at its old leverage and refused
    every later order adding to it with -4161 (an outside review): refused at once now, and
    the orders that follow keep working."""
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}
    await bot.json("POST", ORDER, buy)  # at the default 20x
    response = await bot.call("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 50})
    body = await binance_error(response, 400, -4161)
    assert "20" in body["msg"]
    same = await bot.json("POST", "/fapi/v1/leverage", {"symbol": "BTCUSDT", "leverage": 20})
    assert same["leverage"] == 20  # no change: fine
    other = await bot.json("POST", "/fapi/v1/leverage", {"symbol": "ETHUSDT", "leverage": 50})
    assert other["leverage"] == 50  # nothing open there
    await bot.json("POST", ORDER, buy)  # adds to the position, at its leverage
    (position,) = await orders_of(user, account, "OPEN")
    assert (position["qty"], position["leverage"]) == ("0.00400000", 20)


async def test_the_algo_api_refuses_an_activation_price_too(client: TestClient[Any, Any]) -> None:
    """ccxt sends conditional orders to the Algo Order API, which names it activatePrice:
    refused there as on /fapi/v1/order, not dropped (the stop trailed at once)."""
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                   "quantity": "0.004"})  # fmt: skip
    trail = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL",
             "type": "TRAILING_STOP_MARKET", "callbackRate": "1", "quantity": "0.004",
             "reduceOnly": "true"}  # fmt: skip
    response = await bot.call("POST", "/fapi/v1/algoOrder", {**trail, "activatePrice": "120000"})
    await binance_error(response, 400, -1106)
    (position,) = await orders_of(user, account, "OPEN")
    assert position["trailingStop"] is None
    assert (await bot.json("POST", "/fapi/v1/algoOrder", trail))["algoStatus"] == "NEW"


async def test_a_reduce_only_exit_expires_when_its_position_closes(
    client: TestClient[Any, Any],
) -> None:
    """A grid or take-profit bot's reduce-only exit outlived its position and closed the
    next one (an outside review with ccxt): it expires with the position, as on Binance."""
    user, bot, account = await netting_bot(client)
    await tick(client, "BTCUSDT", "100000")
    buy = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.002"}
    await bot.json("POST", ORDER, buy)
    exit_ = await bot.json("POST", ORDER, {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT",
                                           "quantity": "0.002", "price": "100100",
                                           "reduceOnly": "true", "timeInForce": "GTC"})  # fmt: skip
    await bot.json("POST", ORDER, {**buy, "side": "SELL", "reduceOnly": "true"})  # closes it
    assert await bot.json("GET", "/fapi/v1/openOrders", {"symbol": "BTCUSDT"}) == []
    ended = await bot.json("GET", ORDER, {"symbol": "BTCUSDT", "orderId": exit_["orderId"]})
    assert ended["status"] == "EXPIRED"
    await bot.json("POST", ORDER, buy)  # the next position
    await tick(client, "BTCUSDT", "100200")  # where the old exit would have closed it
    (position,) = await orders_of(user, account, "OPEN")
    assert position["qty"] == "0.00200000"
