"""Hypothesis-generated bodies against every POST/PATCH route: never a 5xx (but the 503s the
spec defines), every error in the documented shape, and the books always balance."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.helpers import JSON, User, signup, tick
from tests.web.schema import check_named
from velox.engine.views import ledger
from velox.web.keys import SERVICE

FIELDS = [
    "asset",
    "side",
    "leverage",
    "margin",
    "qty",
    "stopLoss",
    "takeProfit",
    "trailingStop",
    "expectedPrice",
    "slippageBps",
    "percent",
    "amount",
    "email",
    "password",
    "phone",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from(
        [
            "BTCUSDT",
            "LONG",
            "SHORT",
            "1e5",
            "NaN",
            "-0",
            "0.000000001",
            "",
            "a@b.co",
            "x" * 300,
            "100",
            "99950",
            "1.5",
        ]
    ),
    st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
bodies = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    st.fixed_dictionaries(
        {
            "asset": st.sampled_from(["BTCUSDT", "ETHUSDT", "DOGE"]),
            "side": st.sampled_from(["LONG", "SHORT", "long"]),
            "leverage": st.integers(-2, 120) | st.floats(0, 100),
            "margin": st.decimals(min_value=-10, max_value=2000, places=9).map(str),
        },
        optional={
            "stopLoss": scalars,
            "takeProfit": scalars,
            "trailingStop": scalars,
            "expectedPrice": scalars,
            "slippageBps": scalars,
        },
    ),
    values,
)
raw = st.binary(max_size=64)
ROUTES = [
    ("POST", "/api/v1/order/open"),
    ("POST", "/api/v1/order/close/{oid}"),
    ("POST", "/api/v1/order/{oid}/margin"),
    ("PATCH", "/api/v1/order/{oid}"),
    ("POST", "/api/v1/user/signup"),
    ("POST", "/api/v1/user/signin"),
    ("POST", "/api/v1/user/magic-link"),
    ("POST", "/api/v1/user/signout"),
]


def _encode(body: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        raise TypeError

    try:
        return orjson.dumps(body, default=default, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits: the stdlib writes them exactly
        import json

        return json.dumps(body, default=str).encode()


async def _check(user: User, method: str, path: str, data: bytes) -> None:
    if path.endswith("signout"):  # without the session: signing out would end the fuzzing
        response = await user.client.request(method, path, data=data, headers=JSON)
    else:
        response = await user.call(method, path, data=data, headers=JSON)
    if response.status == 204:
        return
    body = await response.json()
    assert response.status < 500 or (
        response.status == 503 and body["error"]["code"] == "PRICE_STALE"
    ), (path, data, body)
    if response.status >= 400:
        check_named("Error", body)
    elif "order" in path:
        check_named("PartialClose" if "closed" in body else "Order", body)


@pytest.fixture
async def trader(client: TestClient[Any, Any]) -> tuple[User, str]:
    """One user with one open order, shared by all examples (prices set once)."""
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")
    await tick(client, "ETHUSDT", "3000")
    oid = (await user.open(asset="BTCUSDT", side="LONG", leverage=2, margin="10"))["orderId"]
    return user, oid


@settings(
    max_examples=int(os.environ.get("VELOX_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(ROUTES), body=bodies, junk=raw, use_junk=st.booleans())
async def test_fuzz_bodies(
    trader: tuple[User, str], route: tuple[str, str], body: Any, junk: bytes, use_junk: bool
) -> None:
    user, oid = trader
    service = user.client.app[SERVICE]
    method, path = route
    data = junk if use_junk else _encode(body)
    await _check(user, method, path.format(oid=oid), data)
    books = await service.read(ledger)
    assert books["conserved"], books
