"""The engine v2 shapes (SPEC 12/13): pending and finished orders, fills, accounts, and the
v2 fields every order carries. Kept apart from ``render.py`` so the v1 shapes stay small;
``render.open_order`` / ``closed_order`` add ``order_fields`` so an order has one field set
wherever it appears (HTTP, websocket).

An open position carries its order's terms in the engine; a closed one's come from the
``orders`` row of the position it closed (``with_terms``, one batched read per list).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from velox.engine.engine import Engine
from velox.engine.events import (
    Event,
    FundingCharged,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
    PositionClosed,
    PositionIncreased,
    PositionPartiallyClosed,
)
from velox.engine.state import Pending, Position
from velox.money import format_optional, format_units
from velox.projection import cancelled_record, fills_of, placed_record
from velox.store.records import AccountRecord, ClosedOrderRecord, FillRecord, OrderRecord

Json = dict[str, Any]


def order_fields(
    *,
    order_type: str = "MARKET",
    price: int | None = None,
    expires_at: int | None = None,
    client_order_id: str | None = None,
    oco_group_id: str | None = None,
    reduce_only: bool = False,
    fee: int = 0,
    funding: int = 0,
    cancel_reason: str | None = None,
    created_at: int | None = None,
    account_id: str | None = None,
    position_id: str | None = None,
) -> Json:
    return {
        "type": order_type,
        "price": format_optional(price),
        "expiresAt": expires_at,
        "clientOrderId": client_order_id,
        "ocoGroupId": oco_group_id,
        "reduceOnly": reduce_only,
        "fee": format_units(fee),
        "funding": format_units(funding),
        "cancelReason": cancel_reason,
        "createdAt": created_at,
        "accountId": account_id,
        "positionId": position_id,
    }


def position_fields(pos: Position) -> Json:
    """The v2 fields of an open position: the terms of the order that opened it (the engine's
    Position keeps them, so no store read) and its own fee and funding. A position neither
    expires nor is reduce-only, whatever its order was."""
    return order_fields(
        order_type=pos.order_type,
        price=pos.price,
        client_order_id=pos.client_order_id,
        oco_group_id=pos.oco_group_id,
        fee=pos.fee,
        funding=pos.funding,
        created_at=pos.opened_at if pos.created_at is None else pos.created_at,
        account_id=pos.account_id,
        position_id=pos.order_id,
    )


def closed_fields(rec: ClosedOrderRecord) -> Json:
    return order_fields(
        fee=rec.fee,
        funding=rec.funding,
        created_at=rec.opened_at,
        account_id=rec.account_id,
        position_id=rec.parent_order_id or rec.order_id,
    )


def order_record(rec: OrderRecord, fee: int = 0) -> Json:
    """An order that is not (or not only) a position: PENDING, CANCELLED, EXPIRED,
    REJECTED or FILLED. ``margin`` is the reservation while pending (else what was asked);
    ``fee``: what its fills paid (a FILLED order's; the others have none)."""
    margin = rec.reserved if rec.status == "PENDING" else rec.margin
    return {
        "orderId": rec.order_id,
        "parentOrderId": None,
        "asset": rec.asset,
        "side": rec.side,
        "leverage": rec.leverage,
        "margin": format_optional(margin),
        "qty": format_optional(rec.qty),
        "openPrice": None,
        "liquidationPrice": None,
        "stopLoss": format_optional(rec.stop_loss),
        "takeProfit": format_optional(rec.take_profit),
        "trailingStop": format_optional(rec.trailing_stop),
        "status": rec.status,
        "unrealizedPnl": None,
        "closePrice": None,
        "closeReason": None,
        "pnl": None,
        "openedAt": None,
        "closedAt": None if rec.status == "PENDING" else rec.updated_at,
        **order_fields(
            order_type=rec.order_type,
            price=rec.price,
            expires_at=rec.expires_at,
            client_order_id=rec.client_order_id,
            oco_group_id=rec.oco_group_id,
            reduce_only=rec.reduce_only,
            fee=fee,
            cancel_reason=rec.cancel_reason,
            created_at=rec.created_at,
            account_id=rec.account_id,
            position_id=rec.position_id,
        ),
    }


def placed(event: OrderPlaced) -> Json:
    return order_record(placed_record(event))


def cancelled(event: OrderCancelled) -> Json:
    return order_record(cancelled_record(event))


def fill(rec: FillRecord) -> Json:
    return {
        "fillId": rec.fill_id,
        "orderId": rec.order_id,
        "positionId": rec.position_id,
        "accountId": rec.account_id,
        "asset": rec.asset,
        "side": rec.side,
        "price": format_units(rec.price),
        "qty": format_units(rec.qty),
        "fee": format_units(rec.fee),
        "realizedPnl": format_units(rec.realized_pnl),
        "maker": rec.maker,
        "time": rec.time,
    }


def account(rec: AccountRecord) -> Json:
    return {
        "accountId": rec.account_id,
        "name": rec.name,
        "mode": rec.mode,
        "createdAt": rec.created_at,
    }


def figures_fields(figures: Any) -> Json:
    """``pendingMargin``, ``fees`` (total paid), ``funding`` (net) of an account."""
    return {
        "pendingMargin": format_units(getattr(figures, "pending_margin", 0)),
        "fees": format_units(getattr(figures, "fees", 0)),
        "funding": format_units(getattr(figures, "funding", 0)),
    }


def pending(p: Pending) -> Json:
    """A resting order as the engine holds it (after a modify, say)."""
    return order_record(
        OrderRecord(
            p.order_id, p.account_id, p.user_id, p.asset, p.side, p.order_type, p.leverage,
            p.price, p.margin, p.qty, p.reserved, p.stop_loss, p.take_profit, p.trailing_stop,
            p.expires_at, p.client_order_id, p.oco_group_id, p.reduce_only, "PENDING", None,
            None, p.created_at, p.created_at, p.time_in_force,
        )
    )  # fmt: skip


def ws_messages(engine: Engine, event: Event, position: Any) -> list[Json]:
    """The owner's websocket messages of SPEC 12 for one event: ``order_pending`` (placed or
    modified), ``order_cancelled`` (CANCELLED, EXPIRED, REJECTED), ``fill`` for each
    execution, and ``order_updated`` for a position a scale-in or funding changed.
    ``position(engine, pos)`` renders an open position (``render.open_order_in``)."""
    out: list[Json] = []
    if isinstance(event, OrderPlaced):
        out.append({"type": "order_pending", "data": placed(event)})
    elif isinstance(event, OrderModified):
        held = engine.pending.get(event.order_id)
        if held is not None:
            out.append({"type": "order_pending", "data": pending(held)})
    elif isinstance(event, OrderCancelled):
        out.append({"type": "order_cancelled", "data": cancelled(event)})
    elif isinstance(event, PositionIncreased | FundingCharged):
        target = event.position_id if isinstance(event, PositionIncreased) else event.order_id
        pos = engine.positions.get(target)
        if pos is not None:
            out.append({"type": "order_updated", "data": position(engine, pos)})
    out.extend({"type": "fill", "data": fill(f)} for f in fills_of(event))
    return out


def order_terms(rec: OrderRecord) -> Json:
    """What a position (open or closed, or a closed part of it) shows of the order that
    opened it: the same fields ``position_fields`` takes from an open position."""
    return {
        "type": rec.order_type,
        "price": format_optional(rec.price),
        "clientOrderId": rec.client_order_id,
        "ocoGroupId": rec.oco_group_id,
        "createdAt": rec.created_at,
        "accountId": rec.account_id,
    }


def closed_terms(event: PositionClosed | PositionPartiallyClosed) -> Json:
    """``order_terms`` of a position that closed (wholly or a part), from its close event
    (which copies them from the engine's Position): the websocket's ``order_closed``."""
    return {
        "type": event.order_type,
        "price": format_optional(event.price),
        "clientOrderId": event.client_order_id,
        "ocoGroupId": event.oco_group_id,
        "createdAt": event.opened_at if event.created_at is None else event.created_at,
        "accountId": event.account_id,
    }


def with_terms(positions: list[Json], rows: Mapping[str, OrderRecord]) -> list[Json]:
    """Positions with the terms of their orders (``rows`` by order id, from one batched
    read of every ``positionId``); a position with no row (written before the ``orders``
    table) stays as it is."""
    out = []
    for p in positions:
        rec = rows.get(p["positionId"])
        out.append(p if rec is None else {**p, **order_terms(rec)})
    return out
