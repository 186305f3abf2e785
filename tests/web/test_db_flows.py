"""The key flows on both stores (SQLite and PostgreSQL, via the shared ``db_url`` fixture),
including a restart: everything acknowledged is there again, exactly.

``db_url`` comes first in each signature so the app (and its final snapshot) is torn down
before the PostgreSQL schema is dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.conftest import FAST
from tests.web.helpers import assert_error, bearer, next_of, open_link, outbox_link, signup, tick
from velox.config import Settings
from velox.web.app import create_app

BTC: dict[str, Any] = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}


async def test_trading_survives_a_restart(
    db_url: str, aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.with_(db=db_url)
    client = await aiohttp_client(create_app(settings, feed=None, options=FAST))
    alice, bob = await signup(client), await signup(client)
    await tick(client, "BTCUSDT", "100000")
    ws = await alice.ws()
    doomed = await alice.open(**BTC)
    kept = await alice.open(**{**BTC, "leverage": 2})
    manual = await bob.open(**{**BTC, "side": "SHORT"})
    await tick(client, "BTCUSDT", "91000")  # liquidates alice's 10x LONG only
    closed = (await next_of(ws, "order_closed"))["data"]
    assert closed["orderId"] == doomed["orderId"] and closed["closeReason"] == "LIQUIDATION"
    part = await bob.json(
        "POST", f"/api/v1/order/close/{manual['orderId']}", 200, json={"percent": 40}
    )
    again = await alice.call("POST", f"/api/v1/order/close/{doomed['orderId']}")
    assert again.status == 409
    assert_error(await again.json(), "ORDER_CLOSED")
    before = {
        "alice": (
            await alice.balance(),
            await alice.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200),
        ),
        "bob": (
            await bob.balance(),
            await bob.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200),
        ),
    }
    assert before["bob"][1]["orders"] == [part["closed"]]
    await client.post("/api/v1/user/signout", headers=bob.headers)
    await ws.close()
    await client.close()

    client = await aiohttp_client(create_app(settings, feed=None, options=FAST))
    alice.client = bob.client = client
    await tick(client, "BTCUSDT", "91000")
    assert (
        await alice.balance(),
        await alice.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200),
    ) == before["alice"]
    open_orders = await alice.json("GET", "/api/v1/order/user/orders?status=OPEN", 200)
    assert [o["orderId"] for o in open_orders["orders"]] == [kept["orderId"]]
    assert (await bob.call("GET", "/api/v1/user/me")).status == 401  # revoked stays revoked
    signin = await client.post(
        "/api/v1/user/signin", json={"email": bob.email, "password": "correct horse"}
    )
    bob.token = (await signin.json())["token"]
    client.session.cookie_jar.clear()
    assert (
        await bob.balance(),
        await bob.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200),
    ) == before["bob"]
    rest = await bob.json("GET", f"/api/v1/order/{manual['orderId']}", 200)
    assert rest == {**part["order"], "unrealizedPnl": rest["unrealizedPnl"]}


async def test_magic_link_and_email_taken(
    db_url: str, aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    client = await aiohttp_client(create_app(settings.with_(db=db_url), feed=None, options=FAST))
    await signup(client, "dup@example.com")
    taken = await client.post(
        "/api/v1/user/signup", json={"email": "Dup@Example.com", "password": "correct horse"}
    )
    assert taken.status == 409
    assert_error(await taken.json(), "EMAIL_TAKEN")
    assert (
        await client.post("/api/v1/user/magic-link", json={"email": "dup@example.com"})
    ).status == 202
    token = outbox_link(tmp_path)
    verify = await open_link(client, token)
    assert verify.status == 302 and verify.headers["Location"] == "/trade"
    me = await client.get("/api/v1/user/me", headers=bearer(verify.cookies["token"].value))
    assert (await me.json())["user"]["email"] == "dup@example.com"
    reuse = await open_link(client, token)
    assert reuse.headers["Location"].startswith("/signin?")
