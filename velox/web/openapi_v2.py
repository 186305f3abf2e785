"""The OpenAPI document's engine v2 part (SPEC 12/13): the new order routes, accounts, the
account selector on native endpoints, and the v2 fields of orders and account figures.

Merged into ``openapi.paths`` / ``document_for``; a path defined here replaces the v1 entry
of the same path (the v1 operations gain the account selector and the new codes).
"""

from __future__ import annotations

from collections.abc import Sequence

from velox.web.accounts import ACCOUNT_HEADER, ACCOUNT_ID_PATTERN, ACCOUNT_QUERY, NAME_PATTERN
from velox.web.openapi_requests import MONEY_IN, NULL, STOP_IN
from velox.web.openapi_schemas import MONEY, MS, Schema, nullable, obj, ref
from velox.web.order_requests import CLIENT_ORDER_ID_PATTERN, MAX_FILLS_PAGE, MAX_TIME_MS

ACCOUNT_PARAMS: list[Schema] = [
    {
        "name": ACCOUNT_HEADER,
        "in": "header",
        "required": False,
        "description": "the account to act on (default: the user's first); another user's: 404",
        "schema": {"type": "string", "pattern": ACCOUNT_ID_PATTERN},
    },
    {
        "name": ACCOUNT_QUERY,
        "in": "query",
        "required": False,
        "description": f"as {ACCOUNT_HEADER}, which wins when both name the user's accounts",
        "schema": {"type": "string", "pattern": ACCOUNT_ID_PATTERN},
    },
]
ACCOUNT_ID: Schema = {
    "name": "accountId",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ACCOUNT_ID_PATTERN},
}
CLIENT_ORDER_ID: Schema = {"type": "string", "pattern": CLIENT_ORDER_ID_PATTERN}
CLIENT_ID_PARAM: Schema = {
    "name": "clientOrderId",
    "in": "path",
    "required": True,
    "schema": CLIENT_ORDER_ID,
}
EXPIRES_AT: Schema = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_TIME_MS,
    "description": "ms since the epoch; must be in the future (else 400 VALIDATION_ERROR)",
}
ORDER_STATUSES = ["PENDING", "OPEN", "CLOSED", "CANCELLED", "EXPIRED", "REJECTED", "FILLED"]
ORDER_V2_FIELDS: dict[str, Schema] = {
    "type": {"enum": ["MARKET", "LIMIT", "STOP"]},
    "price": nullable(MONEY),
    "expiresAt": nullable(MS),
    "clientOrderId": nullable({"type": "string"}),
    "ocoGroupId": nullable({"type": "string"}),
    "reduceOnly": {"type": "boolean"},
    "fee": MONEY,
    "funding": MONEY,
    "cancelReason": nullable(
        {"enum": ["USER", "OCO", "EXPIRED", "RESET", "INSUFFICIENT_BALANCE", "POSITION_CLOSED"]}
    ),
    "createdAt": nullable(MS),
    "accountId": nullable({"type": "string"}),
    "positionId": nullable({"type": "string"}),
}
FIGURES_V2_FIELDS: dict[str, Schema] = {"pendingMargin": MONEY, "fees": MONEY, "funding": MONEY}


def order_schema(v1: Schema) -> Schema:
    """The v1 order plus SPEC 12's fields; a pending order has no open price yet."""
    props = dict(v1["properties"])
    for name in ("margin", "qty", "openPrice", "liquidationPrice", "openedAt"):
        props[name] = nullable(props[name])
    props["status"] = {"enum": ORDER_STATUSES}
    reasons = props["closeReason"]["oneOf"][0]["enum"]
    props["closeReason"] = nullable({"enum": [*reasons, "REDUCE"]})
    props.update(ORDER_V2_FIELDS)
    return obj([*v1["required"], *ORDER_V2_FIELDS], props)


def figures_schema(v1: Schema) -> Schema:
    return obj([*v1["required"], *FIGURES_V2_FIELDS], {**v1["properties"], **FIGURES_V2_FIELDS})


FILL: Schema = obj(
    ["fillId", "orderId", "positionId", "accountId", "asset", "side", "price", "qty", "fee",
     "realizedPnl", "maker", "time"],
    {
        "fillId": {"type": "string"},
        "orderId": {"type": "string"},
        "positionId": {"type": "string"},
        "accountId": {"type": "string"},
        "asset": {"type": "string"},
        "side": {"enum": ["BUY", "SELL"]},
        "price": MONEY,
        "qty": MONEY,
        "fee": MONEY,
        "realizedPnl": MONEY,
        "maker": {"type": "boolean"},
        "time": MS,
    },
)  # fmt: skip
ACCOUNT: Schema = obj(
    ["accountId", "name", "mode", "createdAt"],
    {
        "accountId": {"type": "string"},
        "name": {"type": "string"},
        "mode": {"enum": ["HEDGING", "NETTING"]},
        "createdAt": MS,
    },
)
V2_SCHEMAS: dict[str, Schema] = {
    "Fill": FILL,
    "Fills": obj(["fills"], {"fills": {"type": "array", "items": ref("Fill")}}),
    "Account": ACCOUNT,
    "Accounts": obj(["accounts"], {"accounts": {"type": "array", "items": ref("Account")}}),
}


