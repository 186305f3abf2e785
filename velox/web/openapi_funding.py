"""The OpenAPI operation and schemas of ``GET /api/v1/order/user/funding``
(``velox.web.funding``), merged into the document by ``openapi.document_for``."""

from __future__ import annotations

from typing import Any

from velox.config import Settings
from velox.web.openapi_schemas import MONEY, MS, Schema, obj, ref
from velox.web.openapi_v2 import ACCOUNT_PARAMS, FILLS_LIMIT
from velox.web.order_requests import MAX_TIME_MS

FUNDING_CHARGE: Schema = obj(
    ["orderId", "accountId", "asset", "fundingTime", "rate", "markPrice", "amount", "time"],
    {
        "orderId": {"type": "string"},
        "accountId": {"type": "string"},
        "asset": {"type": "string"},
        "fundingTime": MS,
        "rate": MONEY,
        "markPrice": MONEY,
        "amount": MONEY,
        "time": MS,
    },
)
FUNDING_SCHEMAS: dict[str, Schema] = {
    "FundingCharge": FUNDING_CHARGE,
    "FundingCharges": obj(
        ["funding"], {"funding": {"type": "array", "items": ref("FundingCharge")}}
    ),
}


def funding_paths(
    settings: Settings, op: Any, query: Any, mine: tuple[str, ...], security: Any
) -> dict[str, dict[str, Any]]:
    """The funding history operation (``op``/``query`` are openapi.py's builders)."""
    time_ms = {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS}
    return {
        "/api/v1/order/user/funding": {"get": op(
            "user_funding", "The account's funding charges, newest boundary first "
            "(startTime/endTime on the boundary; amount + received, - paid)",
            {200: ref("FundingCharges")}, (*mine, "VALIDATION_ERROR", "UNKNOWN_ASSET"),
            security=security,
            params=[
                query("asset", {"enum": list(settings.symbols)}),
                query("startTime", time_ms),
                query("endTime", time_ms),
                query("limit", FILLS_LIMIT),
                *ACCOUNT_PARAMS,
            ])},
    }  # fmt: skip
