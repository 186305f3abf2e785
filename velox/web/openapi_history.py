"""The OpenAPI operations and schemas of ``/api/v1/history/...`` (``velox.web.history``),
merged into the document by ``openapi.document_for``."""

from __future__ import annotations

from typing import Any

from velox.config import Settings
from velox.web.history_curve import MAX_POINTS as MAX_CURVE_POINTS
from velox.web.openapi_schemas import MONEY, MS, ORDER, Schema, nullable, obj, ref
from velox.web.openapi_v2 import ACCOUNT_PARAMS

MAX_TIME_MS = 10**15  # market.MAX_TIME_MS

# A closed position as GET /user/orders shows it, plus the cash it moved (velox.web.history).
HISTORY_POSITION: Schema = {
    **ORDER,
    "required": [*ORDER["required"], "result"],
    "properties": {
        **ORDER["properties"],
        "result": {
            **MONEY,
            "description": "What the row did to the trader's cash: the settlement less the "
            "margin, open fee and margin added that went in (pnl - fee + funding, unless "
            "the settlement was clamped at 0: then minus all that went in)",
        },
    },
}

HISTORY_SCHEMAS: dict[str, Schema] = {
    "HistoryPosition": HISTORY_POSITION,
    "HistoryPositions": obj(
        ["positions"], {"positions": {"type": "array", "items": ref("HistoryPosition")}}
    ),
    "HistoryStats": obj(
        [
            "trades", "wins", "losses", "winRate", "grossProfit", "grossLoss", "netResult",
            "profitFactor", "averageWin", "averageLoss", "maxDrawdown", "maxDrawdownPercent",
            "sharpe", "startEquity", "endEquity", "equity",
        ],
        {
            "trades": {"type": "integer", "minimum": 0},
            "wins": {"type": "integer", "minimum": 0},
            "losses": {"type": "integer", "minimum": 0},
            "winRate": nullable(MONEY),
            "grossProfit": MONEY,
            "grossLoss": MONEY,
            "netResult": MONEY,
            "profitFactor": nullable(MONEY),
            "averageWin": nullable(MONEY),
            "averageLoss": nullable(MONEY),
            "maxDrawdown": MONEY,
            "maxDrawdownPercent": MONEY,
            "sharpe": nullable(MONEY),
            "startEquity": MONEY,
            "endEquity": MONEY,
            "equity": {
                "type": "array",
                "maxItems": MAX_CURVE_POINTS,
                "description": "The equity curve, oldest first: the start, then after each "
                "trade and deposit; a longer curve is thinned to at most maxItems of its "
                "points (each equal run's lowest and highest, the first, the last, and the "
                "maximum drawdown's peak and trough). The statistics use every point.",
                "items": obj(["time", "equity"], {"time": MS, "equity": MONEY}),
            },
        },
    ),
}  # fmt: skip


def history_paths(
    settings: Settings, op: Any, query: Any, signed_in: tuple[str, ...], security: Any
) -> dict[str, dict[str, Any]]:
    """The four history operations (``op``/``query`` are openapi.py's builders)."""
    time_ms = {"type": "integer", "minimum": 0, "maximum": MAX_TIME_MS}
    filters = [
        query("asset", {"enum": ["", *settings.symbols]}),
        query("startTime", time_ms),
        query("endTime", time_ms),
        *ACCOUNT_PARAMS,
    ]
    errors = (*signed_in, "VALIDATION_ERROR", "UNKNOWN_ASSET", "NOT_FOUND")
    csv_op = op(
        "history_csv",
        "The closed positions matching the filter as a CSV file (RFC 4180, "
        "oldest first, decimal strings), streamed",
        {200: None},
        errors,
        security=security,
        params=filters,
        tag="history",
    )
    csv_op["responses"]["200"]["content"] = {"text/csv": {"schema": {"type": "string"}}}
    fills_op = op(
        "history_fills_csv",
        "The account's fills matching the filter (on the fill time) as a CSV file (RFC 4180, "
        "oldest first, decimal strings), streamed",
        {200: None},
        errors,
        security=security,
        params=filters,
        tag="history",
    )
    fills_op["responses"]["200"]["content"] = {"text/csv": {"schema": {"type": "string"}}}
    return {
        "/api/v1/history/positions": {"get": op(
            "history_positions", "Closed positions, newest first, filtered by asset and close "
            "time (inclusive)", {200: ref("HistoryPositions")}, errors, security=security,
            params=[*filters, query("limit", {"type": "integer", "minimum": 1,
                                              "maximum": 1000, "default": 500})],
            tag="history")},
        "/api/v1/history/positions.csv": {"get": csv_op},
        "/api/v1/history/fills.csv": {"get": fills_op},
        "/api/v1/history/stats": {"get": op(
            "history_stats", "Statistics and the equity curve of the filtered closed "
            "positions; account resets step the curve as deposits, not results (formulas "
            "in the README)", {200: ref("HistoryStats")}, errors,
            security=security, params=filters, tag="history")},
    }  # fmt: skip
