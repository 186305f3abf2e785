"""What a client changes through one gateway holds on every other at once, as with one
``velox run`` (SPEC 15): a symbol's leverage, an API key's deletion, a signout; and a
gateway's ``/healthz`` names the engine's feed, so the trade screen's "simulated prices"
banner shows behind gateways too. (An outside review found each broken: an order on B
opened at the old leverage, a deleted key and a signed-out session still worked on B for
up to a second, and every gateway said ``"feed": "none"``.) At full speed the revocation
races here are lost only now and then; ``test_revocations`` makes B always late."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.scale.cluster import Cluster
from tests.scale.helpers import call, signup

ROUNDS = 8  # each race below lost most rounds before


async def signed(base: str, key: Any, method: str, path: str, **params: Any) -> tuple[int, Any]:
    query = urlencode({**params, "timestamp": time.time_ns() // 1_000_000})
    signature = hmac.new(key["secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
    headers = {"X-MBX-APIKEY": key["apiKey"]}
    url = f"{base}{path}?{query}&signature={signature}"
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)


async def netting_account(base: str, token: str) -> str:
    status, account = await call(base, "POST", "/api/v1/accounts", token,
                                 {"name": "bots", "mode": "NETTING"})  # fmt: skip
    assert status == 201, account
    account_id: str = account["accountId"]
    return account_id


async def trading_key(base: str, token: str, account_id: str) -> Any:
    status, key = await call(base, "POST", "/api/v1/api-keys", token,
                             {"name": "bot", "accountId": account_id,
                              "permissions": ["read", "trade"]})  # fmt: skip
    assert status == 201, key
    return key


async def test_a_leverage_set_on_one_gateway_is_the_next_orders_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases
    leverages = []
    for i in range(ROUNDS):
        token, _ = await signup(a, f"leverage{i}@scale.example")
        key = await trading_key(a, token, await netting_account(a, token))
        # B has just read the account's leverages (as any order or polling read does)
        status, config = await signed(b, key, "GET", "/fapi/v1/symbolConfig", symbol="BTCUSDT")
        assert status == 200, config
        status, _ = await signed(a, key, "POST", "/fapi/v1/leverage", symbol="BTCUSDT",
                                 leverage=3)  # fmt: skip
        assert status == 200
        status, order = await signed(b, key, "POST", "/fapi/v1/order", symbol="BTCUSDT",
                                     side="BUY", type="MARKET", quantity="0.001")  # fmt: skip
        assert status == 200, order
        status, risk = await signed(b, key, "GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")
        leverages.append(risk[0]["leverage"])
    assert leverages == ["3"] * ROUNDS


async def test_an_api_key_deleted_on_one_gateway_is_refused_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases
    token, _ = await signup(a, "keys@scale.example")
    account_id = await netting_account(a, token)
    for i in range(ROUNDS):
        key = await trading_key(a, token, account_id)
        status, rows = await signed(b, key, "GET", "/fapi/v2/balance")  # B keeps it now
        assert status == 200, rows
        status, _ = await call(a, "DELETE", f"/api/v1/api-keys/{key['keyId']}", token)
        assert status == 204
        status, refused = await signed(b, key, "GET", "/fapi/v2/balance")
        assert status == 401, f"round {i}: the deleted key still works on B: {refused}"
        assert refused["code"] == -2015


async def test_a_session_signed_out_on_one_gateway_is_refused_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = cluster.bases
    for i in range(ROUNDS):
        session, _ = await signup(a, f"signout{i}@scale.example")
        assert (await call(b, "GET", "/api/v1/user/me", session))[0] == 200
        status, _ = await call(a, "POST", "/api/v1/user/signout", session)
        assert status == 204
        status, refused = await call(b, "GET", "/api/v1/user/me", session)
        assert (status, refused["error"]["code"]) == (401, "UNAUTHORIZED"), f"round {i}"


async def test_a_gateways_healthz_names_the_engines_feed(cluster: Cluster) -> None:
    for base in (cluster.engine.base, *cluster.bases):
        status, health = await call(base, "GET", "/healthz")
        assert status == 200, health
        assert (health["feed"]["name"], health["feed"]["simulated"]) == ("sim", True), base
