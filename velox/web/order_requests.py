"""Request parsing for the engine v2 order fields and routes (SPEC 12): pending orders,
OCO, cancel, modify of a pending order, the history lists' window, ``clientOrderId``.

Every rule the shell can judge without the state is judged here, naming the field at
fault (400 VALIDATION_ERROR, nothing changed); the engine judges the rest (balance, quotes,
WOULD_TRIGGER_IMMEDIATELY, LEVERAGE_MISMATCH, REDUCE_ONLY_REJECTED).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from velox.engine.commands import (
    KEEP,
    LIMIT,
    MARKET,
    ORDER_TYPES,
    STOP,
    CancelOrder,
    Keep,
    ModifyOrder,
    OpenPosition,
    PlaceOco,
)
from velox.frozen import frozen
from velox.web.errors import ApiError, validation
from velox.web.validate import choice, integer, money, query_int, reject_unknown, required

CLIENT_ORDER_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,36}$"
CLIENT_ORDER_ID = re.compile(CLIENT_ORDER_ID_PATTERN)
MAX_TIME_MS = 10**15  # as the candles' startTime: far beyond any real expiry
V2_OPEN_FIELDS = ("type", "price", "expiresAt", "clientOrderId", "reduceOnly")
PENDING_MODIFY_FIELDS = ("price", "stopLoss", "takeProfit", "trailingStop", "expiresAt")
MAX_FILLS_PAGE = 1000
DEFAULT_FILLS_PAGE = 500


@frozen
class OrderTerms:
    """The v2 fields of an open request, judged."""

    order_type: str
    price: int | None
    expires_at: int | None
    client_order_id: str | None
    reduce_only: bool


def client_order_id(value: Any, name: str = "clientOrderId") -> str:
    if not isinstance(value, str) or not CLIENT_ORDER_ID.fullmatch(value):
        raise validation(f"{name} must be 1 to 36 of A-Z a-z 0-9 . _ : -", name)
    return value


def _expiry(value: Any, name: str = "expiresAt") -> int:
    """A time in ms. Whether it is still ahead is the engine's to judge (after a repeated
    clientOrderId, whose retry answers the first order however late it comes)."""
    return integer(value, name, 0, MAX_TIME_MS)


def order_terms(data: Mapping[str, Any]) -> OrderTerms:
    """``type`` (default MARKET), ``price`` (LIMIT / STOP only, required there, positive),
    ``expiresAt`` (LIMIT / STOP only; the engine judges it is ahead), ``clientOrderId``,
    ``reduceOnly``."""
    raw_type = data.get("type")
    order_type = MARKET if raw_type is None else choice(raw_type, "type", ORDER_TYPES)
    price = None
    expires_at = None
    if order_type == MARKET:
        for name in ("price", "expiresAt"):
            if data.get(name) is not None:
                raise validation(f"{name} is for LIMIT and STOP orders", name)
    else:
        price = money(required(data, "price"), "price")
        raw_expiry = data.get("expiresAt")
        expires_at = None if raw_expiry is None else _expiry(raw_expiry)
    raw_id = data.get("clientOrderId")
    cid = None if raw_id is None else client_order_id(raw_id)
    raw_reduce = data.get("reduceOnly")
    if raw_reduce is not None and not isinstance(raw_reduce, bool):
        raise validation("reduceOnly must be true or false", "reduceOnly")
    return OrderTerms(order_type, price, expires_at, cid, bool(raw_reduce))


def with_terms(command: OpenPosition, terms: OrderTerms, account_id: str | None) -> OpenPosition:
    return OpenPosition(
        user_id=command.user_id,
        asset=command.asset,
        side=command.side,
        leverage=command.leverage,
        ts=command.ts,
        margin=command.margin,
        qty=command.qty,
        stop_loss=command.stop_loss,
        take_profit=command.take_profit,
        trailing_stop=command.trailing_stop,
        expected_price=command.expected_price,
        slippage_bps=command.slippage_bps,
        account_id=account_id,
        order_type=terms.order_type,
        price=terms.price,
        expires_at=terms.expires_at,
        client_order_id=terms.client_order_id,
        reduce_only=terms.reduce_only,
    )


def oco_legs(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{"orders": [a, b]}``: exactly two objects, each LIMIT or STOP, on one asset."""
    reject_unknown(data, ("orders",))
    legs = required(data, "orders")
    if not isinstance(legs, list) or len(legs) != 2:
        raise validation("orders must be a list of exactly two orders", "orders")
    for leg in legs:
        if not isinstance(leg, dict):
            raise validation("each of orders must be an object", "orders")
        if leg.get("type") not in (LIMIT, STOP):
            raise validation("each OCO order must be of type LIMIT or STOP", "orders")
    first, second = legs
    if first.get("asset") != second.get("asset"):
        raise validation("both OCO orders must be on one asset", "orders")
    return first, second


