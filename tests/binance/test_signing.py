"""Signed requests refused as Binance refuses them, each changing nothing.

The client in ``helpers.Bot`` signs from Binance's documented rules; each test breaks one
rule and checks the exact status and code, then that the account and its settings are as
they were (a refused ``POST /fapi/v1/leverage`` does not set the leverage).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import FORM, Bot, Key, binance_error, hmac_hex, netting_bot, now_ms
from tests.web.conftest import MakeClient
from velox.binance.errors import BinanceError
from velox.binance.params import Params
from velox.binance.signing import check_signature
from velox.clock import ManualClock
from velox.web.options import WebOptions

ACCOUNT = "/fapi/v2/account"
LEVERAGE = "/fapi/v1/leverage"


async def trader(client: TestClient[Any, Any], perms: list[str] | None = None) -> Bot:
    """A key on a NETTING account: a HEDGING account's key may not change settings."""
    _, bot, _ = await netting_bot(client, perms)
    return bot


async def leverage_of(bot: Bot, symbol: str = "BTCUSDT", clock: ManualClock | None = None) -> str:
    rows = await bot.json("GET", "/fapi/v2/positionRisk", {"symbol": symbol}, clock=clock)
    value: str = rows[0]["leverage"]
    return value


async def test_a_good_signature_in_the_query_or_the_body(client: TestClient[Any, Any]) -> None:
    bot = await trader(client)
    body = await bot.json("POST", LEVERAGE, {"symbol": "BTCUSDT", "leverage": 9})
    assert body == {"leverage": 9, "maxNotionalValue": "1000000.00000000", "symbol": "BTCUSDT"}
    # Binance signs totalParams = query string + body, concatenated as sent.
    query = urlencode({"symbol": "BTCUSDT"})
    form = urlencode({"leverage": 4, "timestamp": now_ms(), "recvWindow": 10000})
    signature = hmac_hex(bot.key.secret, query + form)
    response = await client.post(
        f"{LEVERAGE}?{query}",
        data=f"{form}&signature={signature}",
        headers={"X-MBX-APIKEY": bot.key.api_key, **FORM},
    )
    assert response.status == 200, await response.text()
    assert await leverage_of(bot) == "4"


async def test_bad_signature(client: TestClient[Any, Any]) -> None:
    bot = await trader(client)
    text = bot.signed({"symbol": "BTCUSDT", "leverage": 50})
    tampered = text.replace("leverage=50", "leverage=51")
    headers = {"X-MBX-APIKEY": bot.key.api_key, **FORM}
    response = await client.post(LEVERAGE, data=tampered, headers=headers)
    body = await binance_error(response, 400, -1022)
    assert body["msg"] == "Signature for this request is not valid."
    other = Key("x", bot.key.api_key, "S" * 64, "x")  # signed with another secret
    await binance_error(await Bot(client, other).call("POST", LEVERAGE, {"symbol": "BTCUSDT",
                        "leverage": 50}), 400, -1022)  # fmt: skip
    no_signature = urlencode({"symbol": "BTCUSDT", "leverage": 50, "timestamp": now_ms()})
    response = await client.post(LEVERAGE, data=no_signature, headers=headers)
    await binance_error(response, 400, -1102)
    assert await leverage_of(bot) == "20"


def test_a_query_re_quoted_after_signing_is_still_the_signed_one() -> None:
    """aiohttp's yarl sends ``%2F`` and ``%3A`` as ``/`` and ``:``, after the client signed
    ``urlencode``'s text: a GET by ``origClientOrderId=grid/1:a`` from ccxt's async client
    was -1022. The same parameters as ``urlencode`` writes them are accepted; a changed
    value still is not."""
    secret = "s" * 64
    signed = urlencode({"symbol": "BTCUSDT", "origClientOrderId": "grid/1:a", "timestamp": 1})
    signature = hmac_hex(secret, signed)
    arrived = "symbol=BTCUSDT&origClientOrderId=grid/1:a&timestamp=1"
    check_signature(Params.parse(f"{arrived}&signature={signature}", ""), secret)
    check_signature(Params.parse(f"{signed}&signature={signature}", ""), secret)
    for forged in (arrived.replace("grid/1", "grid/2"), arrived + "&x=1"):
        with pytest.raises(BinanceError) as refused:
            check_signature(Params.parse(f"{forged}&signature={signature}", ""), secret)
        assert refused.value.code == -1022


