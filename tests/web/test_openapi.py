"""The OpenAPI document stays true: every route documented, every documented route real,
every schema valid, and real responses match their documented schemas."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from tests.web.conftest import MakeClient
from tests.web.helpers import signup, tick
from tests.web.schema import check, check_named, response_schema
from velox.web.openapi_schemas import SCHEMAS


def api_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route but HEAD, static files and the UI's pages."""
    routes = set()
    for route in app.router.routes():
        name = route.resource.name if route.resource is not None else None
        if route.method == "HEAD" or (name and (name.endswith("_page") or name == "static")):
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


def test_schemas_are_valid_json_schema() -> None:
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema), name


async def test_responses_match_their_schemas(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")

    async def call(method: str, path: str, doc_path: str, **kwargs: Any) -> Any:
        response = await user.call(method, path, **kwargs)
        body = await response.json() if response.status != 204 else None
        schema = response_schema(doc_path, method.lower(), response.status)
        if schema is not None:
            check(schema, body)
        return body

    order = await call(
        "POST",
        "/api/v1/order/open",
        "/api/v1/order/open",
        json={
            "asset": "BTCUSDT",
            "side": "SHORT",
            "leverage": 5,
            "margin": 50,
            "stopLoss": "101000",
            "trailingStop": "500",
        },
    )
    oid = order["orderId"]
    await call("POST", "/api/v1/order/open", "/api/v1/order/open", json={"asset": "X"})
    await call(
        "POST",
        "/api/v1/order/open",
        "/api/v1/order/open",
        json={"asset": "BTCUSDT", "side": "LONG", "leverage": 5, "margin": 5000},
    )
    await call(
        "PATCH", f"/api/v1/order/{oid}", "/api/v1/order/{orderId}", json={"takeProfit": "90000"}
    )
    await call(
        "POST",
        f"/api/v1/order/{oid}/margin",
        "/api/v1/order/{orderId}/margin",
        json={"amount": "1.5"},
    )
    await call("GET", f"/api/v1/order/{oid}", "/api/v1/order/{orderId}")
    await call("GET", "/api/v1/order/user/orders", "/api/v1/order/user/orders")
    await call("GET", "/api/v1/order/user/balance", "/api/v1/order/user/balance")
    await call(
        "POST", f"/api/v1/order/close/{oid}", "/api/v1/order/close/{orderId}", json={"percent": 25}
    )
    await call("POST", f"/api/v1/order/close/{oid}", "/api/v1/order/close/{orderId}")
    await call("POST", f"/api/v1/order/close/{oid}", "/api/v1/order/close/{orderId}")
    await call("GET", "/api/v1/order/user/orders?status=CLOSED", "/api/v1/order/user/orders")
    await call("GET", "/api/v1/assets", "/api/v1/assets")
    await call("GET", "/api/v1/candles?asset=BTCUSDT", "/api/v1/candles")
    await call("GET", "/healthz", "/healthz")
    await call("GET", "/api/v1/user/me", "/api/v1/user/me")
    await call("GET", "/api/v1/user/ws-ticket", "/api/v1/user/ws-ticket")
    await call(
        "POST",
        "/api/v1/user/magic-link",
        "/api/v1/user/magic-link",
        json={"email": "m@example.com"},
    )
    await call("POST", "/api/v1/user/signout", "/api/v1/user/signout")
    await call("GET", "/api/v1/user/me", "/api/v1/user/me")
    doc = await (await client.get("/api/openapi.json")).json()
    check_named("OpenApi", doc)
