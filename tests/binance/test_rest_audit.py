"""Answers an audit against a real server found differing from Binance's: client order ids,
a HEDGING account's key changing settings, the code for cancelling an unknown order, and the
goodTillDate rules."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import (
    Bot,
    binance_error,
    netting_bot,
    older_trading_key,
    orders_of,
)
from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import signup, tick
from velox.clock import ManualClock
from velox.web.options import WebOptions

BTC, ORDER, ALGO = "BTCUSDT", "/fapi/v1/order", "/fapi/v1/algoOrder"
BINANCE_RANGE = r"^[.A-Z:/a-z0-9_-]{1,36}$"  # Binance's ('/' included)
T0 = 1_750_000_000_000
LIMIT = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "90000",
         "timeInForce": "GTC"}  # fmt: skip


async def test_a_client_order_id_may_hold_a_slash(client: TestClient[Any, Any]) -> None:
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    cid = "grid/1:a.B_c-9"
    placed = await bot.json("POST", ORDER, {**LIMIT, "newClientOrderId": cid})
    assert (placed["clientOrderId"], placed["status"]) == (cid, "NEW")
    (pending,) = await orders_of(user, account, "PENDING")
    assert pending["clientOrderId"] == cid
    by_client = {"symbol": BTC, "origClientOrderId": cid}
    assert (await bot.json("GET", ORDER, by_client))["orderId"] == placed["orderId"]
    assert (await bot.json("DELETE", ORDER, by_client))["status"] == "CANCELED"
    stop = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
            "quantity": "0.01", "triggerPrice": "110000", "clientAlgoId": "algo/1"}  # fmt: skip
    assert (await bot.json("POST", ALGO, stop))["clientAlgoId"] == "algo/1"


@pytest.mark.parametrize("cid", ["a b", "a#b", "é", "x" * 37, "a\n"])
async def test_a_client_order_id_out_of_range_is_refused_naming_the_parameter(
    client: TestClient[Any, Any], cid: str
) -> None:
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    for path, params, name in (
        (ORDER, {**LIMIT, "newClientOrderId": cid}, "newClientOrderId"),
        (ALGO, {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
                "quantity": "0.01", "triggerPrice": "110000", "clientAlgoId": cid},
         "clientAlgoId"),
    ):  # fmt: skip
        body = await binance_error(await bot.call("POST", path, params), 400, -1100)
        assert body["msg"] == (
            f"Illegal characters found in parameter '{name}'; legal range is '{BINANCE_RANGE}'."
        )
    assert await orders_of(user, account, "PENDING") == []


async def test_a_hedging_accounts_trading_key_is_read_only(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    hedging = Bot(client, await older_trading_key(user))  # the first account
    for path, params in (
        ("/fapi/v1/leverage", {"symbol": BTC, "leverage": 7}),
        ("/fapi/v1/marginType", {"symbol": BTC, "marginType": "ISOLATED"}),
        ("/fapi/v1/positionSide/dual", {"dualSidePosition": "false"}),
    ):
        await binance_error(await hedging.call("POST", path, params), 401, -2015)
    risks = await hedging.json("GET", "/fapi/v2/positionRisk", {"symbol": BTC})
    assert [(r["positionSide"], r["leverage"]) for r in risks] == [("LONG", "20"), ("SHORT", "20")]
    _, netting, _ = await netting_bot(client)
    _, reader, _ = await netting_bot(client, ["read"])
    for version in ("v2", "v3"):
        path = f"/fapi/{version}/account"
        assert (await hedging.json("GET", path))["canTrade"] is False
        assert (await reader.json("GET", path))["canTrade"] is False
        assert (await netting.json("GET", path))["canTrade"] is True


async def test_cancelling_an_unknown_order_is_2011_and_reading_it_2013(
    client: TestClient[Any, Any],
) -> None:
    _, bot, _ = await netting_bot(client)
    for ref in ({"orderId": 999999}, {"origClientOrderId": "never-sent"},
                {"orderId": 10**15 + 4 * 999999 + 1}):  # fmt: skip
        cancel = await bot.call("DELETE", ORDER, {"symbol": BTC, **ref})
        assert (await binance_error(cancel, 400, -2011))["msg"] == "Unknown order sent."
        query = await bot.call("GET", ORDER, {"symbol": BTC, **ref})
        assert (await binance_error(query, 400, -2013))["msg"] == "Order does not exist."
    for algo_ref in ({"algoId": 999999}, {"clientAlgoId": "never-sent"}):
        await binance_error(await bot.call("DELETE", ALGO, algo_ref), 400, -2011)
        await binance_error(await bot.call("GET", ALGO, algo_ref), 400, -2013)


async def test_good_till_date_must_be_over_600_s_ahead(make_client: MakeClient) -> None:
    clock = ManualClock(T0)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options)
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    gtd = {**LIMIT, "timeInForce": "GTD"}
    for when in (T0 - 1, T0 + 1, T0 + 600_000, 253_402_300_799_000):
        response = await bot.call("POST", ORDER, {**gtd, "goodTillDate": when},
                                  timestamp=clock.wall_ms())  # fmt: skip
        body = await binance_error(response, 400, -5040)
        assert body["msg"] == (
            "The goodTillDate timestamp must be greater than the current time plus 600 "
            "seconds and smaller than 253402300799000"
        )
    assert await orders_of(user, account, "PENDING") == []
    placed = await bot.json("POST", ORDER, {**gtd, "goodTillDate": T0 + 600_001}, clock=clock)
    assert (placed["timeInForce"], placed["goodTillDate"]) == ("GTD", T0 + 600_001)


async def test_a_second_stop_of_a_kind_is_refused_until_the_first_is_cancelled(
    client: TestClient[Any, Any],
) -> None:
    """As Binance (-4130): a closePosition stop, take-profit or trailing stop while one of
    that kind is open is refused; Velox replaced the first in silence (rev4), so the bot's
    order id of it named another stop. Once cancelled, the next is taken, trailing afresh
    from the current price."""
    _, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    await bot.json("POST", ORDER, {"symbol": BTC, "side": "BUY", "type": "MARKET",
                                   "quantity": "0.01"})  # fmt: skip
    trail = {"symbol": BTC, "side": "SELL", "type": "TRAILING_STOP_MARKET", "callbackRate": "1"}
    first = await bot.json("POST", ORDER, trail)  # trails 999.5 under the best bid, 99950
    stop = {"symbol": BTC, "side": "SELL", "type": "STOP_MARKET", "closePosition": "true",
            "stopPrice": "90000"}  # fmt: skip
    await bot.json("POST", ORDER, stop)
    await tick(client, BTC, "99600")  # bid 99550.2: still above 98950.5
    for again in ({**trail, "callbackRate": "0.1"}, {**stop, "stopPrice": "91000"}):
        body = await binance_error(await bot.call("POST", ORDER, again), 400, -4130)
        assert body["msg"] == (
            "An open stop or take profit order with GTE and closePosition in the direction "
            "is existing."
        )
    await bot.json("DELETE", "/fapi/v1/algoOrder", {"symbol": BTC, "algoId": first["orderId"]})
    # 0.1 % of the bid (99.5502) from a fresh mark: taken
    taken = await bot.json("POST", ORDER, {**trail, "callbackRate": "0.1"})
    assert (taken["status"], taken["type"]) == ("NEW", "TRAILING_STOP_MARKET"), taken


async def test_a_client_order_id_is_unique_among_resting_orders_only(
    client: TestClient[Any, Any],
) -> None:
    """Binance: newClientOrderId is "a unique id among open orders". A grid bot reuses its
    level's id after the order ended; Velox answered the old order (200) and traded nothing.
    Now: -4116 while an order with it rests; once ended, a new order takes the id."""
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    first = await bot.json("POST", ORDER, {**LIMIT, "newClientOrderId": "grid-7"})
    body = await binance_error(
        await bot.call("POST", ORDER, {**LIMIT, "newClientOrderId": "grid-7"}), 400, -4116
    )
    assert body["msg"] == "ClientOrderId is duplicated."
    assert [o["orderId"] for o in await orders_of(user, account, "PENDING")] == [
        str(first["orderId"])
    ]
    by_client = {"symbol": BTC, "origClientOrderId": "grid-7"}
    assert (await bot.json("DELETE", ORDER, by_client))["orderId"] == first["orderId"]
    market = {"symbol": BTC, "side": "BUY", "type": "MARKET", "quantity": "0.01",
              "newClientOrderId": "grid-7"}  # fmt: skip
    bought = await bot.json("POST", ORDER, market)
    assert bought["orderId"] != first["orderId"] and bought["status"] == "FILLED"
    again = await bot.json("POST", ORDER, market)  # as on Binance: a second market order
    assert again["orderId"] not in (first["orderId"], bought["orderId"])
    assert (await bot.json("GET", ORDER, by_client))["orderId"] == again["orderId"]
    (position,) = await orders_of(user, account, "OPEN")
    assert position["qty"] == "0.02000000"


async def test_one_order_rate_per_user_across_the_native_api_binance_and_webhooks(
    make_client: MakeClient,
) -> None:
    """SPEC 10: at most N order changes per user per second. Binance's order endpoints did
    not count (200 orders in a burst, then 200 more) and webhooks had a bucket of their own
    (twice the rate). Now one budget; Binance's API refuses with -1015 and 429."""
    client = await make_client(rate_limit_orders=5)
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    # making the token is one of the user's changes too (as creating an account is)
    hook = (await user.json("POST", f"/api/v1/accounts/{account}/webhook", 201))["token"]
    native = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "10", "type": "LIMIT",
              "price": "90000"}  # fmt: skip
    in_account = {"X-Velox-Account": account}
    await user.json("POST", "/api/v1/order/open", 201, headers=in_account, json=native)
    await bot.json("POST", ORDER, LIMIT)
    alert = {"token": hook, "action": "buy", "asset": BTC, "qty": "0.001", "leverage": 10,
             "type": "LIMIT", "price": "90000"}  # fmt: skip
    assert (await client.post("/api/v1/webhooks/tradingview", json=alert)).status == 201
    await bot.json("POST", ORDER, LIMIT)  # the fifth change in the second
    refused = await bot.call("POST", ORDER, LIMIT)
    body = await binance_error(refused, 429, -1015)
    assert body["msg"] == "Too many new orders; current limit is 5 orders per SECOND."
    assert int(refused.headers["Retry-After"]) >= 1
    limited = await client.post("/api/v1/webhooks/tradingview", json=alert)
    assert limited.status == 429
    assert len(await orders_of(user, account, "PENDING")) == 4
