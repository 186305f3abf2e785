"""Events: what happened, in the past tense. ``Engine.apply`` is the only mutation.

Each event carries everything needed to apply it without recomputing business logic, so
replaying the journal never re-runs decisions against different prices.

Engine v2 (SPEC 12/13) added fields at the END of the v1 events, with defaults, so journals
written before still decode: ``account_id=None`` there means the user's first account
(the only one v1 had), fees and reservations 0, no fill id. Events that finish an order or
a position repeat its terms, so history rows (closed positions, cancelled orders, fills)
are written from the event alone.

Every execution is a fill and carries a ``fill_id`` (decimal string from the engine's fill
counter): PositionOpened, PositionIncreased, PositionPartiallyClosed, PositionClosed.
``velox.engine.views.fills_of(event)`` turns any event into its fills.

Version 5 added an order's time in force (GTC, IOC, FOK, GTX: ``OpenPosition``'s) to the
events that write its row, so it is the order's from placement to its end (Binance's API
reads it back); journals written before decode with GTC, all an older Velox kept.
"""

from __future__ import annotations

from velox.engine.formulas import close_fee_paid
from velox.frozen import frozen
from velox.money import Money, Price, Qty

_ZERO = Money(0)

# Statuses of an order (SPEC 12) and why one ended without a fill.
PENDING = "PENDING"
OPEN = "OPEN"
CLOSED = "CLOSED"
CANCELLED = "CANCELLED"
EXPIRED = "EXPIRED"
REJECTED = "REJECTED"
FILLED = "FILLED"  # a NETTING order that went into an existing position
# cancel reasons
BY_USER = "USER"
BY_OCO = "OCO"
BY_EXPIRY = "EXPIRED"
BY_RESET = "RESET"
BY_CLOSE = "POSITION_CLOSED"  # a reduce-only order, expired with the position it reduced
NO_BALANCE = "INSUFFICIENT_BALANCE"


# -- accounts ------------------------------------------------------------------------------
@frozen
class AccountCreated:
    """A paper account; its initial balance arrives as the Deposited that follows."""

    account_id: str
    user_id: str
    name: str
    mode: str  # HEDGING | NETTING
    ts: int


@frozen
class AccountRenamed:
    account_id: str
    user_id: str
    name: str
    ts: int


@frozen
class Deposited:
    """Money into (or, for a reset's adjustment, out of: negative) an account's free balance.

    ``kind``: DEPOSIT, or RESET for the adjustment that brings a reset account back to the
    initial balance; both count in ``deposits`` so conservation holds. A v1 Deposited for a
    user with no account creates the user's first account (HEDGING, "Main").
    """

    user_id: str
    amount: Money
    ts: int
    account_id: str | None = None
    kind: str = "DEPOSIT"


# -- pending orders ------------------------------------------------------------------------
@frozen
class OrderPlaced:
    """A LIMIT / STOP order rests; ``reserved`` left the free balance into pending margin.

    ``margin`` / ``qty``: what the trader asked (exactly one is set); the position is sized
    at the fill price (SPEC 12).
    """

    order_id: str
    account_id: str
    user_id: str
    asset: str
    side: str
    order_type: str  # LIMIT | STOP
    leverage: int
    price: Price
    margin: Money | None
    qty: Qty | None
    reserved: Money
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    expires_at: int | None
    client_order_id: str | None
    oco_group_id: str | None
    reduce_only: bool
    ts: int
    # -- v5 --
    time_in_force: str = "GTC"  # LIMIT: GTC | IOC | FOK | GTX, as it was placed


@frozen
class OrderModified:
    """A pending order's new terms; the reservation becomes ``reserved``."""

    order_id: str
    account_id: str
    user_id: str
    price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    expires_at: int | None
    reserved: Money
    ts: int


@frozen
class OrderCancelled:
    """A pending order ended unfilled: ``status`` CANCELLED / EXPIRED / REJECTED, ``reason``
    USER / OCO / EXPIRED / RESET / INSUFFICIENT_BALANCE; ``released`` returns to the free
    balance. The order's terms are repeated for its history row."""

    order_id: str
    account_id: str
    user_id: str
    status: str
    reason: str
    released: Money
    ts: int
    asset: str
    side: str
    order_type: str
    leverage: int
    price: Price
    margin: Money | None
    qty: Qty | None
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    expires_at: int | None
    client_order_id: str | None
    oco_group_id: str | None
    reduce_only: bool
    created_at: int
    time_in_force: str = "GTC"  # v5


