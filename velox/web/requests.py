"""Order request bodies -> engine commands. Field names are the API's (SPEC section 7).

Only the shape is checked here: known fields, JSON types, money as exact decimals, integers
that fit a journal row. Everything a rule decides (asset listed, leverage within
--max-leverage, exactly one of margin and qty, expectedPrice with slippageBps, percent
1..99, balance, quotes, stops) is the engine's (``velox/engine/rules.py``), answered with its
code and field, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

from velox.engine.commands import (
    KEEP,
    AddMargin,
    ClosePosition,
    Keep,
    ModifyPosition,
    OpenPosition,
)
from velox.engine.settings import EngineSettings
from velox.web.errors import ApiError, validation
from velox.web.validate import integer, money, optional_money, reject_unknown, required, string

OPEN_FIELDS = (
    "asset",
    "side",
    "leverage",
    "margin",
    "qty",
    "stopLoss",
    "takeProfit",
    "trailingStop",
    "expectedPrice",
    "slippageBps",
)
STOP_FIELDS = ("stopLoss", "takeProfit", "trailingStop")
MAX_SLIPPAGE_BPS = 10_000
# Integers the engine judges (leverage, percent) need only fit a journal row's 64 bits.
INT64 = (-(2**63), 2**63 - 1)


def symbol(value: Any, name: str = "asset") -> str:
    """A symbol's shape; whether it is listed is the engine's UNKNOWN_ASSET."""
    if not isinstance(value, str):
        raise validation(f"{name} must be a symbol such as BTCUSDT", name)
    return value


def asset_of(value: Any, settings: EngineSettings, name: str = "asset") -> str:
    """A listed symbol, for requests that never reach the engine (candles)."""
    checked = symbol(value, name)
    if checked not in settings.assets:
        raise ApiError("UNKNOWN_ASSET", f"unknown asset; one of {', '.join(settings.assets)}", name)
    return checked


def open_command(data: dict[str, Any], user_id: str, ts: int) -> OpenPosition:
    reject_unknown(data, OPEN_FIELDS)
    asset = symbol(required(data, "asset"))
    side = string(required(data, "side"), "side", max_length=16)
    leverage = integer(required(data, "leverage"), "leverage", *INT64)
    bps_raw = data.get("slippageBps")
    return OpenPosition(
        user_id=user_id,
        asset=asset,
        side=side,
        leverage=leverage,
        ts=ts,
        margin=optional_money(data, "margin"),
        qty=optional_money(data, "qty"),
        stop_loss=optional_money(data, "stopLoss"),
        take_profit=optional_money(data, "takeProfit"),
        trailing_stop=optional_money(data, "trailingStop"),
        expected_price=optional_money(data, "expectedPrice"),
        slippage_bps=(
            None if bps_raw is None else integer(bps_raw, "slippageBps", 0, MAX_SLIPPAGE_BPS)
        ),
    )


def close_command(data: dict[str, Any], user_id: str, order_id: str, ts: int) -> ClosePosition:
    """``{}`` or no body closes everything; ``{"percent": p}`` closes p % (1..99)."""
    reject_unknown(data, ("percent",))
    raw = data.get("percent")
    percent = None if raw is None else integer(raw, "percent", *INT64)
    return ClosePosition(user_id=user_id, order_id=order_id, ts=ts, percent=percent)


def margin_command(data: dict[str, Any], user_id: str, order_id: str, ts: int) -> AddMargin:
    reject_unknown(data, ("amount",))
    amount = money(required(data, "amount"), "amount")
    return AddMargin(user_id=user_id, order_id=order_id, amount=amount, ts=ts)


def _stop_change(data: dict[str, Any], name: str) -> int | Keep | None:
    """Missing keeps the current value, ``null`` removes it, a price sets it."""
    if name not in data:
        return KEEP
    value = data[name]
    return None if value is None else money(value, name)


def modify_command(data: dict[str, Any], user_id: str, order_id: str, ts: int) -> ModifyPosition:
    reject_unknown(data, STOP_FIELDS)
    if not any(name in data for name in STOP_FIELDS):
        raise validation("give at least one of stopLoss, takeProfit, trailingStop")
    return ModifyPosition(
        user_id=user_id,
        order_id=order_id,
        ts=ts,
        stop_loss=_stop_change(data, "stopLoss"),
        take_profit=_stop_change(data, "takeProfit"),
        trailing_stop=_stop_change(data, "trailingStop"),
    )
