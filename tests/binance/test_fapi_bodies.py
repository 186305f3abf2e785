"""/fapi counts a request's weight before it reads the body, and reads no large body.

Every /fapi route decoded the whole form body (up to 1 MiB, ~100 ms of the one event loop)
before it charged the per-IP weight or looked at the key: twelve anonymous connections took
a user's order from 3 ms to 4 s, and not one of their requests was counted (an outside
review). The weight now comes first, and a body over ``MAX_FORM`` is refused unread with
Binance's -1100; the longest request Binance takes (a batch of five orders) still fits.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from tests.binance.helpers import FORM, Bot, binance_error, make_key, new_account
from tests.web.conftest import MakeClient
from tests.web.helpers import signup, tick
from velox.binance.endpoint import MAX_FORM, WEIGHT_HEADER
from velox.binance.params import LONG_VALUES

LISTEN_KEY = "/fapi/v1/listenKey"  # weight 1, an API key and no signature
REVIEW_BODY = b"a=" + b"%41" * 349_000  # the review's: 1 MiB, percent-encoded


def test_the_longest_value_fits_percent_encoded() -> None:
    assert 3 * max(LONG_VALUES.values()) + 1024 < MAX_FORM


async def test_a_large_body_is_counted_and_refused_unread(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=3)
    for used in ("1", "2", "3"):
        response = await client.post(LISTEN_KEY, data=REVIEW_BODY, headers=FORM)
        body = await binance_error(response, 400, -1100)
        assert f"the body is over {MAX_FORM} bytes" in body["msg"]
        assert response.headers[WEIGHT_HEADER] == used
    response = await client.post(LISTEN_KEY, data=REVIEW_BODY, headers=FORM)
    await binance_error(response, 429, -1003)
    assert response.headers[WEIGHT_HEADER] == "3"


async def test_a_chunked_body_is_read_no_further_than_the_limit(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100)

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(2 * MAX_FORM // 1024):
            yield f"p{i}=".encode() + b"x" * 1000 + b"&"

    response = await client.post(LISTEN_KEY, data=chunks(), headers=FORM)
    body = await binance_error(response, 400, -1100)
    assert f"the body is over {MAX_FORM} bytes" in body["msg"]
    assert response.headers[WEIGHT_HEADER] == "1"


async def test_a_small_bad_request_is_counted_as_before(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100)
    response = await client.post(LISTEN_KEY, data=b"a=1&a=2", headers=FORM)
    await binance_error(response, 400, -1101)  # a parameter sent twice
    assert response.headers[WEIGHT_HEADER] == "1"
    response = await client.post(LISTEN_KEY, data=b"a=1", headers=FORM)
    await binance_error(response, 401, -2014)  # no key
    assert response.headers[WEIGHT_HEADER] == "2"


async def test_the_longest_batch_is_still_read(make_client: MakeClient) -> None:
    """Five orders padded to the longest ``batchOrders`` Velox takes, every padding byte
    percent-encoded (``%0A``): a body of over 23 KiB, placed as any batch is."""
    client = await make_client(binance_weight_limit=100_000)
    user = await signup(client)
    bot = Bot(client, await make_key(user, ["read", "trade"], account_id=await new_account(user)))
    await tick(client, "BTCUSDT", "100000")
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01",
             "price": "90000", "timeInForce": "GTC"}  # fmt: skip
    batch = json.dumps([order] * 5)
    batch += "\n" * (LONG_VALUES["batchOrders"] - len(batch))  # JSON whitespace
    response = await bot.call("POST", "/fapi/v1/batchOrders", {"batchOrders": batch})
    answers: list[dict[str, Any]] = await response.json()
    assert response.status == 200, answers
    assert [a["status"] for a in answers] == ["NEW"] * 5
    sent = len(bot.signed({"batchOrders": batch}))
    assert 20 * 1024 < sent < MAX_FORM


async def test_a_query_the_weight_cannot_be_read_from_is_counted_too(
    make_client: MakeClient,
) -> None:
    """A depth ``limit`` Binance does not take (7) is refused by the weight function itself:
    it is counted as the request without parameters (depth's default limit: 10) before
    its -1100, so a flood of them meets 429 like any other (a diff review found them never
    counted)."""
    client = await make_client(binance_weight_limit=25)
    answers = [await client.get("/fapi/v1/depth?symbol=BTCUSDT&limit=7") for _ in range(3)]
    assert [a.status for a in answers] == [400, 400, 429]
    assert [a.headers.get(WEIGHT_HEADER) for a in answers] == ["10", "20", "20"]
