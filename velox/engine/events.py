"""Events: what happened, in the past tense. ``Engine.apply`` is the only mutation.

Each event carries everything needed to apply it without recomputing business logic, so
replaying the journal never re-runs decisions against different prices.
"""

from __future__ import annotations

from dataclasses import dataclass

from velox.money import Money, Price, Qty


@dataclass(frozen=True, slots=True)
class Deposited:
    user_id: str
    amount: Money
    ts: int


@dataclass(frozen=True, slots=True)
class PositionOpened:
    order_id: str
    user_id: str
    asset: str
    side: str
    leverage: int
    margin: Money
    qty: Qty
    open_price: Price
    liquidation_price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    trailing_mark: Price | None
    ts: int


@dataclass(frozen=True, slots=True)
class PositionClosed:
    """A whole position closed: the trader gets ``settlement``, the house ``margin - settlement``.

    It repeats the position's terms so the closed order (history, websocket, audit) can be
    written from the event alone, without the state it left.
    """

    order_id: str
    user_id: str
    reason: str  # MANUAL | STOP_LOSS | TAKE_PROFIT | TRAILING_STOP | LIQUIDATION
    close_price: Price
    pnl: Money
    settlement: Money
    ts: int
    asset: str
    side: str
    leverage: int
    margin: Money
    qty: Qty
    open_price: Price
    liquidation_price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    opened_at: int


@dataclass(frozen=True, slots=True)
class PositionPartiallyClosed:
    """``part_qty``/``part_margin`` left ``order_id`` and closed as the new ``part_order_id``."""

    order_id: str
    part_order_id: str
    user_id: str
    percent: int
    part_qty: Qty
    part_margin: Money
    close_price: Price
    pnl: Money
    settlement: Money
    liquidation_price: Price  # of the remaining position
    ts: int
    # the terms of the closed part, as they were before the close
    asset: str
    side: str
    leverage: int
    open_price: Price
    part_liquidation_price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    opened_at: int


@dataclass(frozen=True, slots=True)
class MarginAdded:
    order_id: str
    user_id: str
    amount: Money
    liquidation_price: Price
    ts: int


@dataclass(frozen=True, slots=True)
class StopsModified:
    order_id: str
    user_id: str
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    trailing_mark: Price | None
    ts: int


@dataclass(frozen=True, slots=True)
class TrailingStopMoved:
    """One position's trailing mark moved. No longer emitted (see MarksMoved); kept so that
    journals written before it still replay."""

    order_id: str
    user_id: str
    mark: Price
    ts: int


@dataclass(frozen=True, slots=True)
class MarksMoved:
    """Every open position on ``asset`` with a trailing stop: LONG mark = max(mark, bid),
    SHORT mark = min(mark, ask).

    One event per asset and tick however many marks it moves, so the journal cost of a tick
    does not grow with trailing stops. ``apply`` finds the positions it moves through the
    trigger index's mark heaps (O(moved log n)); the per-position marks are read from the
    state after apply. Emitted only when at least one mark moves.
    """

    asset: str
    bid: Price
    ask: Price
    ts: int


Event = (
    Deposited
    | PositionOpened
    | PositionClosed
    | PositionPartiallyClosed
    | MarginAdded
    | StopsModified
    | TrailingStopMoved
    | MarksMoved
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        Deposited,
        PositionOpened,
        PositionClosed,
        PositionPartiallyClosed,
        MarginAdded,
        StopsModified,
        TrailingStopMoved,
        MarksMoved,
    )
}
