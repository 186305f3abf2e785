"""The API-key and TradingView webhook routes in the OpenAPI document (``velox.web.apikeys``,
``velox.web.webhooks``).

The Binance-compatible routes (``/fapi/...``, ``/sapi/...``, ``/ws/<stream>``, ``/stream``;
route names starting ``fapi_``) are not in this document: they follow Binance's own
documentation, paths, parameters and errors (README, "Bots (Binance-compatible API)").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from velox.web.openapi_schemas import MS, Schema, obj, ref
from velox.web.webhooks import ALERT_ID_PATTERN, TOKEN_PATTERN

KEY_ID = {
    "name": "keyId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[0-9a-f]{16}$"},
}
NAME: Schema = {"type": "string", "pattern": r"^[^\u0000-\u001f\u007f]{1,64}$"}
PERMISSIONS: Schema = {"enum": [["read"], ["read", "trade"]]}
_KEY_PROPS: dict[str, Schema] = {
    "keyId": {"type": "string"},
    "name": {"type": "string"},
    "accountId": {"type": "string"},
    "permissions": PERMISSIONS,
    "apiKey": {"type": "string", "pattern": "^[A-Za-z0-9]{64}$"},
    "createdAt": MS,
}
_KEY_FIELDS = list(_KEY_PROPS)

SCHEMAS: dict[str, Schema] = {
    "ApiKey": obj(_KEY_FIELDS, _KEY_PROPS),
    "NewApiKey": obj(
        [*_KEY_FIELDS, "secret"],
        {**_KEY_PROPS, "secret": {"type": "string", "pattern": "^[A-Za-z0-9]{64}$"}},
    ),
    "ApiKeys": obj(["apiKeys"], {"apiKeys": {"type": "array", "items": ref("ApiKey")}}),
    "ApiKeyRequest": obj(
        ["name", "accountId", "permissions"],
        {"name": NAME, "accountId": {"type": "string"}, "permissions": PERMISSIONS},
    ),
}


def paths(
    op: Callable[..., dict[str, Any]],
    security: list[dict[str, list[str]]],
    body_errors: tuple[str, ...],
    signed_in: tuple[str, ...],
) -> dict[str, dict[str, dict[str, Any]]]:
    """The three operations, built with ``openapi.op`` (passed in: no import cycle)."""
    return {
        "/api/v1/api-keys": {
            "post": op(
                "api_key_create", "Create an API key for the Binance-compatible API; the "
                "secret is in this reply only", {201: ref("NewApiKey")},
                (*body_errors, "UNAUTHORIZED", "NOT_FOUND", "TOO_MANY_API_KEYS",
                 "HEDGING_KEY_READ_ONLY", "RATE_LIMITED"),
                body="ApiKeyRequest", security=security, tag="api-keys"),
            "get": op(
                "api_key_list", "The user's API keys (never a secret)", {200: ref("ApiKeys")},
                signed_in, security=security, tag="api-keys"),
        },
        "/api/v1/api-keys/{keyId}": {
            "delete": op(
                "api_key_delete", "Revoke an API key: refused at once, its streams closed",
                {204: None}, (*signed_in, "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"),
                security=security, params=[KEY_ID], tag="api-keys"),
        },
    }  # fmt: skip


ACCOUNT = {
    "name": "accountId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": r"^[0-9]{1,20}$"},
}
TOKEN: Schema = {"type": "string", "pattern": TOKEN_PATTERN}
WEBHOOK_SCHEMAS: dict[str, Schema] = {
    "WebhookToken": obj(["accountId", "token", "createdAt"],
                        {"accountId": {"type": "string"}, "token": TOKEN, "createdAt": MS}),
}  # fmt: skip


def webhook_request(open_request: Schema, assets: list[str]) -> Schema:
    """buy / sell: the native OpenRequest (its rules exactly) with ``token`` and ``action``
    in place of ``side``; close: ``token``, ``action`` and ``asset`` only."""
    trade = copy.deepcopy(open_request)
    trade["properties"].pop("side")
    trade["required"] = [r for r in trade["required"] if r != "side"] + ["token", "action"]
    trade["properties"]["token"] = {"type": "string"}
    trade["properties"]["action"] = {"enum": ["buy", "sell"]}
    trade["properties"]["clientOrderId"] = {
        "type": ["string", "null"], "pattern": ALERT_ID_PATTERN,
        "description": "the order's own when it is one (1 to 36 of A-Za-z0-9._:-), else "
        "tv- and 32 hex digits of its SHA-256 (the same alert retried is the same order)",
    }  # fmt: skip
    close = obj(["token", "action", "asset"], {"token": {"type": "string"},
                "action": {"const": "close"}, "asset": {"enum": assets}})  # fmt: skip
    return {"oneOf": [trade, close]}


def webhook_paths(
    op: Callable[..., dict[str, Any]],
    security: list[dict[str, list[str]]],
    signed_in: tuple[str, ...],
    place: tuple[str, ...],
) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "/api/v1/accounts/{accountId}/webhook": {"post": op(
            "account_webhook", "A new TradingView webhook token for the account, shown only "
            "here (the previous one stops working)", {201: ref("WebhookToken")},
            (*signed_in, "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED"), security=security,
            params=[ACCOUNT],
            tag="accounts")},
        "/api/v1/webhooks/tradingview": {"post": op(
            "webhook_tradingview", "A TradingView alert: buy / sell places an order as POST "
            "/api/v1/order/open does (201, or 200 for a repeated clientOrderId or a NETTING "
            "fill); close closes the account's positions on the asset ({orders}). A wrong "
            "token is 401", {200: {"oneOf": [ref("Order"), ref("Orders")]}, 201: ref("Order")},
            tuple(c for c in place if c != "NOT_FOUND"), body="TradingViewRequest",
            security=[{}], tag="webhooks")},
    }  # fmt: skip
