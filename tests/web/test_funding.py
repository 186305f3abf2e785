"""GET /api/v1/order/user/funding: the chosen account's funding charges, newest boundary
first, exact to the unit, after boundaries the engine's clock charged; filters refused with a
code; another user's account is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import User, assert_error, service_of, signup, tick
from velox.clock import ManualClock
from velox.clockwork import drain
from velox.web.options import WebOptions

BTC, ETH = "BTCUSDT", "ETHUSDT"
H8 = 28_800_000
B1, B2 = 20_000 * H8, 20_001 * H8
PATH = "/api/v1/order/user/funding"


async def charge(client: TestClient[Any, Any], clock: ManualClock, at: int, price: str) -> None:
    clock.advance(at + 1 - clock.wall_ms())
    await tick(client, BTC, price)
    service = service_of(client)
    await drain(service.submit, service.clock())


async def funded(make_client: MakeClient) -> tuple[TestClient[Any, Any], User, User, list[str]]:
    """alice LONG and SHORT on BTC (HEDGING), bob LONG; two boundaries charged."""
    clock = ManualClock(B1 - 60_000)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, funding_rate="0.0001")
    alice, bob = await signup(client), await signup(client)
    await tick(client, BTC, "100000")
    await tick(client, ETH, "2000")
    ids = [
        (await alice.open(asset=BTC, side=side, leverage=25, margin="100"))["orderId"]
        for side in ("LONG", "SHORT")
    ]
    await bob.open(asset=BTC, side="LONG", leverage=25, margin="100")
    await charge(client, clock, B1, "100500")
    await charge(client, clock, B2, "99000")
    return client, alice, bob, ids


async def test_charges_newest_boundary_first_exact(make_client: MakeClient) -> None:
    _, alice, bob, (long_id, short_id) = await funded(make_client)
    body = await alice.json("GET", PATH, 200)
    accounts = (await alice.json("GET", "/api/v1/accounts", 200))["accounts"]
    account = accounts[0]["accountId"]
    rows = body["funding"]
    assert [(r["orderId"], r["fundingTime"], r["amount"], r["markPrice"]) for r in rows] == [
        (short_id, B2, "0.24762375", "99000.00000000"),  # 9.9 * qty 0.02501250
        (long_id, B2, "-0.24737625", "99000.00000000"),
        (short_id, B1, "0.25137562", "100500.00000000"),
        (long_id, B1, "-0.25112438", "100500.00000000"),
    ]  # fmt: skip
    assert {(r["accountId"], r["asset"], r["rate"]) for r in rows} == {(account, BTC, "0.00010000")}
    assert all(r["time"] > r["fundingTime"] for r in rows)
    for order_id in (long_id, short_id):  # each position's funding is the sum of its rows
        order = await alice.json("GET", f"/api/v1/order/{order_id}", 200)
        mine = [int(r["amount"].replace(".", "")) for r in rows if r["orderId"] == order_id]
        assert int(order["funding"].replace(".", "")) == sum(mine)

    window = await alice.json("GET", f"{PATH}?startTime={B1}&endTime={B1 + 1}&limit=1", 200)
    assert [(r["orderId"], r["fundingTime"]) for r in window["funding"]] == [(short_id, B1)]
    assert (await alice.json("GET", f"{PATH}?asset={ETH}", 200))["funding"] == []
    bobs = (await bob.json("GET", PATH, 200))["funding"]
    assert [(r["fundingTime"], r["amount"]) for r in bobs] == [
        (B2, "-0.24737625"), (B1, "-0.25112438")
    ]  # fmt: skip
    response = await bob.call("GET", PATH, headers={"X-Velox-Account": account})
    assert response.status == 404
    assert_error(await response.json(), "NOT_FOUND")


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ("asset=DOGEUSDT", "UNKNOWN_ASSET", "asset"),
        ("startTime=yesterday", "VALIDATION_ERROR", "startTime"),
        ("endTime=-1", "VALIDATION_ERROR", "endTime"),
        ("limit=0", "VALIDATION_ERROR", "limit"),
        ("limit=1001", "VALIDATION_ERROR", "limit"),
    ],
)
async def test_bad_filters(client: TestClient[Any, Any], query: str, code: str, field: str) -> None:
    user = await signup(client)
    response = await user.call("GET", f"{PATH}?{query}")
    assert response.status == 400
    assert_error(await response.json(), code, field)


async def test_signed_out(client: TestClient[Any, Any]) -> None:
    response = await client.get(PATH)
    assert response.status == 401
    assert_error(await response.json(), "UNAUTHORIZED")


async def test_a_close_before_the_clock_reaches_a_passed_boundary_pays_it_once(
    make_client: MakeClient,
) -> None:
    """A position open at a boundary pays it even when it is closed before the engine's
    clock walks that boundary (SPEC 12); the close answers 200 with the charge in its
    ``funding``, and the walk charges nothing more."""
    clock = ManualClock(B1 - 60_000)
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    client = await make_client(options, funding_rate="0.0001")
    alice = await signup(client)
    await tick(client, BTC, "100000")
    long_id = (await alice.open(asset=BTC, side="LONG", leverage=25, margin="100"))["orderId"]
    clock.advance(B1 + 1 - clock.wall_ms())
    await tick(client, BTC, "100500")  # no ClockTick yet: the boundary is not walked
    closed = await alice.json("POST", f"/api/v1/order/close/{long_id}", 200)
    assert (closed["status"], closed["funding"]) == ("CLOSED", "-0.25112438")
    service = service_of(client)
    await drain(service.submit, service.clock())
    rows = (await alice.json("GET", PATH, 200))["funding"]
    assert [(r["orderId"], r["fundingTime"], r["amount"]) for r in rows] == [
        (long_id, B1, "-0.25112438")
    ]