@pytest.mark.parametrize(
    ("offset_ms", "window", "message"),
    [
        (-6_000, None, "Timestamp for this request is outside of the recvWindow."),
        (-61_000, 60_000, "Timestamp for this request is outside of the recvWindow."),
        (5_000, None, "Timestamp for this request was 1000ms ahead of the server's time."),
    ],
)
async def test_stale_or_future_timestamp(
    client: TestClient[Any, Any], offset_ms: int, window: int | None, message: str
) -> None:
    bot = await trader(client)
    params: dict[str, Any] = {"symbol": "BTCUSDT", "leverage": 50}
    if window is not None:
        params["recvWindow"] = window
    response = await bot.call("POST", LEVERAGE, params, timestamp=now_ms() + offset_ms)
    body = await binance_error(response, 400, -1021)
    assert body["msg"] == message
    assert await leverage_of(bot) == "20"


async def test_a_wide_window_accepts_an_older_request(client: TestClient[Any, Any]) -> None:
    bot = await trader(client)
    params = {"symbol": "BTCUSDT", "leverage": 8, "recvWindow": 30_000}
    response = await bot.call("POST", LEVERAGE, params, timestamp=now_ms() - 20_000)
    assert response.status == 200, await response.text()


@pytest.mark.parametrize("window", ["60001", "0", "-5", "abc"])
async def test_recv_window_out_of_range(client: TestClient[Any, Any], window: str) -> None:
    bot = await trader(client)
    response = await bot.call("POST", LEVERAGE, {"symbol": "BTCUSDT", "leverage": 5,
                              "recvWindow": window})  # fmt: skip
    await binance_error(response, 400, -1131)
    assert await leverage_of(bot) == "20"


async def test_a_replay_inside_the_window_is_accepted_and_outside_refused(
    make_client: MakeClient,
) -> None:
    clock = ManualClock()
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=clock))
    bot = await trader(client)
    captured = bot.signed({"symbol": "BTCUSDT", "leverage": 11}, timestamp=clock.wall_ms())
    headers = {"X-MBX-APIKEY": bot.key.api_key, **FORM}
    assert (await client.post(LEVERAGE, data=captured, headers=headers)).status == 200
    clock.advance(5_000)  # the default window is 5000 ms, its end included: as Binance
    assert (await client.post(LEVERAGE, data=captured, headers=headers)).status == 200
    await bot.json("POST", LEVERAGE, {"symbol": "BTCUSDT", "leverage": 30}, clock=clock)
    clock.advance(1)
    replayed = await client.post(LEVERAGE, data=captured, headers=headers)
    await binance_error(replayed, 400, -1021)
    assert await leverage_of(bot, clock=clock) == "30"  # the replay changed nothing


async def test_unknown_missing_or_malformed_key(client: TestClient[Any, Any]) -> None:
    bot = await trader(client)
    text = bot.signed({})
    response = await client.get(f"{ACCOUNT}?{text}")
    body = await binance_error(response, 401, -2014)
    assert body["msg"] == "API-key format invalid."
    response = await client.get(f"{ACCOUNT}?{text}", headers={"X-MBX-APIKEY": "short"})
    await binance_error(response, 401, -2014)
    response = await client.get(f"{ACCOUNT}?{text}", headers={"X-MBX-APIKEY": "A" * 64})
    body = await binance_error(response, 401, -2015)
    assert body["msg"] == "Invalid API-key, IP, or permissions for action."


async def test_missing_permission(client: TestClient[Any, Any]) -> None:
    reader = await trader(client, ["read"])
    await reader.json("GET", ACCOUNT)  # reading is allowed
    response = await reader.call("POST", LEVERAGE, {"symbol": "BTCUSDT", "leverage": 3})
    await binance_error(response, 401, -2015)
    assert await leverage_of(reader) == "20"


