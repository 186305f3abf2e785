"""A socket follows one account of its user (issue 14's account switcher): real sockets.

``{"op": "account", "accountId": ...}`` switches what the socket carries: that account's order
messages and figures, exact to the unit and equal to REST's balance with that account, and
nothing of the user's other accounts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, settle, signup, tick
from velox.web.keys import HUB

LONG_BTC: dict[str, Any] = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}


async def _until_pong(ws: ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every message the server sent before answering a ping sent now (in order)."""
    await ws.send_json({"op": "ping"})
    seen: list[dict[str, Any]] = []
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == "pong":
            return seen
        if message["type"] != "price_update":
            seen.append(message)


async def _quiet(client: TestClient[Any, Any]) -> None:
    await settle(client)
    await client.app[HUB].settled()


async def _follow(ws: ClientWebSocketResponse, account_id: str | None) -> list[dict[str, Any]]:
    """Switch, returning what came before the acknowledgement (the old account's)."""
    await ws.send_json({"op": "account", "accountId": account_id})
    before: list[dict[str, Any]] = []
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == "account":
            assert message == {"type": "account", "accountId": account_id}
            return before
        before.append(message)


def _ids(messages: list[dict[str, Any]], kind: str) -> list[str]:
    return [m["data"]["orderId"] for m in messages if m["type"] == kind]


def _balances(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["data"] for m in messages if m["type"] == "balance"]


async def _rest_balance(user: User, account_id: str) -> Any:
    headers = {"X-Velox-Account": account_id}
    return await user.json("GET", "/api/v1/order/user/balance", 200, headers=headers)


async def test_a_socket_following_the_second_account_gets_only_its_orders_and_figures(
    client: TestClient[Any, Any],
) -> None:
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    second = await user.json("POST", "/api/v1/accounts", 201, json={"name": "B", "mode": "HEDGING"})
    b = second["accountId"]
    on_b = {"X-Velox-Account": b}
    await user.open(**{**LONG_BTC, "margin": "40"})  # the first account's, before connecting
    ws_a = await user.ws()  # follows the first account, as before
    ws_b = await user.ws()
    await _follow(ws_b, b)
    await tick(client, "BTCUSDT", "100010")  # the batch that reads the newly followed book
    await _quiet(client)
    (shown,) = _balances(await _until_pong(ws_b))  # pushed after a switch without asking
    assert shown == await _rest_balance(user, b)
    assert shown["usedMargin"] == "0.00000000"
    assert _balances(await _until_pong(ws_a))[-1] == await user.balance()  # A's, still

    order_b = await user.json(
        "POST", "/api/v1/order/open", 201, json={**LONG_BTC, "margin": "12.34567891"}, headers=on_b
    )
    await _quiet(client)
    seen_b, seen_a = await _until_pong(ws_b), await _until_pong(ws_a)
    assert _ids(seen_b, "order_opened") == [order_b["orderId"]]
    assert _balances(seen_b)[-1] == await _rest_balance(user, b)
    assert _balances(seen_b)[-1]["usedMargin"] == "12.34567891"
    assert seen_a == []  # nothing of account B on the socket following A

    order_a = (await user.open(**{**LONG_BTC, "margin": "7"}))["orderId"]
    await user.json("POST", f"/api/v1/order/close/{order_b['orderId']}", 200, json={}, headers=on_b)
    await _quiet(client)
    seen_b, seen_a = await _until_pong(ws_b), await _until_pong(ws_a)
    assert _ids(seen_a, "order_opened") == [order_a]
    assert _ids(seen_a, "order_closed") == []
    assert _ids(seen_b, "order_opened") == []
    assert _ids(seen_b, "order_closed") == [order_b["orderId"]]
    a_balance = await user.balance()
    assert _balances(seen_a)[-1] == a_balance and a_balance["usedMargin"] == "47.00000000"
    assert _balances(seen_b)[-1] == await _rest_balance(user, b)

    await tick(client, "BTCUSDT", "101234.56")  # figures move with the price, per account
    await _quiet(client)
    assert _balances(await _until_pong(ws_a))[-1] == await user.balance()
    assert _balances(await _until_pong(ws_b)) == []  # B holds nothing now: nothing moved

    await _follow(ws_b, None)  # back to the first account: its events arrive again
    order_a2 = (await user.open(**LONG_BTC))["orderId"]
    await _quiet(client)
    seen_b = await _until_pong(ws_b)
    assert _ids(seen_b, "order_opened") == [order_a2]
    assert _balances(seen_b)[-1] == await user.balance()
    await ws_a.close()
    await ws_b.close()


async def test_following_an_account_that_is_not_the_users_is_refused_and_changes_nothing(
    client: TestClient[Any, Any],
) -> None:
    await tick(client, "BTCUSDT", "100000")
    user, other = await signup(client), await signup(client)
    theirs = await other.json(
        "POST", "/api/v1/accounts", 201, json={"name": "X", "mode": "NETTING"}
    )
    ws = await user.ws()
    for account_id, code in (
        (theirs["accountId"], "NOT_FOUND"),
        ("99999999", "NOT_FOUND"),
        ("not-an-id", "NOT_FOUND"),
        (7, "VALIDATION_ERROR"),
    ):
        await ws.send_json({"op": "account", "accountId": account_id})
        (error,) = await _until_pong(ws)
        assert error["type"] == "error" and error["error"]["code"] == code, error
    await other.json(
        "POST",
        "/api/v1/order/open",
        201,
        json=LONG_BTC,
        headers={"X-Velox-Account": theirs["accountId"]},
    )
    mine = (await user.open(**LONG_BTC))["orderId"]
    await _quiet(client)
    seen = await _until_pong(ws)  # still the user's own first account, and only it
    assert _ids(seen, "order_opened") == [mine]
    assert _balances(seen)[-1] == await user.balance()
    await ws.close()

    public = await client.ws_connect("/ws")
    await public.send_json({"op": "account", "accountId": theirs["accountId"]})
    (error,) = await _until_pong(public)
    assert error["error"]["code"] == "UNAUTHORIZED"
    await public.close()


async def test_following_the_account_already_followed_pushes_its_figures_again(
    client: TestClient[Any, Any],
) -> None:
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    await user.open(**{**LONG_BTC, "margin": "3.21"})
    ws = await user.ws()
    await tick(client, "BTCUSDT", "100001")  # reads this socket's book
    await _quiet(client)
    await _until_pong(ws)
    computed = client.app[HUB].book.computations
    await _follow(ws, None)  # the first account, followed already: no tick needed
    await _quiet(client)
    (shown,) = _balances(await _until_pong(ws))
    assert shown == await user.balance() and shown["usedMargin"] == "3.21000000"
    assert client.app[HUB].book.computations == computed  # its book was kept, not re-read
    await ws.close()
