"""JSON Schemas of the request bodies, stating exactly what the validators accept (SPEC
section 17): a body these schemas allow is never refused as malformed, and one they refuse
always is. The few rules that depend on the settings (the assets, the highest leverage) are
filled in per app.
"""

from __future__ import annotations

from collections.abc import Sequence

from velox.web import validate
from velox.web.openapi_schemas import Schema, nullable, obj
from velox.web.requests import MAX_SLIPPAGE_BPS

MAX_MONEY = 10**15  # velox.money.MAX_UNITS, in whole units
MONEY_STRING_MAX = 64  # velox.money refuses longer text


def _positive_decimal() -> str:
    """A plain decimal string above 0 and at most 10^15 with at most 8 significant decimals
    (zeros after them are fine): exactly the text ``validate.money`` accepts."""
    fraction = r"(?:\.[0-9]{0,8}0*)?"
    whole = rf"0*[1-9][0-9]{{0,14}}{fraction}"  # 1 .. 999999999999999.99999999
    limit = r"0*1000000000000000(?:\.0*)?"  # 10^15 itself
    # below 1: a non-zero digit among the first 8 decimals, zeros only after them
    first = "|".join("0" * k + "[1-9]" + (f"[0-9]{{0,{7 - k}}}" if k < 7 else "") for k in range(8))
    small = rf"0*\.(?:{first})0*"
    return rf"^(?:{whole}|{limit}|{small})$"


POSITIVE_DECIMAL = _positive_decimal()
_MONEY_FORMS: list[Schema] = [
    {"type": "string", "maxLength": MONEY_STRING_MAX, "pattern": POSITIVE_DECIMAL},
    {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_MONEY, "multipleOf": 1e-8},
]
MONEY_IN: Schema = {
    "description": "a JSON number or a plain decimal string (no sign, exponent or blanks): "
    "above 0, at most 10^15, at most 8 decimals",
    "anyOf": _MONEY_FORMS,
}
STOP_IN: Schema = {
    "description": "a price as for money, or null to remove it",
    "anyOf": [*_MONEY_FORMS, {"type": "null"}],
}
EMAIL: Schema = {
    "type": "string",
    "maxLength": validate.EMAIL_MAX,
    "pattern": validate.EMAIL_PATTERN,
}
BPS: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_SLIPPAGE_BPS}
NULL: Schema = {"type": "null"}


def _open_request(assets: Sequence[str], max_leverage: int) -> Schema:
    schema = obj(
        ["asset", "side", "leverage"],
        {
            "asset": {"enum": list(assets)},
            "side": {"enum": ["LONG", "SHORT"]},
            "leverage": {"type": "integer", "minimum": 1, "maximum": max_leverage},
            "margin": STOP_IN,
            "qty": STOP_IN,
            "stopLoss": STOP_IN,
            "takeProfit": STOP_IN,
            "trailingStop": STOP_IN,
            "expectedPrice": STOP_IN,
            "slippageBps": nullable(BPS),
        },
    )
    schema["description"] = (
        "Exactly one of margin and qty (null counts as absent); expectedPrice and slippageBps "
        "both or neither."
    )
    schema["allOf"] = [
        {
            "oneOf": [
                {"required": ["margin"], "properties": {"margin": MONEY_IN}},
                {"required": ["qty"], "properties": {"qty": MONEY_IN}},
            ]
        },
        {
            "anyOf": [
                {
                    "required": ["expectedPrice", "slippageBps"],
                    "properties": {"expectedPrice": MONEY_IN, "slippageBps": BPS},
                },
                {"properties": {"expectedPrice": NULL, "slippageBps": NULL}},
            ]
        },
    ]
    return schema


def request_schemas(assets: Sequence[str], max_leverage: int) -> dict[str, Schema]:
    password = {
        "type": "string",
        "minLength": validate.PASSWORD_MIN,
        "maxLength": validate.PASSWORD_MAX,
    }
    phone = {"type": "string", "maxLength": validate.PHONE_MAX, "pattern": validate.PHONE_PATTERN}
    stops = {"stopLoss": STOP_IN, "takeProfit": STOP_IN, "trailingStop": STOP_IN}
    modify = obj([], stops)
    modify["minProperties"] = 1
    return {
        "SignupRequest": obj(
            ["email", "password"], {"email": EMAIL, "password": password, "phone": nullable(phone)}
        ),
        "SigninRequest": obj(
            ["email", "password"],
            {"email": EMAIL, "password": {"type": "string", "maxLength": validate.PASSWORD_MAX}},
        ),
        "PasswordRequest": obj(
            ["password"],
            {
                "password": password,
                "currentPassword": {"type": "string", "maxLength": validate.PASSWORD_MAX},
            },
        ),
        "MagicLinkRequest": obj(["email"], {"email": EMAIL}),
        "VerifyRequest": obj(["token"], {"token": {"type": "string", "maxLength": 256}}),
        "OpenRequest": _open_request(assets, max_leverage),
        "CloseRequest": obj(
            [], {"percent": nullable({"type": "integer", "minimum": 1, "maximum": 99})}
        ),
        "MarginRequest": obj(["amount"], {"amount": MONEY_IN}),
        "ModifyRequest": modify,
    }
