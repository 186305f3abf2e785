"""NETTING and funding through the API, exact to the unit (orders-v2.json's netting and
funding cases): scale-in 200 with the averaged entry, reduce 200 with a REDUCE part, flip,
and a funding boundary moving margin and liquidation price once."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain
from velox.web.options import WebOptions

BTC, ETH = "BTCUSDT", "ETHUSDT"
KEYS = ("side", "qty", "margin", "openPrice", "liquidationPrice")


async def netting_user(client: TestClient[Any, Any]) -> tuple[User, dict[str, str]]:
    user = await signup(client)
    acct = await user.json("POST", "/api/v1/accounts", 201, json={"name": "n", "mode": "NETTING"})
    return user, {"X-Velox-Account": acct["accountId"]}


def pick(order: dict[str, Any], keys: tuple[str, ...] = KEYS) -> dict[str, Any]:
    return {k: order[k] for k in keys}


@pytest.mark.parametrize(
    ("side", "expect"),
    [
        ("LONG", {"side": "LONG", "qty": "0.01364805", "margin": "137.00000000",
                  "openPrice": "100380.61083450", "liquidationPrice": "91346.35319330"}),
        ("SHORT", {"side": "SHORT", "qty": "0.01366170", "margin": "137.00000000",
                   "openPrice": "100280.28006625", "liquidationPrice": "109305.51118682"}),
    ],
)  # fmt: skip
async def test_scale_in_averages_against_the_trader(
    client: TestClient[Any, Any], side: str, expect: dict[str, str]
) -> None:
    user, acct = await netting_user(client)
    await tick(client, BTC, "100000")
    order = {"asset": BTC, "side": side, "leverage": 10, "margin": "100"}
    first = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=order)
    await tick(client, BTC, "101234.56789")
    joined = await user.json("POST", "/api/v1/order/open", 200, headers=acct,
                             json={**order, "margin": "37"})  # fmt: skip
    assert joined["orderId"] == first["orderId"]
    assert pick(joined) == expect
    fills = (await user.json("GET", "/api/v1/order/user/fills", 200, headers=acct))["fills"]
    assert [f["positionId"] for f in fills] == [first["orderId"]] * 2


async def test_reduce_then_flip(client: TestClient[Any, Any]) -> None:
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    position = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    await tick(client, ETH, "2100")
    short = {"asset": ETH, "side": "SHORT", "leverage": 10, "qty": "0.49975012"}
    remaining = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=short)
    assert remaining["orderId"] == position["orderId"]
    assert pick(remaining) == {"side": "LONG", "qty": "0.99950025", "margin": "200.00000067",
                               "openPrice": "2001.00000000",
                               "liquidationPrice": "1820.90999942"}  # fmt: skip
    (part,) = (await user.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200,
                               headers=acct))["orders"]  # fmt: skip
    assert pick(part, ("qty", "margin", "closePrice", "pnl", "closeReason")) == {
        "qty": "0.49975012", "margin": "99.99999933", "closePrice": "2098.95000000",
        "pnl": "48.95052425", "closeReason": "REDUCE",
    }  # fmt: skip
    # a pending order that fills into the position ends FILLED, naming it
    resting = await user.json(
        "POST",
        "/api/v1/order/open",
        201,
        headers=acct,
        json={**long, "margin": "10", "type": "LIMIT", "price": "2000"},
    )
    await tick(client, ETH, "1990")  # ask 1990.995 <= 2000
    orders = (await user.json("GET", "/api/v1/order/user/orders?status=FILLED", 200,
                              headers=acct))["orders"]  # fmt: skip
    # the market reduce and the resting order, each FILLED into the position
    assert sorted((o["type"], o["side"], o["positionId"]) for o in orders) == [
        ("LIMIT", "LONG", position["orderId"]), ("MARKET", "SHORT", position["orderId"])
    ]  # fmt: skip
    (filled,) = [o for o in orders if o["orderId"] == resting["orderId"]]
    path = f"/api/v1/order/{resting['orderId']}"
    assert (await user.json("GET", path, 200, headers=acct)) == filled


async def test_a_flip_closes_the_position_and_opens_the_rest(client: TestClient[Any, Any]) -> None:
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    position = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    await tick(client, ETH, "2100")
    flip = {"asset": ETH, "side": "SHORT", "leverage": 10, "qty": "1.59925037"}
    opened = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=flip)
    assert pick(opened) == {"side": "SHORT", "qty": "0.10000000", "margin": "20.98950000",
                            "openPrice": "2098.95000000",
                            "liquidationPrice": "2287.85550000"}  # fmt: skip
    closed = await user.json("GET", f"/api/v1/order/{position['orderId']}", 200, headers=acct)
    assert pick(closed, ("status", "qty", "closePrice", "pnl")) == {
        "status": "CLOSED", "qty": "1.49925037", "closePrice": "2098.95000000",
        "pnl": "146.85157374",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("side", "rate", "funding", "margin", "liquidation"),
    [
        ("LONG", "0.0001", "-0.25112438", "99.74887562", "96457.24409973"),
        ("SHORT", "0.0001", "0.25137562", "100.25137562", "103557.24589937"),
        ("LONG", "-0.00025", "0.62781093", "100.62781093", "96425.58659982"),
    ],
)
async def test_a_funding_boundary_moves_margin_once(
    make_client: MakeClient, side: str, rate: str, funding: str, margin: str, liquidation: str
) -> None:
    boundary = 20_000 * 28_800_000
    clock = ManualClock(boundary - 60_000)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, funding_rate=rate)
    user = await signup(client)
    await tick(client, BTC, "100000")
    opened = await user.open(asset=BTC, side=side, leverage=25, margin="100")
    clock.advance(60_001)
    await tick(client, BTC, "100500")
    service = service_of(client)
    for _ in range(2):  # the boundary is charged once however often the clock comes
        await drain(service.submit, service.clock())
        order = await user.json("GET", f"/api/v1/order/{opened['orderId']}", 200)
        assert pick(order, ("funding", "margin", "liquidationPrice")) == {
            "funding": funding, "margin": margin, "liquidationPrice": liquidation,
        }  # fmt: skip
    assert (await user.balance())["funding"] == funding


async def test_a_market_order_that_reduces_gets_a_filled_row(client: TestClient[Any, Any]) -> None:
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    position = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    short = {"asset": ETH, "side": "SHORT", "leverage": 10, "qty": "0.1"}
    await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=short)
    filled = (await user.json("GET", "/api/v1/order/user/orders?status=FILLED", 200,
                              headers=acct))["orders"]  # fmt: skip
    assert [(o["type"], o["side"], o["qty"], o["positionId"], o["reduceOnly"])
            for o in filled] == [
        ("MARKET", "SHORT", "0.10000000", position["orderId"], False)
    ]  # fmt: skip
    capped = {**short, "qty": "5", "reduceOnly": True, "clientOrderId": "cap-1"}
    await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=capped)
    orders = (await user.json("GET", "/api/v1/order/user/orders?status=FILLED", 200,
                              headers=acct))["orders"]  # fmt: skip
    (last,) = [o for o in orders if o["clientOrderId"] == "cap-1"]
    assert (last["qty"], last["reduceOnly"]) == ("1.39925037", True)  # capped at the rest


async def test_a_retried_reduce_by_client_order_id_reduces_once(
    client: TestClient[Any, Any],
) -> None:
    """A bot whose connection dropped retries its reducing order: the same clientOrderId
    answers the position as the first reduce left it (200), and nothing is reduced twice."""
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    opened = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    reduce = {**long, "side": "SHORT", "margin": "100", "clientOrderId": "bot-reduce-1"}
    first = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=reduce)
    assert first["orderId"] == opened["orderId"]
    figures = await user.json("GET", "/api/v1/order/user/balance", 200, headers=acct)
    again = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=reduce)
    assert pick(again) == pick(first)
    assert await user.json("GET", "/api/v1/order/user/balance", 200, headers=acct) == figures
    fills = (await user.json("GET", "/api/v1/order/user/fills", 200, headers=acct))["fills"]
    assert len(fills) == 2  # the open and one reduce


async def test_a_retried_scale_in_answers_the_position_as_the_first_reply_did(
    client: TestClient[Any, Any],
) -> None:
    """The same for a scale-in: its first reply is the position (200), and a retry answered
    the scale-in's FILLED order instead (another orderId, status FILLED)."""
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    opened = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    scale_in = {**long, "margin": "100", "clientOrderId": "bot-scale-1"}
    first = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=scale_in)
    assert (first["orderId"], first["status"]) == (opened["orderId"], "OPEN")
    again = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=scale_in)
    assert (again["orderId"], again["status"]) == (opened["orderId"], "OPEN")
    assert pick(again) == pick(first)


