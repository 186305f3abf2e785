"""``/api/v1/api-keys``: the secret shown once, never listed, sealed at rest, revoked at once."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.binance.helpers import (
    Bot,
    binance_error,
    first_account,
    make_key,
    new_account,
    older_trading_key,
)
from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import assert_error, signup
from velox.config import Settings
from velox.vault import VaultError, load_key
from velox.web.app import create_app
from velox.web.keys import STORE

ACCOUNT = "/fapi/v2/account"


async def test_create_shows_the_secret_once_and_the_key_works(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client)
    account_id = await new_account(user)  # NETTING: a key that trades (SPEC 13)
    body = await user.json(
        "POST",
        "/api/v1/api-keys",
        201,
        json={"name": "grid bot", "accountId": account_id, "permissions": ["read", "trade"]},
    )
    assert set(body) == {
        "keyId", "name", "accountId", "permissions", "apiKey", "createdAt", "secret"
    }  # fmt: skip
    assert body["name"] == "grid bot" and body["accountId"] == account_id
    assert body["permissions"] == ["read", "trade"]
    assert len(body["apiKey"]) == 64 and body["apiKey"].isalnum()
    assert len(body["secret"]) == 64 and body["secret"] != body["apiKey"]
    listed = await user.json("GET", "/api/v1/api-keys", 200)
    expected = {k: v for k, v in body.items() if k != "secret"}
    assert listed == {"apiKeys": [expected]}
    assert body["secret"] not in str(listed)


async def test_keys_are_per_user_and_at_most_ten(make_client: MakeClient) -> None:
    client = await make_client(max_api_keys=10)
    alice, bob = await signup(client), await signup(client)
    for n in range(10):
        await make_key(alice, name=f"k{n}")
    refused = await alice.json(
        "POST", "/api/v1/api-keys", 422,
        json={"name": "eleventh", "accountId": await first_account(alice), "permissions": ["read"]},
    )  # fmt: skip
    assert_error(refused, "TOO_MANY_API_KEYS")
    assert len((await alice.json("GET", "/api/v1/api-keys", 200))["apiKeys"]) == 10
    assert (await bob.json("GET", "/api/v1/api-keys", 200)) == {"apiKeys": []}
    await make_key(bob)  # Bob's limit is his own


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accountId": "x", "permissions": ["read"]}, "name"),
        ({"name": "", "accountId": "x", "permissions": ["read"]}, "name"),
        ({"name": "a\nb", "accountId": "x", "permissions": ["read"]}, "name"),
        ({"name": "n" * 65, "accountId": "x", "permissions": ["read"]}, "name"),
        ({"name": "b", "permissions": ["read"]}, "accountId"),
        ({"name": "b", "accountId": 7, "permissions": ["read"]}, "accountId"),
        ({"name": "b", "accountId": "x", "permissions": ["trade"]}, "permissions"),
        ({"name": "b", "accountId": "x", "permissions": ["read", "withdraw"]}, "permissions"),
        ({"name": "b", "accountId": "x", "permissions": "read"}, "permissions"),
        ({"name": "b", "accountId": "x", "permissions": ["read"], "admin": True}, "admin"),
    ],
)
async def test_bad_requests_are_refused_and_create_nothing(
    client: TestClient[Any, Any], body: dict[str, Any], field: str
) -> None:
    user = await signup(client)
    if body.get("accountId") == "x":
        body = {**body, "accountId": await first_account(user)}
    refused = await user.json("POST", "/api/v1/api-keys", 400, json=body)
    assert_error(refused, "VALIDATION_ERROR", field)
    assert (await user.json("GET", "/api/v1/api-keys", 200)) == {"apiKeys": []}


async def test_another_users_account_is_not_found(client: TestClient[Any, Any]) -> None:
    alice, bob = await signup(client), await signup(client)
    refused = await alice.json(
        "POST", "/api/v1/api-keys", 404,
        json={"name": "b", "accountId": await first_account(bob), "permissions": ["read"]},
    )  # fmt: skip
    assert_error(refused, "NOT_FOUND", "accountId")
    assert (await alice.json("GET", "/api/v1/api-keys", 200)) == {"apiKeys": []}


async def test_session_required(client: TestClient[Any, Any]) -> None:
    for method in ("GET", "POST"):
        response = await client.request(method, "/api/v1/api-keys", json={})
        assert response.status == 401
        assert_error(await response.json(), "UNAUTHORIZED")
    response = await client.delete("/api/v1/api-keys/0123456789abcdef")
    assert response.status == 401


async def test_revoke_is_effective_at_once(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    key = await make_key(user)
    bot = Bot(client, key)
    await bot.json("GET", ACCOUNT)  # works, and is now in the key ring's cache
    response = await user.call("DELETE", f"/api/v1/api-keys/{key.key_id}")
    assert response.status == 204
    await binance_error(await bot.call("GET", ACCOUNT), 401, -2015)
    assert (await user.json("GET", "/api/v1/api-keys", 200)) == {"apiKeys": []}
    again = await user.call("DELETE", f"/api/v1/api-keys/{key.key_id}")
    assert again.status == 404


async def test_only_the_owner_revokes(client: TestClient[Any, Any]) -> None:
    alice, bob = await signup(client), await signup(client)
    key = await make_key(alice)
    response = await bob.call("DELETE", f"/api/v1/api-keys/{key.key_id}")
    assert response.status == 404
    assert_error(await response.json(), "NOT_FOUND")
    await Bot(client, key).json("GET", ACCOUNT)


async def test_a_copy_of_the_database_reveals_no_secret(
    make_client: MakeClient, tmp_path: Path
) -> None:
    client = await make_client()
    user = await signup(client)
    keys = [await make_key(user, name=f"k{n}") for n in range(3)]
    key_file = tmp_path / "api_keys.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    await client.close()  # checkpoint the WAL into the file
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("velox.db*"))
    for key in keys:
        assert key.secret.encode() not in raw
        assert key.api_key.encode() in raw  # the key itself is not secret: it is looked up
    with sqlite3.connect(tmp_path / "velox.db") as db:
        stored = [bytes(r[0]) for r in db.execute("SELECT secret_sealed FROM api_keys")]
    assert len(stored) == 3 and all(s.startswith(b"v1") for s in stored)
    assert all(key.secret.encode() not in s for s in stored)


async def test_keys_keep_working_after_a_restart_and_not_with_another_key_file(
    make_client: MakeClient, settings: Settings, tmp_path: Path
) -> None:
    client = await make_client()
    user = await signup(client)
    key = await make_key(user)
    await client.close()
    again = await make_client()
    await Bot(again, key).json("GET", ACCOUNT)
    await again.close()
    # The key file lost: a new one would open none of the stored secrets, and every key
    # would answer -2015 for good (it was created in silence). Velox refuses to start,
    # saying what to do; with the file put back, the keys work again.
    os.replace(tmp_path / "api_keys.key", tmp_path / "old.key")
    runner = web.AppRunner(create_app(settings, feed=None, options=FAST))
    with pytest.raises(VaultError, match="does not open the API secrets stored"):
        await runner.setup()
    await runner.cleanup()
    os.replace(tmp_path / "old.key", tmp_path / "api_keys.key")
    back = await make_client()
    await Bot(back, key).json("GET", ACCOUNT)


class _WatchedFeed:
    """A feed that only notes whether it was ever run."""

    name = "watched"
    simulated = True
    ran = False

    async def run(self, sink: object) -> None:
        self.ran = True
        await asyncio.Event().wait()


async def test_a_lost_key_file_is_refused_before_the_feed_starts(
    make_client: MakeClient, settings: Settings, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """The refusal comes first, alone: nothing is started that it would have to stop (the
    feed and the trade writer ran for 4.5 s and logged store errors and a dropped trade
    before it: an outside review)."""
    client = await make_client()
    await make_key(await signup(client))
    await client.close()
    os.replace(tmp_path / "api_keys.key", tmp_path / "old.key")
    feed = _WatchedFeed()
    runner = web.AppRunner(create_app(settings, feed=feed, options=FAST))  # type: ignore[arg-type]
    with pytest.raises(VaultError, match="does not open the API secrets stored"):
        await runner.setup()
    await runner.cleanup()
    assert not feed.ran
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_an_unreadable_key_file_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "api_keys.key").mkdir()  # a directory where the file should be
    with pytest.raises(VaultError, match="cannot read the API key file"):
        load_key(tmp_path / "api_keys.key")


async def test_key_and_token_changes_count_toward_the_users_auth_budget(
    make_client: MakeClient,
) -> None:
    """Each API-key create or delete and webhook-token rotation is a write to the store:
    --rate-limit-auth (per sliding 60 s) limits them per user, as it limits sign-in attempts
    per address, so one client churning keys cannot crowd the store's one writer."""
    client = await make_client(rate_limit_auth=3)
    user, other = await signup(client), await signup(client)
    account = await first_account(user)
    key = await make_key(user)
    assert (await user.call("DELETE", f"/api/v1/api-keys/{key.key_id}")).status == 204
    await user.json("POST", f"/api/v1/accounts/{account}/webhook", 201)
    for method, path, body in [
        ("POST", "/api/v1/api-keys",
         {"name": "bot", "accountId": account, "permissions": ["read"]}),
        ("DELETE", f"/api/v1/api-keys/{key.key_id}", None),
        ("POST", f"/api/v1/accounts/{account}/webhook", None),
    ]:  # fmt: skip
        response = await user.call(method, path, json=body)
        assert response.status == 429, await response.text()
        assert_error(await response.json(), "RATE_LIMITED")
    assert (await user.json("GET", "/api/v1/api-keys", 200))["apiKeys"] == []
    await make_key(other)  # another user's budget is their own


