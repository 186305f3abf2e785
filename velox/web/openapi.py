"""The OpenAPI 3.1 document of every route (``GET /api/openapi.json``).

Written by hand next to the routes and kept exactly true (SPEC section 17): every route in
the router is documented and every documented operation exists (``tests/web/test_openapi``),
and schemathesis, every check and phase, finds no request the document and the server judge
differently and no status or body the document does not list (``tests/web/test_schemathesis``).
So each operation lists every error code it can answer, including those the middleware adds
(a body over 1 MiB, a cross-origin state change, an internal error, and a database that
cannot be reached or cannot write: 503 DATABASE_UNAVAILABLE, on every operation but those
that answer 503 with a body of their own, ``/healthz``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from velox.config import Settings
from velox.market.candles import DURATIONS_MS
from velox.web import openapi_apikeys
from velox.web.auth.oauth.registry import SLUGS
from velox.web.errors import STATUS
from velox.web.keys import SETTINGS
from velox.web.openapi_funding import FUNDING_SCHEMAS, funding_paths
from velox.web.openapi_history import HISTORY_SCHEMAS, history_paths
from velox.web.openapi_requests import request_schemas
from velox.web.openapi_schemas import SCHEMAS, Schema, ref
from velox.web.openapi_v2 import (
    ACCOUNT_ID,
    ACCOUNT_PARAMS,
    CLIENT_ID_PARAM,
    ENDED_ORDERS,
    FILLS_LIMIT,
    V2_SCHEMAS,
    figures_schema,
    order_list_params,
    order_schema,
    v2_request_schemas,
    window_params,
)
from velox.web.ws.handshake import HANDSHAKE_HEADERS

Op = dict[str, Any]
COOKIE_OR_BEARER: list[dict[str, list[str]]] = [{"cookie": []}, {"bearer": []}]
ORDER_ID = {
    "name": "orderId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[0-9]{1,20}$"},
}
PROVIDER = {
    "name": "provider",
    "in": "path",
    "required": True,
    "schema": {"enum": list(SLUGS)},
}
MAX_TIME_MS = 10**15  # market.MAX_TIME_MS
HEADERS: dict[int, dict[str, Any]] = {
    429: {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
    302: {"Location": {"required": True, "schema": {"type": "string"}}},
}

ANY = ("BODY_TOO_LARGE",)  # the middleware refuses a declared body over 1 MiB on any route
UNSAFE = (*ANY, "FORBIDDEN")  # ... and a cross-origin state change without a Bearer header
BODY = (*UNSAFE, "UNSUPPORTED_MEDIA_TYPE", "INVALID_JSON", "VALIDATION_ERROR")
SIGNED_IN = (*ANY, "UNAUTHORIZED")
TRADE = (*BODY, "UNAUTHORIZED", "RATE_LIMITED", "ENGINE_NOT_READY", "PRICE_STALE")
ON_ORDER = (*TRADE, "NOT_FOUND", "ORDER_CLOSED", "ORDER_NOT_OPEN")
AUTH = (*BODY, "RATE_LIMITED")


def _json(schema: Schema) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def op(
    name: str,
    summary: str,
    ok: dict[int, Schema | None],
    errors: tuple[str, ...],
    *,
    body: str | None = None,
    body_required: bool = True,
    security: list[dict[str, list[str]]] | None = None,
    params: list[Schema] | None = None,
    tag: str = "orders",
) -> Op:
    """One operation: success bodies by status, then every error code it can answer."""
    responses: dict[str, Any] = {}
    for status, schema in ok.items():
        responses[str(status)] = {"description": summary}
        if schema is not None:
            responses[str(status)].update(_json(schema))
    by_status: dict[int, list[str]] = {}
    added = ("INTERNAL",) if 503 in ok else ("INTERNAL", "DATABASE_UNAVAILABLE")
    for code in (*errors, *added):
        by_status.setdefault(STATUS[code], []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {"description": " or ".join(sorted(set(codes)))}
        responses[str(status)].update(_json(ref("Error")))
    for status, headers in HEADERS.items():
        if str(status) in responses:
            responses[str(status)]["headers"] = headers
    operation: Op = {"operationId": name, "summary": summary, "tags": [tag]}
    operation["responses"] = responses
    if body is not None:
        operation["requestBody"] = {"required": body_required, **_json(ref(body))}
    if security is not None:
        operation["security"] = security
    if params:
        operation["parameters"] = params
    return operation


def _query(name: str, schema: Schema, required: bool = False) -> Schema:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _header(name: str, pattern: str) -> Schema:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": pattern},
    }


def paths(settings: Settings) -> dict[str, dict[str, Op]]:
    assets = {"enum": list(settings.symbols)}
    time_ms = {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS}
    return {
        "/api/v1/user/signup": {"post": op(
            "signup", "Create an account and sign in", {201: ref("Session")},
            (*AUTH, "EMAIL_TAKEN", "ENGINE_NOT_READY"), body="SignupRequest", tag="user")},
        "/api/v1/user/signin": {"post": op(
            "signin", "Sign in with email and password", {200: ref("Session")},
            (*AUTH, "INVALID_CREDENTIALS"), body="SigninRequest", tag="user")},
        "/api/v1/user/signout": {"post": op(
            "signout", "Revoke the presented session, if any, and clear the cookie",
            {204: None}, UNSAFE, tag="user")},
        "/api/v1/user/signout-all": {"post": op(
            "signout_all", "Sign out everywhere: every session of the user issued so far, this "
            "one too, stops working at once (requests 401, websocket tickets refused, open "
            "sockets closed) and the cookie is cleared. API keys and the webhook token are not "
            "revoked: list and revoke them on the account page (/api/v1/api-keys, "
            "/api/v1/accounts/{accountId}/webhook)",
            {204: None}, (*UNSAFE, "UNAUTHORIZED"), security=COOKIE_OR_BEARER, tag="user")},
        "/api/v1/user/password": {"post": op(
            "change_password", "Change the password (the current one is required), or set a "
            "first one (a user without one, within 10 minutes of signing in by link or "
            "provider: else 403 REAUTH_REQUIRED). Every session issued so far ends, on every "
            "gateway; this client gets a new one, as a sign-in does. API keys and webhook "
            "tokens stay",
            {200: ref("Session")}, (*AUTH, "UNAUTHORIZED", "WRONG_PASSWORD", "REAUTH_REQUIRED"),
            body="PasswordRequest", security=COOKIE_OR_BEARER, tag="user")},
        "/api/v1/user/me": {"get": op(
            "me", "The signed-in user", {200: ref("UserEnvelope")}, SIGNED_IN,
            security=COOKIE_OR_BEARER, tag="user")},
        "/api/v1/user/magic-link": {"post": op(
            "magic_link", "Mail a one-time sign-in link (always 202 for a valid email)",
            {202: ref("Accepted")}, AUTH, body="MagicLinkRequest", tag="user")},
        "/api/v1/user/auth/verify": {"get": op(
            "verify", "Spend a magic link: sets the cookie and redirects to /trade; a missing, "
            "invalid, used or expired link redirects to /signin?tab=magic&error=invalid_link; "
            "a new user while the engine cannot open their account, to /signin?error=unavailable."
            " Only when Sec-Fetch-Site is none or same-origin: otherwise it spends nothing and "
            "redirects to /signin/verify, a page that asks first (POST below)",
            {302: None}, (*ANY, "RATE_LIMITED"),
            params=[_query("token", {"type": "string"})], tag="user"), "post": op(
            "verify_confirmed", "Spend a magic link from /signin/verify: the cookie when signed "
            "in, and where to go next (/trade, or the /signin page that says why not)",
            {200: ref("Location")}, AUTH, body="VerifyRequest", tag="user")},
        "/api/v1/user/auth/{provider}": {"get": op(
            "oauth_start", "Sign in with a configured identity provider (the /signin buttons): "
            "redirects to it (404 if not configured, 403 if another site sent the browser)",
            {302: None}, (*ANY, "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"), params=[PROVIDER],
            tag="user")},
        "/api/v1/user/auth/{provider}/callback": {"get": op(
            "oauth_callback", "Where the provider sends the browser back: sets the cookie and "
            "redirects to /trade (a refusal redirects to /signin?error=oauth_...&provider=..., "
            "and a new user while the engine cannot open their account to "
            "/signin?error=unavailable)",
            {302: None}, (*ANY, "NOT_FOUND"), params=[PROVIDER, _query("state", {"type": "string"}),
            _query("code", {"type": "string"}), _query("error", {"type": "string"})],
            tag="user")},
        "/api/v1/user/ws-ticket": {"get": op(
            "ws_ticket", "A one-time websocket ticket valid for 30 s", {200: ref("Ticket")},
            SIGNED_IN, security=COOKIE_OR_BEARER, tag="user")},
        "/api/v1/assets": {"get": op(
            "assets", "Tradable assets with their current bid and ask", {200: ref("Assets")},
            (*ANY, "RATE_LIMITED", "ENGINE_NOT_READY"), tag="market")},
        "/api/v1/candles": {"get": op(
            "candles", "OHLCV candles, oldest first, the unfinished one included (none when "
            "startTime is after endTime)", {200: ref("Candles")},
            (*ANY, "VALIDATION_ERROR", "UNKNOWN_ASSET", "RATE_LIMITED"), tag="market", params=[
                _query("asset", assets, True),
                _query("duration", {"enum": list(DURATIONS_MS), "default": "1m"}),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                                 "default": 500}),
                _query("startTime", time_ms),
                _query("endTime", time_ms),
            ])},
        "/healthz": {"get": op(
            "healthz", "Engine state, feed freshness and supervised parts (200 only when READY "
            "and no part is down longer than --max-price-age, else 503 with the same body)",
            {200: ref("Health"), 503: ref("Health")}, ANY, tag="ops")},
        "/api/openapi.json": {"get": op(
            "openapi", "This document", {200: ref("OpenApi")}, ANY, tag="ops")},
        "/api/v1/admin/ledger": {"get": op(
            "admin_ledger", "The double-entry check (404 when no --admin-token is set)",
            {200: ref("Ledger")}, (*SIGNED_IN, "NOT_FOUND", "ENGINE_NOT_READY"),
            security=[{"admin": []}], tag="ops")},
        "/ws": {"get": op(
            "ws", "Websocket upgrade: ?ticket=, else the session cookie or a Bearer header; "
            "none at all: public data only. A signed-in socket follows its user's first account "
            "until it sends {\"op\":\"account\",\"accountId\":...} (README, websocket). "
            "A client may send 10 messages a second, in bursts of 20: one over that is answered "
            "RATE_LIMITED unread, and 20 of those in a row close the socket (1008)",
            {101: None},
            (*SIGNED_IN, "VALIDATION_ERROR", "FORBIDDEN", "RATE_LIMITED"), tag="websocket",
            security=[{}, *COOKIE_OR_BEARER],
            params=[
                _query("ticket", {"type": "string"}),
                *(_header(name, pattern) for name, pattern in HANDSHAKE_HEADERS.items()),
            ])},
    }  # fmt: skip


# Engine v2 (SPEC 12/13). A native request acts on the account of X-Velox-Account / ?account=
# (another user's: 404); the state-dependent refusals are the engine's 409 / 422.
MINE = (*SIGNED_IN, "NOT_FOUND", "ENGINE_NOT_READY")
PLACE = (
    *TRADE,
    "NOT_FOUND",
    "UNKNOWN_ASSET",
    "INSUFFICIENT_BALANCE",
    "MARGIN_TOO_SMALL",
    "INVALID_STOP_LOSS",
    "INVALID_TAKE_PROFIT",
    "SLIPPAGE_EXCEEDED",
    "TOO_MANY_POSITIONS",
    "WOULD_TRIGGER_IMMEDIATELY",
    "LEVERAGE_MISMATCH",
    "REDUCE_ONLY_REJECTED",
)
PENDING_CHANGE = (
    *ON_ORDER,
    "ORDER_NOT_PENDING",
    "INVALID_STOP_LOSS",
    "INVALID_TAKE_PROFIT",
    "INSUFFICIENT_BALANCE",
    "WOULD_TRIGGER_IMMEDIATELY",
)


def v2_paths(settings: Settings) -> dict[str, dict[str, Op]]:
    on = [ORDER_ID, *ACCOUNT_PARAMS]
    account_ops = (*UNSAFE, "UNAUTHORIZED", "RATE_LIMITED", "ENGINE_NOT_READY")
    return {
        "/api/v1/order/open": {"post": op(
            "order_open", "Place an order: MARKET (201 a position, 200 a NETTING fill into an "
            "existing one), LIMIT / STOP (201 PENDING); a repeated clientOrderId answers the "
            "first order with 200", {200: ref("Order"), 201: ref("Order")}, PLACE,
            body="OpenRequest", security=COOKIE_OR_BEARER, params=ACCOUNT_PARAMS)},
        "/api/v1/order/oco": {"post": op(
            "order_oco", "Two pending orders on one asset sharing an ocoGroupId: when one fills "
            "or is cancelled the other is CANCELLED (OCO); repeated with both clientOrderIds, "
            "the two orders it placed with 200", {200: ref("Orders"), 201: ref("Orders")}, PLACE,
            body="OcoRequest", security=COOKIE_OR_BEARER, params=ACCOUNT_PARAMS)},
        "/api/v1/order/close/{orderId}": {"post": op(
            "order_close", "Close a position, or percent of it ({order, closed}); 409 "
            "ORDER_NOT_OPEN for a pending (or cancelled, expired...) order",
            {200: {"oneOf": [ref("Order"), ref("PartialClose")]}}, ON_ORDER,
            body="CloseRequest", body_required=False, security=COOKIE_OR_BEARER, params=on)},
        "/api/v1/order/{orderId}/margin": {"post": op(
            "order_margin", "Add margin to an open position (409 ORDER_NOT_OPEN for a pending "
            "or otherwise not open order)", {200: ref("Order")},
            (*ON_ORDER, "INSUFFICIENT_BALANCE"), body="MarginRequest",
            security=COOKIE_OR_BEARER, params=on)},
        "/api/v1/order/{orderId}": {
            "patch": op(
                "order_modify", "A position's stops (null removes); a pending order's price, "
                "stops and expiresAt (409 ORDER_NOT_PENDING for price or expiresAt on anything "
                "else)", {200: ref("Order")}, PENDING_CHANGE, body="ModifyRequest",
                security=COOKIE_OR_BEARER, params=on),
            "get": op(
                "order_get", "One of the user's orders, whatever its status", {200: ref("Order")},
                MINE, security=COOKIE_OR_BEARER, params=[ORDER_ID]),
            "delete": op(
                "order_cancel", "Cancel a pending order (its OCO partner too); 409 "
                "ORDER_NOT_PENDING for anything else", {200: ref("Order")},
                (*UNSAFE, "UNAUTHORIZED", "RATE_LIMITED", "ENGINE_NOT_READY", "NOT_FOUND",
                 "ORDER_NOT_PENDING"), security=COOKIE_OR_BEARER, params=on),
        },
        "/api/v1/order/by-client-id/{clientOrderId}": {"get": op(
            "order_by_client_id", "The account's order with this clientOrderId",
            {200: ref("Order")}, MINE, security=COOKIE_OR_BEARER,
            params=[CLIENT_ID_PARAM, *ACCOUNT_PARAMS])},
        "/api/v1/order/user/orders": {"get": op(
            "user_orders", "The account's orders of one status, newest first: OPEN by "
            f"openedAt, PENDING by createdAt, the ended ones ({ENDED_ORDERS}) by closedAt",
            {200: ref("Orders")}, (*MINE, "VALIDATION_ERROR", "UNKNOWN_ASSET"),
            security=COOKIE_OR_BEARER, params=order_list_params(settings.symbols))},
        "/api/v1/order/user/fills": {"get": op(
            "user_fills", "The account's fills, newest first", {200: ref("Fills")},
            (*MINE, "VALIDATION_ERROR", "UNKNOWN_ASSET"), security=COOKIE_OR_BEARER,
            params=[
                *window_params(settings.symbols, "fills", "time"),
                _query("limit", FILLS_LIMIT),
                *ACCOUNT_PARAMS,
            ])},
        "/api/v1/order/user/balance": {"get": op(
            "user_balance", "Account figures", {200: ref("AccountFigures")}, MINE,
            security=COOKIE_OR_BEARER, params=ACCOUNT_PARAMS)},
        "/api/v1/accounts": {
            "get": op(
                "accounts", "The user's accounts, the first (made at signup) first",
                {200: ref("Accounts")}, (*SIGNED_IN, "ENGINE_NOT_READY"),
                security=COOKIE_OR_BEARER, tag="accounts"),
            "post": op(
                "account_create", "A new account with --initial-balance (at most "
                "--max-accounts)", {201: ref("Account")}, (*BODY, *account_ops,
                "TOO_MANY_ACCOUNTS"), body="AccountRequest", security=COOKIE_OR_BEARER,
                tag="accounts"),
        },
        "/api/v1/accounts/{accountId}": {"patch": op(
            "account_rename", "Rename an account", {200: ref("Account")},
            (*BODY, *account_ops, "NOT_FOUND"), body="RenameRequest",
            security=COOKIE_OR_BEARER, params=[ACCOUNT_ID], tag="accounts")},
        "/api/v1/accounts/{accountId}/reset": {"post": op(
            "account_reset", "Cancel pending orders, close positions at the current quotes, "
            "and set the balance back to --initial-balance", {200: ref("Account")},
            (*account_ops, "NOT_FOUND", "PRICE_STALE"), security=COOKIE_OR_BEARER,
            params=[ACCOUNT_ID], tag="accounts")},
    }  # fmt: skip


DEV_PATHS: dict[str, dict[str, Op]] = {
    "/dev/outbox": {"get": op(
        "dev_outbox", "Mail written to the outbox (only with --dev; clients on this machine "
        "only)", {200: ref("Outbox")}, (*ANY, "FORBIDDEN"), tag="ops")},
}  # fmt: skip


def document_for(settings: Settings) -> dict[str, Any]:
    all_paths = {**paths(settings), **v2_paths(settings)}
    all_paths.update(history_paths(settings, op, _query, SIGNED_IN, COOKIE_OR_BEARER))
    all_paths.update(funding_paths(settings, op, _query, MINE, COOKIE_OR_BEARER))
    all_paths.update(openapi_apikeys.paths(op, COOKIE_OR_BEARER, BODY, SIGNED_IN))
    all_paths.update(openapi_apikeys.webhook_paths(op, COOKIE_OR_BEARER, SIGNED_IN, PLACE))
    if settings.dev:
        all_paths.update(DEV_PATHS)
    v1_requests = request_schemas(settings.symbols, settings.max_leverage)
    schemas = {
        **SCHEMAS,
        **V2_SCHEMAS,
        **v1_requests,
        **v2_request_schemas(v1_requests, settings.symbols),
        "Order": order_schema(SCHEMAS["Order"]),
        "AccountFigures": figures_schema(SCHEMAS["AccountFigures"]),
    }
    schemas.update(HISTORY_SCHEMAS)
    schemas.update(FUNDING_SCHEMAS)
    # a closed position in the history carries SPEC 12's fields like any order
    schemas["HistoryPosition"] = order_schema(HISTORY_SCHEMAS["HistoryPosition"])
    schemas.update(openapi_apikeys.SCHEMAS)
    schemas.update(openapi_apikeys.WEBHOOK_SCHEMAS)
    schemas["TradingViewRequest"] = openapi_apikeys.webhook_request(
        schemas["OpenRequest"], list(settings.symbols)
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Velox",
            "version": "1",
            "description": "Leveraged CFD trading. Money, prices and quantities are decimal "
            "strings with 8 decimals; times are integer milliseconds since the epoch. Request "
            "bodies are application/json (else 415).",
        },
        "paths": all_paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "cookie": {"type": "apiKey", "in": "cookie", "name": "token"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "admin": {"type": "http", "scheme": "bearer", "description": "--admin-token"},
            },
        },
    }


def document(app: web.Application) -> dict[str, Any]:
    return document_for(app[SETTINGS])
