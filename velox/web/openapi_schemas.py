"""JSON Schemas of the API's responses (OpenAPI 3.1 uses JSON Schema 2020-12 as is); the
request bodies, which depend on the settings, are in ``openapi_requests.py``."""

from __future__ import annotations

from typing import Any

from velox.web.errors import STATUS

Schema = dict[str, Any]

# ASCII digits ([0-9]): a JSON Schema \d may be read as Unicode digits.
MONEY: Schema = {
    "type": "string",
    "pattern": r"^-?[0-9]+\.[0-9]{8}$",
    "examples": ["92000.50000000"],
}
MS: Schema = {"type": "integer", "description": "milliseconds since the epoch"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def obj(required: list[str], props: dict[str, Schema], *, closed: bool = True) -> Schema:
    schema: Schema = {"type": "object", "required": required, "properties": props}
    if closed:
        schema["additionalProperties"] = False
    return schema


ORDER = obj(
    [
        "orderId",
        "parentOrderId",
        "asset",
        "side",
        "leverage",
        "margin",
        "qty",
        "openPrice",
        "liquidationPrice",
        "stopLoss",
        "takeProfit",
        "trailingStop",
        "status",
        "unrealizedPnl",
        "closePrice",
        "closeReason",
        "pnl",
        "openedAt",
        "closedAt",
    ],
    {
        "orderId": {"type": "string"},
        "parentOrderId": nullable({"type": "string"}),
        "asset": {"type": "string"},
        "side": {"enum": ["LONG", "SHORT"]},
        "leverage": {"type": "integer", "minimum": 1},
        "margin": MONEY,
        "qty": MONEY,
        "openPrice": MONEY,
        "liquidationPrice": MONEY,
        "stopLoss": nullable(MONEY),
        "takeProfit": nullable(MONEY),
        "trailingStop": nullable(MONEY),
        "trailingMark": nullable(MONEY),  # open positions only: see render.open_order
        "status": {"enum": ["OPEN", "CLOSED"]},
        "unrealizedPnl": nullable(MONEY),
        "closePrice": nullable(MONEY),
        "closeReason": nullable(
            {
                "enum": [
                    "MANUAL",
                    "PARTIAL",
                    "STOP_LOSS",
                    "TAKE_PROFIT",
                    "TRAILING_STOP",
                    "LIQUIDATION",
                ]
            }
        ),
        "pnl": nullable(MONEY),
        "openedAt": MS,
        "closedAt": nullable(MS),
    },
)

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        ["error"],
        {
            "error": obj(
                ["code", "message"],
                {
                    "code": {"enum": sorted(STATUS)},
                    "message": {"type": "string"},
                    "field": {"type": "string"},
                    "requestId": {"type": "string"},
                },
            )
        },
    ),
    "Order": ORDER,
    "Orders": obj(["orders"], {"orders": {"type": "array", "items": ref("Order")}}),
    "PartialClose": obj(["order", "closed"], {"order": ref("Order"), "closed": ref("Order")}),
    "AccountFigures": obj(
        ["balance", "usedMargin", "unrealizedPnl", "equity", "freeMargin", "marginLevel"],
        {
            "balance": MONEY,
            "usedMargin": MONEY,
            "unrealizedPnl": MONEY,
            "equity": MONEY,
            "freeMargin": MONEY,
            "marginLevel": nullable({"type": "string", "pattern": r"^\d+\.\d{2}$"}),
        },
    ),
    "User": obj(["id", "email"], {"id": {"type": "string"}, "email": {"type": "string"}}),
    "UserEnvelope": obj(["user"], {"user": ref("User")}),
    "Session": obj(["user", "token"], {"user": ref("User"), "token": {"type": "string"}}),
    "Ticket": obj(["ticket"], {"ticket": {"type": "string"}}),
    "Accepted": obj(["message"], {"message": {"type": "string"}}),
    "Location": obj(["location"], {"location": {"type": "string", "pattern": "^/"}}),
    "Assets": obj(
        ["assets"],
        {
            "assets": {
                "type": "array",
                "items": obj(
                    ["symbol", "bid", "ask", "timestamp"],
                    {
                        "symbol": {"type": "string"},
                        "bid": nullable(MONEY),
                        "ask": nullable(MONEY),
                        "timestamp": nullable(MS),
                    },
                ),
            }
        },
    ),
    "Candles": obj(
        ["candles"],
        {
            "candles": {
                "type": "array",
                "items": obj(
                    ["time", "open", "high", "low", "close", "volume"],
                    {
                        "time": MS,
                        "open": MONEY,
                        "high": MONEY,
                        "low": MONEY,
                        "close": MONEY,
                        "volume": MONEY,
                    },
                ),
            }
        },
    ),
    "Health": obj(
        ["engine", "feed", "parts"],
        {
            "engine": {"enum": ["STARTING", "REPLAYING", "READY", "SHUTDOWN"]},
            "feed": obj(
                ["name", "simulated", "lastTickAgeMs"],
                {
                    "name": {"type": "string"},
                    "simulated": {"type": "boolean"},
                    "lastTickAgeMs": {
                        "type": "object",
                        "additionalProperties": {"type": "integer", "minimum": 0},
                    },
                },
            ),
            "parts": {
                "type": "object",
                "additionalProperties": obj(
                    ["state", "downMs", "restarts", "error"],
                    {
                        "state": {"enum": ["up", "down", "recovering"]},
                        "downMs": {"type": "integer", "minimum": 0},
                        "restarts": {"type": "integer", "minimum": 0},
                        "error": {"type": ["string", "null"]},
                    },
                ),
            },
        },
    ),
    "Ledger": obj(
        ["deposits", "balances", "lockedMargin", "pendingMargin", "house", "conserved"],
        {
            "deposits": MONEY,
            "balances": MONEY,
            "lockedMargin": MONEY,
            "pendingMargin": MONEY,
            "house": MONEY,
            "conserved": {"type": "boolean"},
        },
    ),
    "Outbox": obj(
        ["messages"],
        {
            "messages": {
                "type": "array",
                "items": obj(
                    ["file", "to", "subject", "date", "body"],
                    {k: {"type": "string"} for k in ("file", "to", "subject", "date", "body")},
                ),
            }
        },
    ),
    "OpenApi": {"type": "object", "required": ["openapi", "paths"]},
}
