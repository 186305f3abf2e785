"""Executions: what a fill does to an account (SPEC 3, 12), as events. Pure decisions.

A market order, a marketable limit and a pending order the price reached all end here:
HEDGING opens a position of its own; NETTING scales into, reduces or flips the account's
one position on the asset. Every close is a taker fill whose fee comes out of the
settlement: the trader receives ``max(0, margin + pnl - closeFee)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from velox.engine.closes import Ids, closed_event, part_closed_event
from velox.engine.commands import GTC, MARKET, NETTING
from velox.engine.errors import Code, Refusal
from velox.engine.events import (
    Event,
    PositionIncreased,
    PositionOpened,
)
from velox.engine.formulas import (
    LONG,
    averaged_entry,
    fee,
    liquidation_price,
    margin_for_qty,
    qty_for_margin,
)
from velox.engine.state import STOP_NAMES, Account, Position, Quote, State
from velox.money import Money, Price, Qty, mul_div_floor


class Terms(NamedTuple):
    """An order as it reaches the fill: what the trader asked, and what it reserved.

    A NamedTuple: built for every order, and a frozen dataclass of 18 fields cost ~15 us."""

    account_id: str
    user_id: str
    asset: str
    side: str
    leverage: int
    margin: Money | None
    qty: Qty | None
    stop_loss: Price | None
    take_profit: Price | None
    trailing_stop: Price | None
    reduce_only: bool = False
    order_type: str = MARKET
    price: Price | None = None
    client_order_id: str | None = None
    oco_group_id: str | None = None
    created_at: int | None = None
    reserved: Money = Money(0)
    pending_id: str | None = None  # the resting order this fill ends
    time_in_force: str = GTC  # the order's, which the events that write its row carry


def _sized(terms: Terms, price: Price, qty: Qty | None = None) -> tuple[Qty, Money]:
    """(qty, margin) at the fill price: from margin qty rounds down, from qty margin up."""
    if qty is not None:
        return qty, margin_for_qty(qty, terms.leverage, price)
    if terms.margin is not None:
        return qty_for_margin(terms.margin, terms.leverage, price), terms.margin
    assert terms.qty is not None
    return terms.qty, margin_for_qty(terms.qty, terms.leverage, price)


def _mark(side: str, q: Quote, trailing: Price | None) -> Price | None:
    return None if trailing is None else (q.bid if side == LONG else q.ask)


def _rate(state: State, maker: bool) -> int:
    return state.settings.maker_fee if maker else state.settings.taker_fee


def execute(
    state: State,
    account: Account,
    terms: Terms,
    order_id: str,
    price: Price,
    maker: bool,
    q: Quote,
    ts: int,
    ids: Ids,
) -> list[Event] | Refusal:
    """The events of filling ``terms`` at ``price`` (``order_id``: the order's id)."""
    held_id = account.netted.get(terms.asset) if account.mode == NETTING else None
    if held_id is None:
        if terms.reduce_only:
            return Refusal(Code.REDUCE_ONLY_REJECTED, "reduceOnly with no position to reduce")
        return _open(state, account, terms, order_id, price, maker, q, ts, ids)
    held = state.positions[held_id]
    if held.side == terms.side:
        return _scale_in(state, account, held, terms, order_id, price, maker, q, ts, ids)
    return _reduce(state, account, held, terms, order_id, price, maker, q, ts, ids)


def _open(
    state: State,
    account: Account,
    terms: Terms,
    order_id: str,
    price: Price,
    maker: bool,
    q: Quote,
    ts: int,
    ids: Ids,
    credit: Money | None = None,
    qty: Qty | None = None,
) -> list[Event] | Refusal:
    size, margin = _sized(terms, price, qty)
    if size == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    open_fee = fee(price, size, _rate(state, maker))
    # a flip is credited the close's settlement and the order's released reservation
    available = account.balance + (terms.reserved if credit is None else credit)
    if margin + open_fee > available:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance for margin and fee")
    return [
        PositionOpened(
            order_id=order_id,
            user_id=terms.user_id,
            asset=terms.asset,
            side=terms.side,
            leverage=terms.leverage,
            margin=margin,
            qty=size,
            open_price=price,
            liquidation_price=liquidation_price(
                terms.side, price, margin, size, state.settings.mmr
            ),
            stop_loss=terms.stop_loss,
            take_profit=terms.take_profit,
            trailing_stop=terms.trailing_stop,
            trailing_mark=_mark(terms.side, q, terms.trailing_stop),
            ts=ts,
            account_id=terms.account_id,
            fee=open_fee,
            maker=maker,
            fill_id=ids.fill(),
            reserved=terms.reserved if credit is None else Money(0),
            order_type=terms.order_type,
            price=terms.price,
            client_order_id=terms.client_order_id,
            oco_group_id=terms.oco_group_id,
            created_at=terms.created_at,
            time_in_force=terms.time_in_force,
        )
    ]


def _scale_in(
    state: State,
    account: Account,
    held: Position,
    terms: Terms,
    order_id: str,
    price: Price,
    maker: bool,
    q: Quote,
    ts: int,
    ids: Ids,
) -> list[Event] | Refusal:
    if terms.reduce_only:
        return Refusal(Code.REDUCE_ONLY_REJECTED, "reduceOnly on the position's own side")
    if terms.leverage != held.leverage:
        return Refusal(
            Code.LEVERAGE_MISMATCH, f"the position's leverage is {held.leverage}", "leverage"
        )
    size, margin = _sized(terms, price)
    if size == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    add_fee = fee(price, size, _rate(state, maker))
    if margin + add_fee > account.balance + terms.reserved:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance for margin and fee")
    new_qty = Qty(held.qty + size)
    new_margin = Money(held.margin + margin)
    entry = averaged_entry(held.side, held.qty, held.open_price, size, price)
    # each stop given replaces that stop (SPEC 12); one not given stays: a new target alone
    # must not take the stop-loss away
    sl = held.stop_loss if terms.stop_loss is None else terms.stop_loss
    tp = held.take_profit if terms.take_profit is None else terms.take_profit
    trail, mark = (
        (held.trailing_stop, held.trailing_mark)
        if terms.trailing_stop is None
        else (terms.trailing_stop, _mark(held.side, q, terms.trailing_stop))
    )
    return [
        PositionIncreased(
            order_id=order_id,
            position_id=held.order_id,
            account_id=terms.account_id,
            user_id=terms.user_id,
            asset=terms.asset,
            side=terms.side,
            leverage=terms.leverage,
            qty=size,
            margin=margin,
            price=price,
            fee=add_fee,
            maker=maker,
            fill_id=ids.fill(),
            reserved=terms.reserved,
            new_qty=new_qty,
            new_margin=new_margin,
            new_open_price=entry,
            liquidation_price=liquidation_price(
                held.side, entry, new_margin, new_qty, state.settings.mmr
            ),
            stop_loss=sl,
            take_profit=tp,
            trailing_stop=trail,
            trailing_mark=mark,
            ts=ts,
            client_order_id=terms.client_order_id,
            order_type=terms.order_type,
            order_price=terms.price,
            time_in_force=terms.time_in_force,
            **_joined_stop_ids(held, (sl, tp, trail), ids),
        )
    ]


def _joined_stop_ids(held: Position, after: tuple[Price | None, ...], ids: Ids) -> Any:
    """The stops' ids and client ids once a scale-in set ``after`` (``PositionIncreased``):
    a stop set where there was none is a new order (the next order id), one replaced or
    kept keeps its own (as ``rules._stop_ids`` for the native PATCH)."""
    before = (held.stop_loss, held.take_profit, held.trailing_stop)
    out: dict[str, str | None] = {}
    for name, was, now in zip(STOP_NAMES, before, after, strict=True):
        own, client = getattr(held, f"{name}_id"), getattr(held, f"{name}_client")
        if now is not None and was is None:
            own, client = ids.order(), None
        out[f"{name}_id"], out[f"{name}_client"] = own, client
    return out


def _reduce(
    state: State,
    account: Account,
    held: Position,
    terms: Terms,
    order_id: str,
    price: Price,
    maker: bool,
    q: Quote,
    ts: int,
    ids: Ids,
) -> list[Event] | Refusal:
    """An opposite fill: close min(q, Q) as a partial close does; flip the rest."""
    size, _ = _sized(terms, price)
    if terms.reduce_only:
        size = Qty(min(size, held.qty))
    if size == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    taker = state.settings.taker_fee
    # the order that reduces is an order of its own (a resting order's id, or a market order's
    # new one): its row says FILLED and the close's fill carries its id. A market flip's id
    # goes on the position it opens instead (one row, OPEN, as for any market open), and on
    # the close's fill (``flip_order_id``): one order, both its executions. A market
    # order's clientOrderId goes on the close, so a retry answers the position (a pending
    # order's was remembered when it was placed; a flip's new position remembers its own)
    market_reduce = terms.pending_id is None and size <= held.qty
    by = order_id if market_reduce else terms.pending_id
    by_client = terms.client_order_id if market_reduce else None
    if size < held.qty:
        part_margin = Money(mul_div_floor(held.margin, size, held.qty))
        part = part_closed_event(
            held,
            size,
            part_margin,
            price,
            ts,
            ids,
            taker,
            state.settings.mmr,
            reason="REDUCE",
            by_order_id=by,
            reserved=terms.reserved,
            by_client_order_id=by_client,
            by_reduce_only=market_reduce and terms.reduce_only,
            by_order_type=terms.order_type,
            by_order_price=terms.price,
            by_time_in_force=terms.time_in_force,
        )
        return [part]
    flips = size > held.qty and terms.pending_id is None  # a market order's rest opens
    closed = closed_event(
        held, "REDUCE", price, ts, ids, taker, by, terms.reserved, by_client,
        market_reduce and terms.reduce_only, order_id if flips else None,
        terms.order_type, terms.price, terms.time_in_force,
    )  # fmt: skip
    if size == held.qty:
        return [closed]
    rest = Qty(size - held.qty)
    if _sized(terms, price, rest)[1] < state.settings.min_margin:
        # the rest opens a position: SPEC 3's minimum margin holds for it as for any open;
        # a market order is refused (422), a resting one ends REJECTED at its fill (its
        # placing could not know the position it would meet)
        return Refusal(
            Code.MARGIN_TOO_SMALL,
            "the position this order would open after closing the held one is below the "
            "minimum margin: send at most the held quantity to close it",
            "margin",
        )
    flipped = _open(
        state,
        account,
        terms,
        order_id,
        price,
        maker,
        q,
        ts,
        ids,
        Money(closed.settlement + terms.reserved),
        rest,
    )
    if isinstance(flipped, Refusal):
        return flipped
    return [closed, *flipped]