async def test_a_filled_order_shows_the_fee_its_fills_paid(make_client: MakeClient) -> None:
    """SPEC 12: "An order's fee field sums what it paid." A FILLED order's row kept no fee,
    so a scale-in and a resting LIMIT that reduced the position (both taker here) read
    back 0 in the list, by id and by clientOrderId."""
    client = await make_client(taker_fee="0.0005", maker_fee="0.0002")
    user, acct = await netting_user(client)
    await tick(client, ETH, "2000")  # ask 2001, bid 1999
    long = {"asset": ETH, "side": "LONG", "leverage": 10, "margin": "300"}
    await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=long)
    # 0.49975012 ETH at 2001: fee ceil(2001 * 0.49975012 * 0.0005) = 0.50000000
    scale_in = {**long, "margin": "100", "clientOrderId": "scale-1"}
    joined = await user.json("POST", "/api/v1/order/open", 200, headers=acct, json=scale_in)
    assert joined["fee"] != "0.00000000"
    # a LIMIT SHORT of 0.5 at 2100 reduces it when the bid reaches 2100 (ref 2102); a
    # reduce is a close, and every close a taker fill: ceil(2100 * 0.5 * 0.0005) = 0.525
    limit = {"asset": ETH, "side": "SHORT", "leverage": 10, "qty": "0.5", "type": "LIMIT",
             "price": "2100"}  # fmt: skip
    resting = await user.json("POST", "/api/v1/order/open", 201, headers=acct, json=limit)
    await tick(client, ETH, "2102")
    filled = await user.json("GET", "/api/v1/order/user/orders?status=FILLED", 200, headers=acct)
    fees = {o["orderId"]: o["fee"] for o in filled["orders"]}
    scale_id = await user.json("GET", "/api/v1/order/by-client-id/scale-1", 200, headers=acct)
    assert scale_id["fee"] == "0.50000000"
    assert fees == {scale_id["orderId"]: "0.50000000", resting["orderId"]: "0.52500000"}
    again = await user.json("GET", f"/api/v1/order/{resting['orderId']}", 200, headers=acct)
    assert (again["status"], again["fee"]) == ("FILLED", "0.52500000")
