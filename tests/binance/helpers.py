"""A minimal Binance client for the tests: signs as Binance documents, independently of
``velox.binance.signing`` (hmac + urlencode written here from Binance's rules)."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, signup
from velox.binance.keyring import READ, TRADE
from velox.clock import ManualClock
from velox.web.keys import STORE

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def hmac_hex(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass
class Key:
    key_id: str
    api_key: str
    secret: str
    account_id: str


async def first_account(user: User) -> str:
    """The account made at signup."""
    accounts = (await user.json("GET", "/api/v1/accounts", 200))["accounts"]
    account_id: str = accounts[0]["accountId"]
    return account_id


async def new_account(user: User, mode: str = "NETTING", name: str = "bots") -> str:
    body = await user.json("POST", "/api/v1/accounts", 201, json={"name": name, "mode": mode})
    account_id: str = body["accountId"]
    return account_id


async def make_key(
    user: User,
    permissions: list[str] | None = None,
    name: str = "bot",
    account_id: str | None = None,
) -> Key:
    account_id = account_id or await first_account(user)
    body = await user.json(
        "POST",
        "/api/v1/api-keys",
        201,
        json={"name": name, "accountId": account_id, "permissions": permissions or ["read"]},
    )
    return Key(body["keyId"], body["apiKey"], body["secret"], body["accountId"])


async def older_trading_key(user: User, account_id: str | None = None) -> Key:
    """A "read, trade" key of a HEDGING account (the first, by default), as an older Velox
    made them: Velox now refuses to make one (SPEC 13: such a key only reads), so it is made
    reading and its stored permissions rewritten."""
    key = await make_key(user, ["read"], account_id=account_id)
    store = user.client.app[STORE]
    (record,) = [k for k in await store.api_keys_for_user(user.id) if k.key_id == key.key_id]
    await store.delete_api_key(user.id, record.key_id)
    assert await store.create_api_key(replace(record, permissions=(READ, TRADE)), 100, issued_at=0)
    return key


class Bot:
    """Signed /fapi requests with one key: parameters in the query (GET/DELETE) or the
    form body (POST/PUT), ``timestamp`` added, ``signature`` last."""

    def __init__(self, client: TestClient[Any, Any], key: Key) -> None:
        self.client = client
        self.key = key

    def signed(self, params: dict[str, Any], *, timestamp: int | None = None) -> str:
        query = urlencode({**params, "timestamp": timestamp or now_ms()})
        return f"{query}&signature={hmac_hex(self.key.secret, query)}"

    async def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, **kw: Any
    ) -> ClientResponse:
        text = self.signed(params or {}, timestamp=kw.pop("timestamp", None))
        headers = {"X-MBX-APIKEY": self.key.api_key, **kw.pop("headers", {})}
        if method in ("GET", "DELETE"):
            return await self.client.request(method, f"{path}?{text}", headers=headers, **kw)
        return await self.client.request(method, path, data=text, headers={**headers, **FORM}, **kw)

    async def json(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        status: int = 200,
        clock: ManualClock | None = None,
    ) -> Any:
        stamp = {"timestamp": clock.wall_ms()} if clock is not None else {}
        response = await self.call(method, path, params, **stamp)
        body = await response.json()
        assert response.status == status, (response.status, body)
        return body


async def binance_error(response: ClientResponse, status: int, code: int) -> dict[str, Any]:
    body: dict[str, Any] = await response.json()
    assert response.status == status, body
    assert set(body) == {"code", "msg"}, body
    assert body["code"] == code, body
    return body


async def netting_bot(
    client: TestClient[Any, Any], perms: list[str] | None = None
) -> tuple[User, Bot, str]:
    """A new user, a key on a new NETTING account of theirs (the kind a key may trade), and
    that account's id."""
    user = await signup(client)
    account = await new_account(user, "NETTING")
    key = await make_key(user, perms or ["read", "trade"], account_id=account)
    return user, Bot(client, key), account


async def orders_of(user: User, account: str, status: str) -> list[Any]:
    path = f"/api/v1/order/user/orders?status={status}"
    body = await user.json("GET", path, 200, headers={"X-Velox-Account": account})
    orders: list[Any] = body["orders"]
    return orders


async def balance_of(user: User, account: str) -> Any:
    path = "/api/v1/order/user/balance"
    return await user.json("GET", path, 200, headers={"X-Velox-Account": account})
