"""Order request bodies -> engine commands. Field names are the API's (SPEC section 7).

Each function validates every field (naming the one at fault) and returns the command; the
engine then judges the business rules against the state (balance, quotes, stops).
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
from velox.web.validate import (
    choice,
    integer,
    money,
    optional_money,
    reject_unknown,
    required,
)

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


def asset_of(value: Any, settings: EngineSettings, name: str = "asset") -> str:
    if not isinstance(value, str):
        raise validation(f"{name} must be a symbol such as BTCUSDT", name)
    if value not in settings.assets:
        raise ApiError("UNKNOWN_ASSET", f"unknown asset; one of {', '.join(settings.assets)}", name)
    return value


def open_command(
    data: dict[str, Any], settings: EngineSettings, user_id: str, ts: int
) -> OpenPosition:
    reject_unknown(data, OPEN_FIELDS)
    asset = asset_of(required(data, "asset"), settings)
    side = choice(required(data, "side"), "side", ("LONG", "SHORT"))
    leverage = integer(required(data, "leverage"), "leverage", 1, settings.max_leverage)
    has_margin = data.get("margin") is not None
    has_qty = data.get("qty") is not None
    if has_margin == has_qty:
        raise validation(
            "give exactly one of margin and qty", "margin" if not has_margin else "qty"
        )
    margin = optional_money(data, "margin")
    qty = optional_money(data, "qty")
    stop_loss = optional_money(data, "stopLoss")
    take_profit = optional_money(data, "takeProfit")
    trailing = optional_money(data, "trailingStop")
    expected = optional_money(data, "expectedPrice")
    bps_raw = data.get("slippageBps")
    bps = None if bps_raw is None else integer(bps_raw, "slippageBps", 0, MAX_SLIPPAGE_BPS)
    if (expected is None) != (bps is None):
        missing = "expectedPrice" if expected is None else "slippageBps"
        raise validation("expectedPrice and slippageBps come together", missing)
    return OpenPosition(
        user_id=user_id,
        asset=asset,
        side=side,
        leverage=leverage,
        ts=ts,
        margin=margin,
        qty=qty,
        stop_loss=stop_loss,
        take_profit=take_profit,
        trailing_stop=trailing,
        expected_price=expected,
        slippage_bps=bps,
    )


def close_command(data: dict[str, Any], user_id: str, order_id: str, ts: int) -> ClosePosition:
    """``{}`` or no body closes everything; ``{"percent": p}`` closes p % (1..99)."""
    reject_unknown(data, ("percent",))
    raw = data.get("percent")
    percent = None if raw is None else integer(raw, "percent", 1, 99)
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