@frozen
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
    # -- v2 --
    account_id: str | None = None
    fee: Money = _ZERO  # the open fill's fee, taken from the free balance
    maker: bool = False
    fill_id: str | None = None
    reserved: Money = _ZERO  # a filled pending order's reservation, released at the fill
    order_type: str = "MARKET"
    price: Price | None = None  # the LIMIT / STOP price of a filled pending order
    client_order_id: str | None = None
    oco_group_id: str | None = None
    created_at: int | None = None  # when the order was placed (None: at ``ts``)
    time_in_force: str = "GTC"  # v5: the order's (a LIMIT that filled at once: IOC, FOK)


@frozen
class PositionIncreased:
    """NETTING scale-in: ``qty``/``margin`` at ``price`` joined position ``position_id``;
    its entry is averaged against the trader and its stops replaced when the order gave
    any. ``order_id`` is the filling order (FILLED when it was pending)."""

    order_id: str
    position_id: str
    account_id: str
    user_id: str
    asset: str
    side: str
    leverage: int
    qty: Qty
    margin: Money
    price: Price
    fee: Money
    maker: bool
    fill_id: str
    reserved: Money
    new_qty: Qty
    new_margin: Money
    new_open_price: Price
    liquidation_price: Price
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    trailing_mark: Price | None
    ts: int
    client_order_id: str | None = None
    # the filling order's own terms (a LIMIT that filled at once has no orders row before)
    order_type: str = "MARKET"
    order_price: Price | None = None
    time_in_force: str = "GTC"  # v5
    # v6: each stop's own id and client id once the order joined (``StopsModified``'s): one
    # it set where there was none has a new id, one it replaced or kept keeps its own
    stop_loss_id: str | None = None
    take_profit_id: str | None = None
    trailing_stop_id: str | None = None
    stop_loss_client: str | None = None
    take_profit_client: str | None = None
    trailing_stop_client: str | None = None


@frozen
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
    # -- v2 --
    account_id: str | None = None
    close_fee: Money = _ZERO  # this close's taker fee (out of the settlement)
    fee: Money = _ZERO  # every fee the position paid, this one included
    funding: Money = _ZERO  # net funding of the position (+ received, - paid)
    fill_id: str | None = None
    by_order_id: str | None = None  # NETTING: the opposite order that closed it (REDUCE)
    reserved: Money = _ZERO  # that order's reservation, released (when it was pending)
    # the terms of the order that opened the position (shown with the closed order)
    order_type: str = "MARKET"
    price: Price | None = None
    client_order_id: str | None = None
    oco_group_id: str | None = None
    created_at: int | None = None
    # NETTING: the clientOrderId of a market order that only reduced (its reply is the
    # position): a retry finds the position it acted on instead of reducing it again
    by_client_order_id: str | None = None
    by_reduce_only: bool = False  # that market order was reduceOnly (its orders row says so)
    # NETTING: the market order that closed it and opened the other way with the rest (a
    # flip). Its fill carries that order's id, as an exchange's would; not ``by_order_id``,
    # whose order ends FILLED: a flip's order row is the new position's, OPEN.
    flip_order_id: str | None = None
    # REDUCE: the type and price of the opposite order (a LIMIT that filled at once)
    by_order_type: str = "MARKET"
    by_order_price: Price | None = None
    by_time_in_force: str = "GTC"  # v5


@frozen
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
    # -- v2 --
    account_id: str | None = None
    close_fee: Money = _ZERO
    fill_id: str | None = None
    reason: str = "PARTIAL"  # PARTIAL | REDUCE (NETTING: an opposite order)
    by_order_id: str | None = None  # REDUCE: the opposite order (FILLED when it was pending)
    reserved: Money = _ZERO  # that order's reservation, released
    # the terms of the order that opened the position (shown with the closed order)
    order_type: str = "MARKET"
    price: Price | None = None
    client_order_id: str | None = None
    oco_group_id: str | None = None
    created_at: int | None = None
    # NETTING: the clientOrderId of a market order that only reduced (its reply is the
    # position): a retry finds the position it acted on instead of reducing it again
    by_client_order_id: str | None = None
    by_reduce_only: bool = False  # that market order was reduceOnly (its orders row says so)
    by_order_type: str = "MARKET"  # REDUCE: the opposite order's type and price
    by_order_price: Price | None = None
    by_time_in_force: str = "GTC"  # v5


