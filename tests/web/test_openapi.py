"""The OpenAPI document stays true: every route documented, every documented route real,
every schema valid, real responses have the expected, documented status and match their
schemas, and the document's patterns accept exactly what the validators accept.
(schemathesis, in test_schemathesis.py, checks the whole document against the server.)"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.web.conftest import MakeClient
from tests.web.helpers import signup, tick
from tests.web.schema import DOCUMENT, check, check_named, response_schema
from velox.web.errors import ApiError
from velox.web.openapi import document
from velox.web.openapi_requests import MONEY_STRING_MAX, POSITIVE_DECIMAL
from velox.web.validate import email, money, phone


def api_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route but HEAD, static files and the UI's pages."""
    routes = set()
    for route in app.router.routes():
        name = route.resource.name if route.resource is not None else None
        # The Binance-compatible API (names "fapi_...") follows Binance's documentation.
        binance = bool(name and name.startswith("fapi_"))
        if (
            route.method == "HEAD"
            or binance
            or (name and (name.endswith("_page") or name == "static"))
        ):
            continue
        assert route.resource is not None
        routes.add((route.method.lower(), route.resource.canonical))
    return routes


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, ops in doc["paths"].items() for method in ops}


async def test_every_route_is_documented(make_client: MakeClient) -> None:
    for dev in (False, True):
        client = await make_client(dev=dev)
        response = await client.get("/api/openapi.json")
        doc = await response.json()
        assert doc["openapi"].startswith("3.1")
        assert api_routes(client.app) == documented(doc)
        names = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
        assert len(names) == len(documented(doc))
        await client.close()


@pytest.mark.parametrize("name", sorted(DOCUMENT["components"]["schemas"]))
def test_schemas_are_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(DOCUMENT["components"]["schemas"][name])


def test_parameter_schemas_are_valid_json_schema() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", ()):
                assert parameter["in"] in ("path", "query", "header"), (path, method)
                Draft202012Validator.check_schema(parameter["schema"])