async def test_a_key_reads_only_its_own_account(client: TestClient[Any, Any]) -> None:
    alice, bob = await trader(client), await trader(client)
    await alice.json("POST", LEVERAGE, {"symbol": "ETHUSDT", "leverage": 2})
    assert await leverage_of(alice, "ETHUSDT") == "2"
    assert await leverage_of(bob, "ETHUSDT") == "20"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"symbol": "DOGEUSDT", "leverage": 5}, 400, -1121),
        ({"symbol": "btc usdt", "leverage": 5}, 400, -1100),
        ({"leverage": 5}, 400, -1102),
        ({"symbol": "BTCUSDT"}, 400, -1102),
        ({"symbol": "BTCUSDT", "leverage": 0}, 400, -4028),
        ({"symbol": "BTCUSDT", "leverage": 101}, 400, -4028),
        ({"symbol": "BTCUSDT", "leverage": "5.5"}, 400, -4028),
        ({"symbol": "BTCUSDT", "leverage": 5, "note": "x" * 2000}, 400, -1100),
        ({"symbol": "BTCUSDT", "leverage": 5, **{f"p{i}": i for i in range(60)}}, 400, -1101),
    ],
)
async def test_bad_parameters(
    client: TestClient[Any, Any], params: dict[str, Any], status: int, code: int
) -> None:
    bot = await trader(client)
    await binance_error(await bot.call("POST", LEVERAGE, params), status, code)
    assert await leverage_of(bot) == "20"


async def test_a_parameter_sent_twice(client: TestClient[Any, Any]) -> None:
    bot = await trader(client)
    query = f"symbol=BTCUSDT&leverage=5&leverage=6&timestamp={now_ms()}"
    text = f"{query}&signature={hmac_hex(bot.key.secret, query)}"
    response = await client.post(
        LEVERAGE, data=text, headers={"X-MBX-APIKEY": bot.key.api_key, **FORM}
    )
    await binance_error(response, 400, -1101)
    assert await leverage_of(bot) == "20"


async def test_margin_type_and_position_mode_answer_as_binance(
    client: TestClient[Any, Any],
) -> None:
    bot = await trader(client)
    assert await bot.json("GET", "/fapi/v1/positionSide/dual") == {"dualSidePosition": False}
    answer = await bot.call("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "false"})
    await binance_error(answer, 400, -4059)
    answer = await bot.call("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})
    await binance_error(answer, 400, -1130)
    params = {"symbol": "BTCUSDT", "marginType": "ISOLATED"}
    body = await binance_error(await bot.call("POST", "/fapi/v1/marginType", params), 400, -4046)
    assert body["msg"] == "No need to change margin type."
    params["marginType"] = "CROSSED"
    await binance_error(await bot.call("POST", "/fapi/v1/marginType", params), 400, -1130)


async def test_a_bad_signature_flood_with_a_known_key_spends_its_own_ips_weight(
    make_client: MakeClient,
) -> None:
    """Request weight counts per IP, as Binance counts it: someone who knows only an API key
    (not its secret) and floods bad signatures reaches 429 alone; the key's owner, calling
    from elsewhere, keeps its weight. It was charged per key, so the owner was locked out."""
    client = await make_client(binance_weight_limit=50, trusted_proxies=("127.0.0.0/8",))
    _, bot, _ = await netting_bot(client)
    forged = bot.signed({}).rsplit("signature=", 1)[0] + "signature=" + "0" * 64
    attacker = {"X-MBX-APIKEY": bot.key.api_key, "X-Forwarded-For": "203.0.113.5"}
    statuses = [
        (await client.get(f"/fapi/v2/account?{forged}", headers=attacker)).status for _ in range(12)
    ]  # weight 5 each: 10 refused -1022, then 429
    assert statuses == [400] * 10 + [429] * 2
    owner = await bot.call("GET", "/fapi/v2/balance", headers={"X-Forwarded-For": "198.51.100.7"})
    assert owner.status == 200, await owner.json()
    assert owner.headers["X-MBX-USED-WEIGHT-1M"] == "5"
