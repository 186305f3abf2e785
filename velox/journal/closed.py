"""Closed orders derived from journal events: the one mapping used by the commit (to write
``closed_orders``), the websocket (to announce closes) and the audit (to compare).

A closed order's ``pnl`` is the event's (the formula's); its ``fee`` sums what it paid
(SPEC 12): the close fee as far as a settlement capped at 0 covered it (``close_paid``),
as its close fill says."""

from __future__ import annotations

from velox.engine.events import Event, PositionClosed, PositionPartiallyClosed, close_paid
from velox.money import Money
from velox.store.records import ClosedOrderRecord

PARTIAL = "PARTIAL"


def closed_order_id(event: Event) -> str | None:
    """The id of the closed order ``event`` produces (a partial close's part), if any."""
    if isinstance(event, PositionClosed):
        return event.order_id
    if isinstance(event, PositionPartiallyClosed):
        return event.part_order_id
    return None


def closed_record_of(event: Event) -> ClosedOrderRecord | None:
    """The closed order an event produces, or None for events that close nothing."""
    if isinstance(event, PositionClosed):
        paid, _ = close_paid(event)
        return ClosedOrderRecord(
            order_id=event.order_id,
            parent_order_id=None,
            user_id=event.user_id,
            asset=event.asset,
            side=event.side,
            leverage=event.leverage,
            margin=event.margin,
            qty=event.qty,
            open_price=event.open_price,
            liquidation_price=event.liquidation_price,
            stop_loss=event.stop_loss,
            take_profit=event.take_profit,
            trailing_stop=event.trailing_stop,
            close_price=event.close_price,
            close_reason=event.reason,
            pnl=event.pnl,
            settlement=event.settlement,
            opened_at=event.opened_at,
            closed_at=event.ts,
            account_id=event.account_id,
            fee=Money(event.fee - event.close_fee + paid),  # what it paid (SPEC 12)
            funding=event.funding,
        )
    if isinstance(event, PositionPartiallyClosed):
        return ClosedOrderRecord(
            order_id=event.part_order_id,
            parent_order_id=event.order_id,
            user_id=event.user_id,
            asset=event.asset,
            side=event.side,
            leverage=event.leverage,
            margin=event.part_margin,
            qty=event.part_qty,
            open_price=event.open_price,
            liquidation_price=event.part_liquidation_price,
            stop_loss=event.stop_loss,
            take_profit=event.take_profit,
            trailing_stop=event.trailing_stop,
            close_price=event.close_price,
            close_reason=event.reason,
            pnl=event.pnl,
            settlement=event.settlement,
            opened_at=event.opened_at,
            closed_at=event.ts,
            account_id=event.account_id,
            fee=close_paid(event)[0],
        )
    return None
