"""TradingView webhooks: a per-account token in the body, orders as the native API places
them, safe retries by clientOrderId, a wrong token 401 with nothing changed, rotation."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.binance.helpers import first_account, new_account
from tests.web.conftest import MakeClient
from tests.web.helpers import User, assert_error, signup, tick

HOOK = "/api/v1/webhooks/tradingview"


async def token_for(user: User, account: str) -> str:
    body = await user.json("POST", f"/api/v1/accounts/{account}/webhook", 201)
    assert body["accountId"] == account and body["token"].startswith(f"{account}.")
    token: str = body["token"]
    return token


async def hook(client: TestClient[Any, Any], status: int, **body: Any) -> Any:
    response = await client.post(HOOK, json=body)  # no session: TradingView has none
    data = await response.json()
    assert response.status == status, data
    return data


async def open_orders(user: User, account: str) -> list[Any]:
    path = "/api/v1/order/user/orders?status=OPEN"
    body = await user.json("GET", path, 200, headers={"X-Velox-Account": account})
    orders: list[Any] = body["orders"]
    return orders


async def test_buy_sell_close_as_the_native_api(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    account = await first_account(user)
    token = await token_for(user, account)
    await tick(client, "BTCUSDT", "100000")
    bought = await hook(client, 201, token=token, action="buy", asset="BTCUSDT", qty="0.01",
                        leverage=10, stopLoss="90000", clientOrderId="tv-1")  # fmt: skip
    (position,) = await open_orders(user, account)
    assert bought == position
    assert (bought["side"], bought["openPrice"], bought["stopLoss"]) == (
        "LONG", "100050.00000000", "90000.00000000"
    )  # fmt: skip
    again = await hook(client, 200, token=token, action="buy", asset="BTCUSDT", qty="0.01",
                       leverage=10, stopLoss="90000", clientOrderId="tv-1")  # fmt: skip
    assert again["orderId"] == bought["orderId"]  # a retried alert creates nothing
    await hook(client, 201, token=token, action="sell", asset="BTCUSDT", margin="20",
               leverage=5)  # fmt: skip
    limit = await hook(client, 201, token=token, action="buy", asset="BTCUSDT", qty="0.01",
                       leverage=10, type="LIMIT", price="95000")  # fmt: skip
    assert limit["status"] == "PENDING"
    assert len(await open_orders(user, account)) == 2
    closed = await hook(client, 200, token=token, action="close", asset="BTCUSDT")
    assert sorted(o["side"] for o in closed["orders"]) == ["LONG", "SHORT"]
    assert all(o["status"] == "CLOSED" and o["closeReason"] == "MANUAL" for o in closed["orders"])
    assert await open_orders(user, account) == []
    # the closed positions keep their orders' terms, as every other read shows them
    assert [o["clientOrderId"] for o in closed["orders"] if o["side"] == "LONG"] == ["tv-1"]
    for order in closed["orders"]:
        assert await user.json("GET", f"/api/v1/order/{order['orderId']}", 200) == order


async def test_a_wrong_token_is_401_and_changes_nothing(client: TestClient[Any, Any]) -> None:
    alice, bob = await signup(client), await signup(client)
    account = await first_account(alice)
    token = await token_for(alice, account)
    await tick(client, "BTCUSDT", "100000")
    order = {"action": "buy", "asset": "BTCUSDT", "qty": "0.01", "leverage": 10}
    prefix, _, secret = token.partition(".")
    wrong = [
        f"{prefix}.{'A' * 43}",
        f"{prefix}.{secret[:-1]}{'B' if secret[-1] != 'B' else 'C'}",
        f"{await first_account(bob)}.{secret}",  # Bob has no token yet
        "not a token",
        None,
    ]
    for bad in wrong:
        assert_error(await hook(client, 401, token=bad, **order), "UNAUTHORIZED")
    assert_error(await hook(client, 401, **order), "UNAUTHORIZED")
    assert await open_orders(alice, account) == []


async def test_rotation_replaces_the_token(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    account = await new_account(user, "NETTING")
    old = await token_for(user, account)
    new = await token_for(user, account)
    await tick(client, "ETHUSDT", "3000")
    order = {"action": "sell", "asset": "ETHUSDT", "qty": "1", "leverage": 5}
    assert_error(await hook(client, 401, token=old, **order), "UNAUTHORIZED")
    await hook(client, 201, token=new, **order)
    (short,) = await open_orders(user, account)
    assert short["side"] == "SHORT" and short["accountId"] == account


async def test_only_the_owner_makes_a_token(client: TestClient[Any, Any]) -> None:
    alice, bob = await signup(client), await signup(client)
    response = await bob.call("POST", f"/api/v1/accounts/{await first_account(alice)}/webhook")
    assert response.status == 404
    assert_error(await response.json(), "NOT_FOUND")


async def test_bad_alerts_are_refused(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_orders=3)
    user = await signup(client)
    account = await first_account(user)
    token = await token_for(user, account)
    await tick(client, "BTCUSDT", "100000")
    bad = await hook(client, 400, token=token, action="hold", asset="BTCUSDT")
    assert_error(bad, "VALIDATION_ERROR", "action")
    bad = await hook(client, 400, token=token, action="buy", asset="BTCUSDT", leverage=10)
    assert bad["error"]["code"] == "VALIDATION_ERROR"  # neither qty nor margin
    bad = await hook(client, 400, token=token, action="buy", side="SHORT", asset="BTCUSDT",
                     qty="1", leverage=10)  # fmt: skip
    assert_error(bad, "VALIDATION_ERROR", "side")
    limited = await client.post(HOOK, json={"token": token, "action": "close", "asset": "BTCUSDT"})
    assert limited.status == 429  # 4 requests on one token within a second, limit 3
    assert await open_orders(user, account) == []


async def test_alerts_closing_the_same_position_at_once_all_answer_200(
    client: TestClient[Any, Any],
) -> None:
    """TradingView retries alerts; two 'close' alerts racing for one position both succeed:
    one closes it, the other finds it closed meanwhile (it answered 404 NOT_FOUND)."""
    user = await signup(client)
    account = await first_account(user)
    token = await token_for(user, account)
    await tick(client, "BTCUSDT", "100000")
    close = {"token": token, "action": "close", "asset": "BTCUSDT"}
    for _ in range(10):  # a race: rounds until the losers have had their chances
        await hook(client, 201, token=token, action="buy", asset="BTCUSDT", qty="0.01",
                   leverage=10)  # fmt: skip
        answers = await asyncio.gather(*(client.post(HOOK, json=close) for _ in range(4)))
        bodies = [await r.json() for r in answers]
        assert [r.status for r in answers] == [200] * 4, bodies
        closed = [o for body in bodies for o in body["orders"]]
        assert len(closed) == 1 and closed[0]["status"] == "CLOSED"
        assert await open_orders(user, account) == []


async def test_alerts_from_one_address_are_limited_by_their_failures_only(
    make_client: MakeClient,
) -> None:
    """TradingView sends every user's alerts from a few fixed addresses: a busy server's
    valid alerts must not run out of one address's --rate-limit-public budget. Only alerts
    that fail their token spend it, and once it is spent, that address is refused (429)
    before any token is looked at, valid or not."""
    client = await make_client(rate_limit_public=3)
    users = [await signup(client) for _ in range(6)]
    accounts = [await first_account(user) for user in users]
    tokens = [await token_for(user, account) for user, account in zip(users, accounts, strict=True)]
    await tick(client, "BTCUSDT", "100000")
    for token in tokens:  # six alerts from one address within the second: all placed
        await hook(client, 201, token=token, action="buy", asset="BTCUSDT", qty="0.001",
                   leverage=10)  # fmt: skip
    for _ in range(3):
        await hook(client, 401, token=tokens[0][:-1] + "x", action="close", asset="BTCUSDT")
    limited = await client.post(HOOK, json={"token": tokens[1], "action": "close",
                                            "asset": "BTCUSDT"})  # fmt: skip
    assert limited.status == 429
    assert len(await open_orders(users[1], accounts[1])) == 1  # refused before anything ran


async def test_bodies_that_are_no_alert_spend_the_addresss_budget_too(
    make_client: MakeClient,
) -> None:
    client = await make_client(rate_limit_public=3)
    user = await signup(client)
    token = await token_for(user, await first_account(user))
    await tick(client, "BTCUSDT", "100000")
    for body in ("not json", "[1, 2]", '{"token": 7'):
        response = await client.post(HOOK, data=body,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
        assert response.status == 400, await response.text()
    limited = await client.post(HOOK, json={"token": token, "action": "buy",
                                            "asset": "BTCUSDT", "qty": "0.001",
                                            "leverage": 10})  # fmt: skip
    assert limited.status == 429


async def test_the_readme_template_s_order_ids_place_and_retry_safely(
    client: TestClient[Any, Any],
) -> None:
    """TradingView's own new-strategy template names its orders "My Long Entry Id", and the
    README's template adds ``{{timenow}}``: the alert's clientOrderId has spaces and runs
    past the 36 characters an order's may have. Before, such an alert was 400 and placed
    nothing. Now the order's id is ``tv-`` and 32 hex digits of the alert's SHA-256 (worked
    out here by hand), so the same alert retried is the same order; another id, another
    order."""
    import hashlib

    user = await signup(client)
    account = await new_account(user)  # NETTING: sell closes what buy opened
    token = await token_for(user, account)
    await tick(client, "BTCUSDT", "100000")
    alert_id = "tv-My Long Entry Id-2026-12-06T16:50:00Z"
    shown = "tv-" + hashlib.sha256(alert_id.encode()).hexdigest()[:32]
    alert = {"token": token, "action": "buy", "asset": "BTCUSDT", "qty": "0.01",
             "leverage": 10, "clientOrderId": alert_id}  # fmt: skip
    bought = await hook(client, 201, **alert)
    assert bought["clientOrderId"] == shown and len(shown) == 35
    again = await hook(client, 200, **alert)  # TradingView retried it
    assert again["orderId"] == bought["orderId"]
    assert await user.json("GET", f"/api/v1/order/by-client-id/{shown}", 200,
                           headers={"X-Velox-Account": account}) == again  # fmt: skip
    # an id that fits is kept as it is; the exit closes the position it reduced (NETTING)
    closed = await hook(client, 200, **{**alert, "action": "sell", "clientOrderId": "exit-1"})
    assert (closed["orderId"], closed["status"]) == (bought["orderId"], "CLOSED")
    exit_order = await user.json("GET", "/api/v1/order/by-client-id/exit-1", 200,
                                 headers={"X-Velox-Account": account})  # fmt: skip
    assert exit_order["status"] == "FILLED"
    assert await open_orders(user, account) == []
    for bad in ("", "a\nb", "x" * 129, 7):
        refused = await hook(client, 400, **{**alert, "clientOrderId": bad})
        assert_error(refused, "VALIDATION_ERROR", "clientOrderId")
    assert await open_orders(user, account) == []
