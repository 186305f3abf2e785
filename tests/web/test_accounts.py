"""Several accounts per user over HTTP (SPEC 13): the first at signup, create, rename, reset,
max accounts, and the account header / query selecting balances, orders and fills."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import assert_error, signup, tick

BTC = "BTCUSDT"
MARKET = {"asset": BTC, "side": "LONG", "leverage": 10, "margin": "100"}


async def test_the_first_account_is_made_at_signup_and_more_can_follow(
    make_client: MakeClient,
) -> None:
    client: TestClient[Any, Any] = await make_client(max_accounts=2)
    user = await signup(client)
    (main,) = (await user.json("GET", "/api/v1/accounts", 200))["accounts"]
    assert (main["name"], main["mode"]) == ("Main", "HEDGING")
    assert main["accountId"].isdigit() and isinstance(main["createdAt"], int)
    bot = await user.json("POST", "/api/v1/accounts", 201, json={"name": "Grid bot",
                                                                 "mode": "NETTING"})  # fmt: skip
    assert (bot["name"], bot["mode"]) == ("Grid bot", "NETTING")
    assert (await user.json("GET", "/api/v1/accounts", 200))["accounts"] == [main, bot]
    too_many = await user.json("POST", "/api/v1/accounts", 422,
                               json={"name": "third", "mode": "HEDGING"})  # fmt: skip
    assert_error(too_many, "TOO_MANY_ACCOUNTS")
    renamed = await user.json("PATCH", f"/api/v1/accounts/{bot['accountId']}", 200,
                              json={"name": "Grid bot 2"})  # fmt: skip
    assert renamed == {**bot, "name": "Grid bot 2"}
    assert (await user.json("GET", "/api/v1/accounts", 200))["accounts"] == [main, renamed]
    for body, field in (({"name": "", "mode": "HEDGING"}, "name"),
                        ({"name": "x", "mode": "hedging"}, "mode"),
                        ({"name": "a\nb", "mode": "HEDGING"}, "name"),
                        ({"name": "x" * 65, "mode": "HEDGING"}, "name")):  # fmt: skip
        assert_error(await user.json("POST", "/api/v1/accounts", 400, json=body),
                     "VALIDATION_ERROR", field)  # fmt: skip
    assert (await user.json("GET", "/api/v1/accounts", 200))["accounts"] == [main, renamed]
    await user.json("PATCH", "/api/v1/accounts/999", 404, json={"name": "x"})


async def test_each_account_has_its_own_balance_orders_and_fills(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client)
    await tick(client, BTC, "100000")
    main = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    second = (await user.json("POST", "/api/v1/accounts", 201,
                              json={"name": "b", "mode": "HEDGING"}))["accountId"]  # fmt: skip
    in_second = {"X-Velox-Account": second}
    opened = await user.json("POST", "/api/v1/order/open", 201, json=MARKET, headers=in_second)
    assert opened["accountId"] == second
    assert (await user.balance())["balance"] == "1000.00000000"  # the first account
    assert (await user.json("GET", f"/api/v1/order/user/balance?account={second}", 200))[
        "balance"
    ] == "900.00000000"
    first_open = await user.json("GET", "/api/v1/order/user/orders", 200)
    assert first_open["orders"] == []
    theirs = await user.json("GET", "/api/v1/order/user/orders", 200, headers=in_second)
    assert [o["orderId"] for o in theirs["orders"]] == [opened["orderId"]]
    fills = await user.json("GET", "/api/v1/order/user/fills", 200, headers=in_second)
    assert [f["accountId"] for f in fills["fills"]] == [second]
    assert (await user.json("GET", "/api/v1/order/user/fills", 200))["fills"] == []
    mine = await user.json("GET", f"/api/v1/order/user/fills?account={main}", 200)
    assert mine["fills"] == []


async def test_reset_cancels_closes_and_restores_the_initial_balance(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client)
    await tick(client, BTC, "100000")
    acct = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    position = await user.open(**MARKET)
    pending = await user.open(**{**MARKET, "type": "LIMIT", "price": "90000"})
    await tick(client, BTC, "95000")  # the position loses; the limit (ask 95047.5) rests
    reset = await user.json("POST", f"/api/v1/accounts/{acct}/reset", 200)
    assert reset["accountId"] == acct
    figures = await user.balance()
    assert (figures["balance"], figures["pendingMargin"], figures["usedMargin"]) == (
        "1000.00000000",
        "0.00000000",
        "0.00000000",
    )
    closed = await user.json("GET", f"/api/v1/order/{position['orderId']}", 200)
    assert (closed["status"], closed["closeReason"]) == ("CLOSED", "MANUAL")
    cancelled = await user.json("GET", f"/api/v1/order/{pending['orderId']}", 200)
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "RESET")


async def test_an_order_of_another_account_is_404_without_the_header(
    make_client: MakeClient,
) -> None:
    """No header means the user's first account (SPEC 13) for actions on an order id too: a
    script that leaves the header off cannot read, close, top up, change or cancel what is in
    the user's other accounts. (Each answered 200 and acted: an outside review.)"""
    client: TestClient[Any, Any] = await make_client()
    user = await signup(client)
    await tick(client, BTC, "100000")
    second = await user.json("POST", "/api/v1/accounts", 201, json={"name": "two",
                                                                    "mode": "HEDGING"})  # fmt: skip
    on = {"X-Velox-Account": second["accountId"]}
    held = await user.json("POST", "/api/v1/order/open", 201, json=MARKET, headers=on)
    resting = await user.json("POST", "/api/v1/order/open", 201, headers=on,
                              json={**MARKET, "type": "LIMIT", "price": "90000"})  # fmt: skip
    pos, pending = held["orderId"], resting["orderId"]
    for method, path, body in (
        ("GET", f"/api/v1/order/{pos}", None),
        ("GET", f"/api/v1/order/{pending}", None),
        ("POST", f"/api/v1/order/close/{pos}", None),
        ("POST", f"/api/v1/order/{pos}/margin", {"amount": "5"}),
        ("PATCH", f"/api/v1/order/{pos}", {"stopLoss": "95000"}),
        ("PATCH", f"/api/v1/order/{pending}", {"price": "91000"}),
        ("DELETE", f"/api/v1/order/{pending}", None),
    ):
        assert_error(await user.json(method, path, 404, json=body), "NOT_FOUND")
    shown = await user.json("GET", f"/api/v1/order/{pos}", 200, headers=on)
    assert (shown["status"], shown["margin"], shown["stopLoss"]) == ("OPEN", "100.00000000",
                                                                     None)  # fmt: skip
    still = await user.json("GET", f"/api/v1/order/{pending}", 200, headers=on)
    assert (still["status"], still["price"]) == ("PENDING", "90000.00000000")
    await user.json("POST", f"/api/v1/order/close/{pos}", 200, headers=on)  # named: it acts


async def test_a_session_of_a_user_this_database_does_not_hold_makes_no_account(
    client: TestClient[Any, Any],
) -> None:
    """rev3: a backup restored with its jwt_secret, and a user who signed up after the
    backup: their token (signed with that secret) said 401 on /user/me but made a funded
    account on POST /api/v1/accounts and traded in it, money for no user. Now 401 there
    too, and nothing is made."""
    from velox.web.keys import SERVICE, SESSIONS

    token, _ = client.app[SESSIONS].issue("a-user-the-database-does-not-hold")
    auth = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/user/me", headers=auth)
    assert me.status == 401
    engine = client.app[SERVICE].engine
    accounts = dict(engine.accounts)
    made = await client.post("/api/v1/accounts", json={"name": "Main", "mode": "NETTING"},
                             headers=auth)  # fmt: skip
    body = await made.json()
    assert made.status == 401, body
    assert_error(body, "UNAUTHORIZED")
    assert dict(engine.accounts) == accounts
