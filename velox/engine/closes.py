"""Closing a position, wholly or in part (SPEC 3, 12), as events; and the ids a decision
hands out. Every close is a taker fill whose fee comes out of the settlement: the trader
receives ``max(0, margin + pnl - closeFee)`` and the house the rest of the margin."""

from __future__ import annotations

from typing import Any

from velox.engine.events import PositionClosed, PositionPartiallyClosed
from velox.engine.formulas import close_price, fee, liquidation_price, pnl, settlement
from velox.engine.state import Position, Quote, State
from velox.money import Money, Price, Qty


class Ids:
    """Order and fill ids for one decision: several events may each need a new one."""

    def __init__(self, state: State) -> None:
        self._order = state.next_order_id
        self._fill = state.next_fill_id

    def order(self) -> str:
        self._order += 1
        return str(self._order - 1)

    def fill(self) -> str:
        self._fill += 1
        return str(self._fill - 1)


def closed_event(
    pos: Position,
    reason: str,
    price: Price,
    ts: int,
    ids: Ids,
    taker_fee: int,
    by_order_id: str | None = None,
    reserved: Money = Money(0),  # noqa: B008 - an int
    by_client_order_id: str | None = None,
    by_reduce_only: bool = False,
    flip_order_id: str | None = None,
    by_order_type: str = "MARKET",
    by_order_price: Price | None = None,
    by_time_in_force: str = "GTC",
) -> PositionClosed:
    """Close all of ``pos`` at ``price``; the close fee comes out of the settlement."""
    profit = pnl(pos.side, pos.open_price, price, pos.qty)
    close_fee = fee(price, pos.qty, taker_fee)
    return PositionClosed(
        order_id=pos.order_id,
        user_id=pos.user_id,
        reason=reason,
        close_price=price,
        pnl=profit,
        settlement=settlement(pos.margin, Money(profit - close_fee)),
        ts=ts,
        asset=pos.asset,
        side=pos.side,
        leverage=pos.leverage,
        margin=pos.margin,
        qty=pos.qty,
        open_price=pos.open_price,
        liquidation_price=pos.liquidation_price,
        stop_loss=pos.stop_loss,
        take_profit=pos.take_profit,
        trailing_stop=pos.trailing_stop,
        opened_at=pos.opened_at,
        account_id=pos.account_id,
        close_fee=close_fee,
        fee=Money(pos.fee + close_fee),
        funding=pos.funding,
        fill_id=ids.fill(),
        by_order_id=by_order_id,
        reserved=reserved,
        by_client_order_id=by_client_order_id,
        by_reduce_only=by_reduce_only,
        flip_order_id=flip_order_id,
        by_order_type=by_order_type,
        by_order_price=by_order_price,
        by_time_in_force=by_time_in_force,
        **_order_terms(pos),
    )


def part_closed_event(
    pos: Position,
    part_qty: Qty,
    part_margin: Money,
    price: Price,
    ts: int,
    ids: Ids,
    taker_fee: int,
    mmr: int,
    percent: int = 0,
    reason: str = "PARTIAL",
    by_order_id: str | None = None,
    reserved: Money = Money(0),  # noqa: B008 - an int
    by_client_order_id: str | None = None,
    by_reduce_only: bool = False,
    by_order_type: str = "MARKET",
    by_order_price: Price | None = None,
    by_time_in_force: str = "GTC",
) -> PositionPartiallyClosed:
    """Close ``part_qty`` / ``part_margin`` of ``pos`` as a CLOSED order of its own."""
    profit = pnl(pos.side, pos.open_price, price, part_qty)
    close_fee = fee(price, part_qty, taker_fee)
    rest_liq = liquidation_price(
        pos.side, pos.open_price, Money(pos.margin - part_margin), Qty(pos.qty - part_qty), mmr
    )
    return PositionPartiallyClosed(
        order_id=pos.order_id,
        part_order_id=ids.order(),
        user_id=pos.user_id,
        percent=percent,
        part_qty=part_qty,
        part_margin=part_margin,
        close_price=price,
        pnl=profit,
        settlement=settlement(part_margin, Money(profit - close_fee)),
        liquidation_price=rest_liq,
        ts=ts,
        asset=pos.asset,
        side=pos.side,
        leverage=pos.leverage,
        open_price=pos.open_price,
        part_liquidation_price=pos.liquidation_price,
        stop_loss=pos.stop_loss,
        take_profit=pos.take_profit,
        trailing_stop=pos.trailing_stop,
        opened_at=pos.opened_at,
        account_id=pos.account_id,
        close_fee=close_fee,
        fill_id=ids.fill(),
        reason=reason,
        by_order_id=by_order_id,
        reserved=reserved,
        by_client_order_id=by_client_order_id,
        by_reduce_only=by_reduce_only,
        by_order_type=by_order_type,
        by_order_price=by_order_price,
        by_time_in_force=by_time_in_force,
        **_order_terms(pos),
    )


def _order_terms(pos: Position) -> dict[str, Any]:
    """The terms of the order that opened ``pos``, which both close events repeat."""
    return {
        "order_type": pos.order_type,
        "price": pos.price,
        "client_order_id": pos.client_order_id,
        "oco_group_id": pos.oco_group_id,
        "created_at": pos.created_at,
    }


def close_at_quote(
    pos: Position, reason: str, q: Quote, ts: int, ids: Ids, taker: int
) -> PositionClosed:
    """A manual or triggered close at this quote: LONG sells at the bid, SHORT buys the ask."""
    return closed_event(pos, reason, close_price(pos.side, q.bid, q.ask), ts, ids, taker)