async def test_a_hedging_accounts_key_only_reads(client: TestClient[Any, Any]) -> None:
    """SPEC 13: a key trades only its own NETTING account. Asking "trade" for a HEDGING
    account (the one made at signup) is refused and makes nothing (before, it was made and
    listed "read, trade", then refused every order with -2015); a read key is made, and a
    NETTING account's key trades."""
    user = await signup(client)
    hedging = await first_account(user)
    refused = await user.json(
        "POST", "/api/v1/api-keys", 422,
        json={"name": "bot", "accountId": hedging, "permissions": ["read", "trade"]},
    )  # fmt: skip
    assert_error(refused, "HEDGING_KEY_READ_ONLY", "permissions")
    assert "NETTING" in refused["error"]["message"]
    assert await user.json("GET", "/api/v1/api-keys", 200) == {"apiKeys": []}
    reader = await make_key(user, ["read"], account_id=hedging)
    netting = await new_account(user)
    trader = await make_key(user, ["read", "trade"], account_id=netting)
    listed = (await user.json("GET", "/api/v1/api-keys", 200))["apiKeys"]
    assert {k["apiKey"]: k["permissions"] for k in listed} == {
        reader.api_key: ["read"], trader.api_key: ["read", "trade"]
    }  # fmt: skip


async def test_an_older_velox_s_trading_key_of_a_hedging_account_is_listed_as_reading(
    client: TestClient[Any, Any],
) -> None:
    """An older Velox made such keys: stored "read, trade", they are shown as what they can
    do, ``["read"]``, and still refused every order (-2015)."""
    user = await signup(client)
    key = await older_trading_key(user)
    stored = await client.app[STORE].api_keys_for_user(user.id)
    assert [k.permissions for k in stored] == [("read", "trade")]
    (listed,) = (await user.json("GET", "/api/v1/api-keys", 200))["apiKeys"]
    assert listed["permissions"] == ["read"]
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"}
    await binance_error(await Bot(client, key).call("POST", "/fapi/v1/order", order), 401, -2015)