async def test_responses_match_their_schemas(client: TestClient[Any, Any]) -> None:
    """Every call's status is the expected one, documented, and its body matches."""
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")

    async def call(method: str, path: str, doc_path: str, status: int, **kwargs: Any) -> Any:
        response = await user.call(method, path, **kwargs)
        body = await response.json() if response.status not in (204, 302) else None
        assert response.status == status, (method, path, body)
        schema = response_schema(doc_path, method.lower(), response.status)
        if schema is not None:
            check(schema, body)
        return body

    opened = {"asset": "BTCUSDT", "side": "SHORT", "leverage": 5, "margin": 50}
    order = await call(
        "POST",
        "/api/v1/order/open",
        "/api/v1/order/open",
        201,
        json={**opened, "stopLoss": "101000", "trailingStop": "500"},
    )
    oid = order["orderId"]
    await call("POST", "/api/v1/order/open", "/api/v1/order/open", 400, json={"asset": "X"})
    await call(
        "POST", "/api/v1/order/open", "/api/v1/order/open", 422, json={**opened, "margin": 5000}
    )
    await call("POST", "/api/v1/order/open", "/api/v1/order/open", 415, data=b"{}")
    await call(
        "PATCH",
        f"/api/v1/order/{oid}",
        "/api/v1/order/{orderId}",
        200,
        json={"takeProfit": "90000"},
    )
    await call(
        "POST",
        f"/api/v1/order/{oid}/margin",
        "/api/v1/order/{orderId}/margin",
        200,
        json={"amount": "1.5"},
    )
    await call("GET", f"/api/v1/order/{oid}", "/api/v1/order/{orderId}", 200)
    await call("GET", "/api/v1/order/999", "/api/v1/order/{orderId}", 404)
    await call("GET", "/api/v1/order/user/orders", "/api/v1/order/user/orders", 200)
    await call("GET", "/api/v1/order/user/balance", "/api/v1/order/user/balance", 200)
    close_path = "/api/v1/order/close/{orderId}"
    partial = await call(
        "POST", f"/api/v1/order/close/{oid}", close_path, 200, json={"percent": 25}
    )
    assert set(partial) == {"order", "closed"}
    closed = await call("POST", f"/api/v1/order/close/{oid}", close_path, 200)
    assert closed["status"] == "CLOSED"
    await call("POST", f"/api/v1/order/close/{oid}", close_path, 409)
    history = "/api/v1/order/user/orders?status=CLOSED"
    assert len((await call("GET", history, "/api/v1/order/user/orders", 200))["orders"]) == 2
    await call("GET", "/api/v1/assets", "/api/v1/assets", 200)
    await call("GET", "/api/v1/candles?asset=BTCUSDT", "/api/v1/candles", 200)
    await call("GET", "/api/v1/candles?asset=DOGE", "/api/v1/candles", 400)
    await call("GET", "/healthz", "/healthz", 200)
    await call("GET", "/api/v1/user/me", "/api/v1/user/me", 200)
    await call("GET", "/api/v1/user/ws-ticket", "/api/v1/user/ws-ticket", 200)
    await call("GET", "/ws", "/ws", 400)  # not a websocket handshake
    magic = {"email": "m@example.com"}
    await call("POST", "/api/v1/user/magic-link", "/api/v1/user/magic-link", 202, json=magic)
    await call(
        "GET",
        "/api/v1/user/auth/verify?token=nope",
        "/api/v1/user/auth/verify",
        302,
        allow_redirects=False,
    )
    await call("POST", "/api/v1/user/signout-all", "/api/v1/user/signout-all", 204)
    await call("GET", "/api/v1/user/me", "/api/v1/user/me", 401)
    await call("POST", "/api/v1/user/signout-all", "/api/v1/user/signout-all", 401)
    await call("POST", "/api/v1/user/signout", "/api/v1/user/signout", 204)
    await call("GET", "/api/v1/user/me", "/api/v1/user/me", 401)
    doc = await (await client.get("/api/openapi.json")).json()
    check_named("OpenApi", doc)
    assert doc == document(client.app)


def ecma_valid(schema: dict[str, Any], value: Any) -> bool:
    """JSON Schema reads patterns as ECMA-262 regexes, as schemathesis's validator does
    (jsonschema_rs); the Python jsonschema's ``re`` lets ``$`` match before a final newline."""
    return bool(jsonschema_rs.validator_for(schema).is_valid(value))


money_text = st.text(alphabet="0123456789.+- e\u0661", max_size=24) | st.from_regex(
    POSITIVE_DECIMAL, fullmatch=True
)


@settings(max_examples=500)
@given(text=money_text)
def test_money_schema_is_what_the_validator_accepts(text: str) -> None:
    """The document's money string form and validate.money agree on every string."""
    try:
        money(text, "m")
        accepted = True
    except ApiError:
        accepted = False
    schema = {"type": "string", "maxLength": MONEY_STRING_MAX, "pattern": POSITIVE_DECIMAL}
    assert ecma_valid(schema, text) == accepted, text


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("email", "a.b+c@example.co.uk", True),
        ("email", "A@Example.COM", True),
        ("email", " a@example.com", False),
        ("email", "a@example.com\n", False),
        ("email", "a@b", False),
        ("email", "\u00e9@example.com", False),
        ("phone", "+1 (555) 010-0000", True),
        ("phone", "", False),
        ("phone", "555\n", False),
        ("phone", "1" * 33, False),
    ],
)
def test_email_and_phone_schemas_are_what_the_validators_accept(
    name: str, value: str, valid: bool
) -> None:
    schemas = DOCUMENT["components"]["schemas"]["SignupRequest"]["properties"]
    schema = schemas[name] if name == "email" else schemas[name]["oneOf"][0]
    validator = {"email": email, "phone": phone}[name]
    try:
        validator(value)
        accepted = True
    except ApiError:
        accepted = False
    assert accepted == valid
    assert ecma_valid(schema, value) == valid