def oco_command(first: OpenPosition, second: OpenPosition, account_id: str | None) -> PlaceOco:
    return PlaceOco(
        user_id=first.user_id, first=first, second=second, ts=first.ts, account_id=account_id
    )


def cancel_command(user_id: str, order_id: str, ts: int, account_id: str | None) -> CancelOrder:
    return CancelOrder(user_id=user_id, order_id=order_id, ts=ts, account_id=account_id)


def _change(data: Mapping[str, Any], name: str) -> int | Keep | None:
    if name not in data:
        return KEEP
    value = data[name]
    return None if value is None else money(value, name)


def pending_modify_command(
    data: Mapping[str, Any], user_id: str, order_id: str, ts: int, account_id: str | None
) -> ModifyOrder:
    """``price`` (not removable), the stops (null removes) and ``expiresAt`` (null: never)."""
    reject_unknown(data, PENDING_MODIFY_FIELDS)
    if not any(name in data for name in PENDING_MODIFY_FIELDS):
        raise validation(f"give at least one of {', '.join(PENDING_MODIFY_FIELDS)}")
    price: int | Keep = KEEP
    if "price" in data:
        price = money(required(data, "price"), "price")
    expires_at: int | Keep | None = KEEP
    if "expiresAt" in data:
        raw = data["expiresAt"]
        expires_at = None if raw is None else _expiry(raw)
    return ModifyOrder(
        user_id=user_id,
        order_id=order_id,
        ts=ts,
        price=price,
        stop_loss=_change(data, "stopLoss"),
        take_profit=_change(data, "takeProfit"),
        trailing_stop=_change(data, "trailingStop"),
        expires_at=expires_at,
        account_id=account_id,
    )


@frozen
class Window:
    """Which rows of a history list (fills, ended orders, funding): one asset or all, and
    [start, end] in ms, inclusive, on the time the list is ordered by."""

    asset: str | None
    start: int | None
    end: int | None


@frozen
class FillsQuery:
    asset: str | None
    start: int | None
    end: int | None
    limit: int


def window_query(query: Mapping[str, str], assets: tuple[str, ...]) -> Window:
    """``asset`` (a listed symbol, else 400 UNKNOWN_ASSET), ``startTime``, ``endTime``:
    one parse for every list that takes them, so they refuse the same values alike."""
    asset = query.get("asset")
    if asset is not None and asset not in assets:
        raise ApiError("UNKNOWN_ASSET", f"unknown asset; one of {', '.join(assets)}", "asset")
    start = query_int(query, "startTime", 0, MAX_TIME_MS)
    end = query_int(query, "endTime", 0, MAX_TIME_MS)
    return Window(asset, start, end)


def fills_query(query: Mapping[str, str], assets: tuple[str, ...]) -> FillsQuery:
    window = window_query(query, assets)
    limit = query_int(query, "limit", 1, MAX_FILLS_PAGE) or DEFAULT_FILLS_PAGE
    return FillsQuery(window.asset, window.start, window.end, limit)
