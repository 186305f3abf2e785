"""The OpenAPI 3.1 document of every route (``GET /api/openapi.json``).

Written by hand next to the routes and kept true by ``tests/web/test_openapi.py``: every
route in the router is documented here and every documented operation exists.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from velox.web.auth.oauth.registry import SLUGS
from velox.web.errors import STATUS
from velox.web.keys import SETTINGS
from velox.web.openapi_schemas import SCHEMAS, Schema, ref

Op = dict[str, Any]
COOKIE_OR_BEARER: list[dict[str, list[str]]] = [{"cookie": []}, {"bearer": []}]
ORDER_ID = {
    "name": "orderId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^\d{1,20}$"},
}
PROVIDER = {
    "name": "provider",
    "in": "path",
    "required": True,
    "schema": {"enum": list(SLUGS)},
}


def _json(schema: Schema) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def op(
    name: str,
    summary: str,
    ok: dict[int, Schema | None],
    errors: tuple[str, ...] = (),
    *,
    body: str | None = None,
    body_required: bool = True,
    auth: bool = False,
    params: list[Schema] | None = None,
    tag: str = "orders",
) -> Op:
    """One operation: success bodies by status, then the error codes it can answer."""
    responses: dict[str, Any] = {}
    for status, schema in ok.items():
        responses[str(status)] = {"description": summary}
        if schema is not None:
            responses[str(status)].update(_json(schema))
    by_status: dict[int, list[str]] = {}
    for code in (*errors, "INTERNAL"):
        by_status.setdefault(STATUS[code], []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {"description": " or ".join(codes), **_json(ref("Error"))}
    operation: Op = {"operationId": name, "summary": summary, "tags": [tag]}
    operation["responses"] = responses
    if body is not None:
        operation["requestBody"] = {"required": body_required, **_json(ref(body))}
    if auth:
        operation["security"] = COOKIE_OR_BEARER
    if params:
        operation["parameters"] = params
    return operation


def _query(name: str, schema: Schema, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "schema": schema}


BODY = ("INVALID_JSON", "VALIDATION_ERROR", "BODY_TOO_LARGE")
TRADE = (*BODY, "UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "ENGINE_NOT_READY")
ON_ORDER = (*TRADE, "NOT_FOUND", "ORDER_CLOSED")
AUTH = (*BODY, "RATE_LIMITED")

PATHS: dict[str, dict[str, Op]] = {
    "/api/v1/user/signup": {"post": op(
        "signup", "Create an account and sign in", {201: ref("Session")},
        (*AUTH, "EMAIL_TAKEN", "ENGINE_NOT_READY"), body="SignupRequest", tag="user")},
    "/api/v1/user/signin": {"post": op(
        "signin", "Sign in with email and password", {200: ref("Session")},
        (*AUTH, "INVALID_CREDENTIALS"), body="SigninRequest", tag="user")},
    "/api/v1/user/signout": {"post": op(
        "signout", "Revoke the session and clear the cookie", {204: None}, ("FORBIDDEN",),
        tag="user")},
    "/api/v1/user/me": {"get": op(
        "me", "The signed-in user", {200: ref("UserEnvelope")}, ("UNAUTHORIZED",), auth=True,
        tag="user")},
    "/api/v1/user/magic-link": {"post": op(
        "magic_link", "Mail a one-time sign-in link (always 202 for a valid email)",
        {202: ref("Accepted")}, AUTH, body="MagicLinkRequest", tag="user")},
    "/api/v1/user/auth/verify": {"get": op(
        "verify", "Spend a magic link: sets the cookie and redirects to /trade "
        "(an invalid link redirects to /signin?tab=magic&error=invalid_link)", {302: None},
        params=[_query("token", {"type": "string"}, True)], tag="user")},
    "/api/v1/user/auth/{provider}": {"get": op(
        "oauth_start", "Sign in with a configured identity provider (the /signin buttons): "
        "redirects to it (404 if not configured, 403 if another site sent the browser)",
        {302: None}, ("FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"), params=[PROVIDER],
        tag="user")},
    "/api/v1/user/auth/{provider}/callback": {"get": op(
        "oauth_callback", "Where the provider sends the browser back: sets the cookie and "
        "redirects to /trade (a refusal redirects to /signin?error=oauth_...&provider=...)",
        {302: None}, ("NOT_FOUND",), params=[PROVIDER, _query("state", {"type": "string"}),
        _query("code", {"type": "string"}), _query("error", {"type": "string"})],
        tag="user")},
    "/api/v1/user/ws-ticket": {"get": op(
        "ws_ticket", "A one-time websocket ticket valid for 30 s", {200: ref("Ticket")},
        ("UNAUTHORIZED",), auth=True, tag="user")},
    "/api/v1/order/open": {"post": op(
        "order_open", "Open a position", {201: ref("Order")},
        (*TRADE, "UNKNOWN_ASSET", "INSUFFICIENT_BALANCE", "MARGIN_TOO_SMALL",
         "INVALID_STOP_LOSS", "INVALID_TAKE_PROFIT", "SLIPPAGE_EXCEEDED", "TOO_MANY_POSITIONS",
         "PRICE_STALE"), body="OpenRequest", auth=True)},
    "/api/v1/order/close/{orderId}": {"post": op(
        "order_close", "Close a position, or percent of it ({order, closed})",
        {200: {"oneOf": [ref("Order"), ref("PartialClose")]}}, (*ON_ORDER, "PRICE_STALE"),
        body="CloseRequest", body_required=False, auth=True, params=[ORDER_ID])},
    "/api/v1/order/{orderId}/margin": {"post": op(
        "order_margin", "Add margin to an open position", {200: ref("Order")},
        (*ON_ORDER, "INSUFFICIENT_BALANCE", "PRICE_STALE"), body="MarginRequest", auth=True,
        params=[ORDER_ID])},
    "/api/v1/order/{orderId}": {
        "patch": op(
            "order_modify", "Set or remove (null) stop-loss, take-profit, trailing stop",
            {200: ref("Order")},
            (*ON_ORDER, "INVALID_STOP_LOSS", "INVALID_TAKE_PROFIT", "PRICE_STALE"),
            body="ModifyRequest", auth=True, params=[ORDER_ID]),
        "get": op(
            "order_get", "One of the user's orders, open or closed", {200: ref("Order")},
            ("UNAUTHORIZED", "NOT_FOUND", "ENGINE_NOT_READY"), auth=True, params=[ORDER_ID]),
    },
    "/api/v1/order/user/orders": {"get": op(
        "user_orders", "The user's orders, newest first", {200: ref("Orders")},
        ("VALIDATION_ERROR", "UNAUTHORIZED", "ENGINE_NOT_READY"), auth=True, params=[
            _query("status", {"enum": ["OPEN", "CLOSED"], "default": "OPEN"}),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
        ])},
    "/api/v1/order/user/balance": {"get": op(
        "user_balance", "Account figures", {200: ref("AccountFigures")},
        ("UNAUTHORIZED", "ENGINE_NOT_READY"), auth=True)},
    "/api/v1/assets": {"get": op(
        "assets", "Tradable assets with their current bid and ask", {200: ref("Assets")},
        ("ENGINE_NOT_READY",), tag="market")},
    "/api/v1/candles": {"get": op(
        "candles", "OHLCV candles, oldest first, the unfinished one included",
        {200: ref("Candles")}, ("VALIDATION_ERROR", "UNKNOWN_ASSET"), tag="market", params=[
            _query("asset", {"type": "string"}, True),
            _query("duration", {"enum": ["1s", "30s", "1m", "5m", "15m", "1h", "4h", "1d"],
                                "default": "1m"}),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500}),
            _query("startTime", {"type": "integer", "minimum": 0}),
            _query("endTime", {"type": "integer", "minimum": 0}),
        ])},
    "/healthz": {"get": op(
        "healthz", "Engine state, feed freshness and supervised parts (200 only when READY and "
        "no part is down longer than --max-price-age, else 503 with the same body)",
        {200: ref("Health"), 503: ref("Health")}, tag="ops")},
    "/api/openapi.json": {"get": op(
        "openapi", "This document", {200: ref("OpenApi")}, tag="ops")},
    "/api/v1/admin/ledger": {"get": op(
        "admin_ledger", "The double-entry check (Bearer admin token; 404 when none is set)",
        {200: ref("Ledger")}, ("UNAUTHORIZED", "NOT_FOUND", "ENGINE_NOT_READY"), tag="ops")},
    "/ws": {"get": op(
        "ws", "Websocket upgrade (?ticket=, or the session cookie; none: public data only)",
        {101: None}, ("UNAUTHORIZED",), tag="websocket",
        params=[_query("ticket", {"type": "string"})])},
}  # fmt: skip

DEV_PATHS: dict[str, dict[str, Op]] = {
    "/dev/outbox": {"get": op(
        "dev_outbox", "Mail written to the outbox (only with --dev)", {200: ref("Outbox")},
        tag="ops")},
}  # fmt: skip


def document(app: web.Application) -> dict[str, Any]:
    paths = dict(PATHS)
    if app[SETTINGS].dev:
        paths.update(DEV_PATHS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Velox",
            "version": "1",
            "description": "Leveraged CFD trading. Money, prices and quantities are decimal "
            "strings with 8 decimals; times are integer milliseconds since the epoch.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "cookie": {"type": "apiKey", "in": "cookie", "name": "token"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