def open_v2_properties() -> dict[str, Schema]:
    return {
        "type": nullable({"enum": ["MARKET", "LIMIT", "STOP"]}),
        "price": STOP_IN,
        "expiresAt": nullable(EXPIRES_AT),
        "clientOrderId": nullable(CLIENT_ORDER_ID),
        "reduceOnly": nullable({"type": "boolean"}),
    }


# A MARKET order (the default) takes no price or expiry; LIMIT and STOP need a price.
TYPE_RULE: Schema = {
    "anyOf": [
        {
            "properties": {
                "type": {"enum": ["MARKET", None]},
                "price": NULL,
                "expiresAt": NULL,
            }
        },
        {
            "required": ["type", "price"],
            "properties": {"type": {"enum": ["LIMIT", "STOP"]}, "price": MONEY_IN},
        },
    ]
}


def open_request_v2(v1: Schema) -> Schema:
    schema = obj(v1["required"], {**v1["properties"], **open_v2_properties()})
    schema["description"] = (
        v1["description"] + " type LIMIT or STOP needs a price (and may have expiresAt, in the "
        "future); MARKET has neither. reduceOnly: NETTING accounts only (else 422)."
    )
    schema["allOf"] = [*v1["allOf"], TYPE_RULE]
    schema["examples"] = [
        {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"},
        {"asset": "BTCUSDT", "side": "SHORT", "leverage": 5, "qty": "0.01", "type": "LIMIT",
         "price": "150000", "clientOrderId": "my-bot.42"},
    ]  # fmt: skip
    return schema


def oco_request(leg_v1: Schema, assets: Sequence[str]) -> Schema:
    """Two LIMIT / STOP orders on one asset (one ``anyOf`` branch per asset says "one")."""
    leg = open_request_v2(leg_v1)
    del leg["examples"]  # a market order: no OCO leg
    leg["required"] = [*leg["required"], "type", "price"]
    leg["properties"] = {**leg["properties"], "type": {"enum": ["LIMIT", "STOP"]}}
    pair: Schema = {"type": "array", "items": leg, "minItems": 2, "maxItems": 2}
    pair["anyOf"] = [{"items": {"properties": {"asset": {"const": a}}}} for a in assets]
    return obj(["orders"], {"orders": pair})


def modify_request_v2(v1: Schema) -> Schema:
    props = {**v1["properties"], "price": MONEY_IN, "expiresAt": nullable(EXPIRES_AT)}
    schema = obj([], props)
    schema["minProperties"] = 1
    schema["description"] = (
        "A position: its stops (null removes). A pending order: price, stops, expiresAt "
        "(null: no expiry)."
    )
    return schema


def v2_request_schemas(v1: dict[str, Schema], assets: Sequence[str]) -> dict[str, Schema]:
    name: Schema = {"type": "string", "pattern": NAME_PATTERN}
    return {
        "OpenRequest": open_request_v2(v1["OpenRequest"]),
        "ModifyRequest": modify_request_v2(v1["ModifyRequest"]),
        "OcoRequest": oco_request(v1["OpenRequest"], assets),
        "AccountRequest": obj(["name", "mode"], {"name": name, "mode": {"enum": ["HEDGING",
                                                                              "NETTING"]}}),
        "RenameRequest": obj(["name"], {"name": name}),
    }  # fmt: skip


FILLS_LIMIT: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_FILLS_PAGE, "default": 500}
ENDED_ORDERS = "CLOSED, CANCELLED, EXPIRED, REJECTED, FILLED"


def window_params(symbols: Sequence[str], rows: str, time: str, note: str = "") -> list[Schema]:
    """``asset``, ``startTime`` and ``endTime`` of a history list (``order_requests.
    window_query`` judges them alike everywhere): ``rows`` what it lists, ``time`` the time
    the window is on, ``note`` what else to say of both times."""
    time_ms: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS}

    def bound(name: str, side: str) -> Schema:
        text = f"ms, inclusive: only {rows} whose {time} is at or {side} it{note}"
        return {"name": name, "in": "query", "required": False, "description": text,
                "schema": time_ms}  # fmt: skip

    asset = {"name": "asset", "in": "query", "required": False,
             "description": f"only {rows} of this asset",
             "schema": {"enum": list(symbols)}}  # fmt: skip
    return [asset, bound("startTime", "after"), bound("endTime", "before")]


def order_list_params(symbols: Sequence[str]) -> list[Schema]:
    """``GET /user/orders``: the window is on closedAt, for the ended statuses only."""
    window = window_params(
        symbols, "orders", "closedAt (when it ended)",
        "; ignored for OPEN and PENDING, which are current state",
    )  # fmt: skip
    window[2]["description"] += (
        ". Page back with the oldest closedAt seen - 1; a full page may end inside a "
        "millisecond, whose other orders come with that millisecond itself (skip the ones "
        "already seen)"
    )
    status: Schema = {"enum": ORDER_STATUSES, "default": "OPEN"}
    limit: Schema = {"type": "integer", "minimum": 1, "maximum": 1000}
    return [
        {"name": "status", "in": "query", "required": False, "schema": status},
        *window,
        {"name": "limit", "in": "query", "required": False, "schema": limit, "description": (
            "the newest this many; without it CLOSED gives 500 and the other ended statuses "
            "1000, while OPEN and PENDING (current state) give every one, however many "
            "--max-open-positions allows")},
        *ACCOUNT_PARAMS,
    ]  # fmt: skip