def close_paid(event: PositionClosed | PositionPartiallyClosed) -> tuple[Money, Money]:
    """(fee paid, realized PnL) of a close: what moved money, as its fill reports it.

    The event keeps the formula's ``pnl`` and ``close_fee``; when the settlement is capped
    at 0 the trader paid only what ``margin + pnl`` held of the fee (``close_fee_paid``) and
    lost at most the margin, so ``margin + realized - fee paid == settlement``. Uncapped:
    ``(close_fee, pnl)``.
    """
    margin = event.margin if isinstance(event, PositionClosed) else event.part_margin
    paid = close_fee_paid(margin, event.pnl, event.close_fee)
    return paid, Money(event.settlement + paid - margin)


@frozen
class MarginAdded:
    order_id: str
    user_id: str
    amount: Money
    liquidation_price: Price
    ts: int
    account_id: str | None = None


@frozen
class StopsModified:
    order_id: str
    user_id: str
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    trailing_mark: Price | None
    ts: int
    account_id: str | None = None
    # v6: each stop's own id and client id (``Position``'s): a stop set by this event has a
    # new id (from the order ids), one changed in place keeps its own; None for a stop
    # cleared, or set before v6 (journal rows written before them decode so)
    stop_loss_id: str | None = None
    take_profit_id: str | None = None
    trailing_stop_id: str | None = None
    stop_loss_client: str | None = None
    take_profit_client: str | None = None
    trailing_stop_client: str | None = None
    asset: str = ""  # v6: the position's (the stops' rows name them)
    side: str = ""


# -- funding -------------------------------------------------------------------------------
@frozen
class FundingCharged:
    """Position ``order_id`` exchanged ``amount`` with the house at ``boundary`` (+ received,
    - paid: at most its margin), moving its isolated margin to ``margin``."""

    order_id: str
    account_id: str
    user_id: str
    asset: str
    boundary: int
    ref: Price
    rate: int  # fraction in units of 10^-8, may be negative
    amount: Money
    margin: Money
    liquidation_price: Price
    ts: int


@frozen
class FundingCompleted:
    """Every position open at ``boundary`` has been charged: the boundary is done."""

    boundary: int
    ts: int


@frozen
class FundingIntervalSet:
    """The funding interval this platform runs with from ``ts`` (0: no funding), journaled
    at start when it turns funding off or back on. Why: turned back on, the boundaries of
    the time it was off are owed by nobody; without this record the walk would go on from
    the last boundary done and charge every one of them at once."""

    interval_ms: int
    ts: int


@frozen
class TrailingStopMoved:
    """One position's trailing mark moved. No longer emitted (see MarksMoved); kept so that
    journals written before it still replay."""

    order_id: str
    user_id: str
    mark: Price
    ts: int


@frozen
class MarksMoved:
    """Every open position on ``asset`` with a trailing stop: LONG mark = max(mark, bid),
    SHORT mark = min(mark, ask).

    One event per asset and tick however many marks it moves, so the journal cost of a tick
    does not grow with trailing stops. ``apply`` merges the trigger index's cohorts of equal
    marks that the quote reaches into one at the new mark, then writes each member's mark:
    no heap work per position. The per-position marks are read from the state after apply.
    Emitted only when at least one mark moves.
    """

    asset: str
    bid: Price
    ask: Price
    ts: int


Event = (
    AccountCreated
    | AccountRenamed
    | Deposited
    | OrderPlaced
    | OrderModified
    | OrderCancelled
    | PositionOpened
    | PositionIncreased
    | PositionClosed
    | PositionPartiallyClosed
    | MarginAdded
    | StopsModified
    | TrailingStopMoved
    | MarksMoved
    | FundingCharged
    | FundingCompleted
    | FundingIntervalSet
)

EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        AccountCreated,
        AccountRenamed,
        Deposited,
        OrderPlaced,
        OrderModified,
        OrderCancelled,
        PositionOpened,
        PositionIncreased,
        PositionClosed,
        PositionPartiallyClosed,
        MarginAdded,
        StopsModified,
        TrailingStopMoved,
        MarksMoved,
        FundingCharged,
        FundingCompleted,
        FundingIntervalSet,
    )
}
