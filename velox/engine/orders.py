"""Pending LIMIT / STOP orders (SPEC 12): placing, OCO pairs, cancel, modify, and what a
tick that reaches one does. Pure decisions over the state; ``Engine`` applies them."""

from __future__ import annotations

from velox.engine.checks import (
    check_open,
    no_account,
    price_of,
    stale,
    terms_of,
    too_many,
    validate_stops,
)
from velox.engine.closes import Ids
from velox.engine.commands import (
    FOK,
    IOC,
    LIMIT,
    NETTING,
    STOP,
    CancelOrder,
    Keep,
    ModifyOrder,
    OpenPosition,
    PlaceOco,
)
from velox.engine.errors import Code, Refusal
from velox.engine.events import (
    BY_EXPIRY,
    BY_OCO,
    BY_USER,
    CANCELLED,
    EXPIRED,
    NO_BALANCE,
    REJECTED,
    Event,
    OrderCancelled,
    OrderModified,
    OrderPlaced,
)
from velox.engine.fills import Terms, execute
from velox.engine.formulas import LONG
from velox.engine.resting import reservation, size_refusal, would_trigger
from velox.engine.state import Account, Pending, Quote, State, pending_placed_by
from velox.money import Money, Price

Decision = list[Event] | Refusal


def unfilled(engine: State, account: Account, cmd: OpenPosition, q: Quote) -> Decision:
    """An order the quote does not fill now, by its time in force: it rests (GTC, GTX), is
    placed and ends EXPIRED in the same decision (IOC: its history row and the user stream
    show both, as Binance's do), or is refused, leaving nothing (FOK)."""
    if cmd.time_in_force == FOK:
        return Refusal(Code.WOULD_NOT_FILL, "a fill-or-kill order must fill at once", "price")
    decision = place(engine, account, cmd, q)
    if cmd.time_in_force != IOC or isinstance(decision, Refusal):
        return decision
    (placed,) = decision
    assert isinstance(placed, OrderPlaced)
    return [placed, cancelled(pending_placed_by(placed), EXPIRED, BY_EXPIRY, cmd.ts)]


def place(
    engine: State,
    account: Account,
    cmd: OpenPosition,
    q: Quote,
    ids: Ids | None = None,
    oco: str | None = None,
    spent: int = 0,
) -> Decision:
    """A resting order: checks against its price, then its margin reserved."""
    assert cmd.price is not None
    price = Price(cmd.price)
    if cmd.order_type == STOP and would_trigger(STOP, cmd.side, price, q):
        return Refusal(Code.WOULD_TRIGGER_IMMEDIATELY, "the stop price is already reached", "price")
    at_price = Quote(price, price, price, q.ts)
    refusal = validate_stops(
        cmd.side, at_price, cmd.stop_loss, cmd.take_profit, cmd.trailing_stop, None,
        at_order_price=True,
    )  # fmt: skip
    if refusal is not None:
        return refusal
    refusal = size_refusal(engine, cmd.margin, cmd.qty, cmd.leverage, price, cmd.reduce_only)
    if refusal is not None:
        return refusal
    reserved = reservation(cmd.margin, cmd.qty, cmd.leverage, price, cmd.reduce_only)
    if account.mode == NETTING:
        held_id = account.netted.get(cmd.asset)
        held = engine.positions[held_id] if held_id is not None else None
        if cmd.reduce_only and (held is None or held.side == cmd.side):
            return Refusal(Code.REDUCE_ONLY_REJECTED, "reduceOnly needs a position to reduce")
        if held is not None and held.side == cmd.side and held.leverage != cmd.leverage:
            return Refusal(
                Code.LEVERAGE_MISMATCH, f"the position's leverage is {held.leverage}", "leverage"
            )
    refusal = too_many(engine, account, 1 if spent else 0)
    if refusal is not None:
        return refusal
    if reserved + spent > account.balance:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance for this margin")
    ids = ids or Ids(engine)
    return [
        OrderPlaced(
            order_id=ids.order(),
            account_id=account.account_id,
            user_id=cmd.user_id,
            asset=cmd.asset,
            side=cmd.side,
            order_type=cmd.order_type,
            leverage=cmd.leverage,
            price=price,
            margin=None if cmd.margin is None else Money(cmd.margin),
            qty=None if cmd.qty is None else terms_of(cmd, account).qty,
            reserved=reserved,
            stop_loss=price_of(cmd.stop_loss),
            take_profit=price_of(cmd.take_profit),
            trailing_stop=price_of(cmd.trailing_stop),
            expires_at=cmd.expires_at,
            client_order_id=cmd.client_order_id,
            oco_group_id=oco,
            reduce_only=cmd.reduce_only,
            ts=cmd.ts,
            time_in_force=cmd.time_in_force,
        )
    ]


def cancelled(order: Pending, status: str, reason: str, ts: int) -> OrderCancelled:
    return OrderCancelled(
        order_id=order.order_id,
        account_id=order.account_id,
        user_id=order.user_id,
        status=status,
        reason=reason,
        released=order.reserved,
        ts=ts,
        asset=order.asset,
        side=order.side,
        order_type=order.order_type,
        leverage=order.leverage,
        price=order.price,
        margin=order.margin,
        qty=order.qty,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
        trailing_stop=order.trailing_stop,
        expires_at=order.expires_at,
        client_order_id=order.client_order_id,
        oco_group_id=order.oco_group_id,
        reduce_only=order.reduce_only,
        created_at=order.created_at,
        time_in_force=order.time_in_force,
    )


def sibling(engine: State, order: Pending) -> Pending | None:
    """The other leg of ``order``'s OCO pair while it is still pending."""
    if order.oco_group_id is None:
        return None
    for other_id in engine.oco_groups.get(order.oco_group_id, ()):
        if other_id != order.order_id:
            return engine.pending.get(other_id)
    return None


def ended(engine: State, order: Pending, event: Event, ts: int) -> list[Event]:
    """``event`` ends ``order``; its OCO sibling (if any) ends CANCELLED with reason OCO."""
    other = sibling(engine, order)
    return [event] if other is None else [event, cancelled(other, CANCELLED, BY_OCO, ts)]


def fill_reached(engine: State, order: Pending, q: Quote, ts: int) -> list[Event]:
    """A tick reached ``order``: a LIMIT fills at its price (maker), a STOP at the tick's
    ask / bid (taker). Not enough balance (or any refusal of the fill): REJECTED."""
    account = engine.accounts[order.account_id]
    if order.order_type == LIMIT:
        price, maker = order.price, True
    else:
        price, maker = (q.ask if order.side == LONG else q.bid), False
    terms = Terms(
        account_id=order.account_id,
        user_id=order.user_id,
        asset=order.asset,
        side=order.side,
        leverage=order.leverage,
        margin=order.margin,
        qty=order.qty,
        stop_loss=order.stop_loss,
        take_profit=order.take_profit,
        trailing_stop=order.trailing_stop,
        reduce_only=order.reduce_only,
        order_type=order.order_type,
        price=order.price,
        client_order_id=order.client_order_id,
        oco_group_id=order.oco_group_id,
        created_at=order.created_at,
        reserved=order.reserved,
        pending_id=order.order_id,
        time_in_force=order.time_in_force,
    )
    result = execute(engine, account, terms, order.order_id, price, maker, q, ts, Ids(engine))
    if isinstance(result, Refusal):
        reason = NO_BALANCE if result.code == Code.INSUFFICIENT_BALANCE else result.code.value
        return ended(engine, order, cancelled(order, REJECTED, reason, ts), ts)
    other = sibling(engine, order)
    return result if other is None else [*result, cancelled(other, CANCELLED, BY_OCO, ts)]


def _owned(engine: State, user_id: str, account_id: str | None, order_id: str) -> Pending | Refusal:
    order = engine.pending.get(order_id)
    account = engine.account_of(user_id, account_id)  # None named: the user's first
    mine = account.account_id if account is not None else None
    if order is not None and order.account_id == mine:
        return order
    pos = engine.positions.get(order_id)
    if pos is not None and pos.account_id == mine:
        return Refusal(Code.ORDER_NOT_PENDING, "the order is an open position, not pending")
    return Refusal(Code.NOT_FOUND, "no such pending order")


def decide(engine: State, cmd: CancelOrder | ModifyOrder | PlaceOco) -> Decision | str:
    if isinstance(cmd, PlaceOco):
        return _oco(engine, cmd)
    order = _owned(engine, cmd.user_id, cmd.account_id, cmd.order_id)
    if isinstance(order, Refusal):
        return order
    if isinstance(cmd, CancelOrder):
        return ended(engine, order, cancelled(order, CANCELLED, BY_USER, cmd.ts), cmd.ts)
    return _modify(engine, order, cmd)


def _pick(change: int | Keep | None, current: int | None) -> int | None:
    return current if isinstance(change, Keep) else change


def _modify(engine: State, order: Pending, cmd: ModifyOrder) -> Decision:
    price = order.price if isinstance(cmd.price, Keep) else cmd.price
    if price <= 0:
        return Refusal(Code.VALIDATION_ERROR, "price must be positive", "price")
    expires_at = _pick(cmd.expires_at, order.expires_at)
    if expires_at is not None and expires_at <= cmd.ts:
        return Refusal(Code.VALIDATION_ERROR, "expiresAt is in the past", "expiresAt")
    q = engine.quotes.get(order.asset)
    if q is None:
        return Refusal(Code.PRICE_STALE, f"no price for {order.asset} yet")
    if would_trigger(order.order_type, order.side, price, q):
        return Refusal(Code.WOULD_TRIGGER_IMMEDIATELY, "this price is already reached", "price")
    stop_loss = _pick(cmd.stop_loss, order.stop_loss)
    take_profit = _pick(cmd.take_profit, order.take_profit)
    trailing = _pick(cmd.trailing_stop, order.trailing_stop)
    at_price = Quote(Price(price), Price(price), Price(price), q.ts)
    refusal = validate_stops(
        order.side, at_price, stop_loss, take_profit, trailing, None, at_order_price=True
    )
    if refusal is not None:
        return refusal
    refusal = size_refusal(
        engine, order.margin, order.qty, order.leverage, Price(price), order.reduce_only
    )
    if refusal is not None:
        return refusal
    reserved = reservation(order.margin, order.qty, order.leverage, Price(price), order.reduce_only)
    account = engine.accounts[order.account_id]
    if reserved - order.reserved > account.balance:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance for this margin")
    return [
        OrderModified(
            order_id=order.order_id,
            account_id=order.account_id,
            user_id=order.user_id,
            price=Price(price),
            stop_loss=price_of(stop_loss),
            take_profit=price_of(take_profit),
            trailing_stop=price_of(trailing),
            expires_at=expires_at,
            reserved=reserved,
            ts=cmd.ts,
        )
    ]


def _oco(engine: State, cmd: PlaceOco) -> Decision | str:
    account = engine.account_of(cmd.user_id, cmd.account_id)
    if account is None:
        return no_account()
    legs = (cmd.first, cmd.second)
    taken = [engine.client_ids.get((account.account_id, leg.client_order_id or "")) for leg in legs]
    if legs[0].client_order_id and legs[1].client_order_id and None not in taken:
        return str(taken[0])  # a retry: both ids are taken (the web answers the pair, 200)
    for leg in legs:
        if leg.user_id != cmd.user_id or leg.account_id not in (None, account.account_id):
            return Refusal(Code.VALIDATION_ERROR, "both orders belong to this account", "orders")
        if leg.order_type not in (LIMIT, STOP):
            return Refusal(Code.VALIDATION_ERROR, "OCO orders are LIMIT or STOP", "type")
        refusal = check_open(engine, leg, account)
        if refusal is not None:
            return refusal
        if leg.client_order_id is not None and (
            (account.account_id, leg.client_order_id) in engine.client_ids
        ):
            return Refusal(Code.VALIDATION_ERROR, "clientOrderId already used", "clientOrderId")
    if cmd.first.asset != cmd.second.asset:
        return Refusal(Code.VALIDATION_ERROR, "both orders are on one asset", "asset")
    if cmd.first.client_order_id is not None and (
        cmd.first.client_order_id == cmd.second.client_order_id
    ):
        return Refusal(Code.VALIDATION_ERROR, "two orders, two clientOrderIds", "clientOrderId")
    q = engine.fresh_quote(cmd.first.asset, cmd.ts)
    if q is None:
        return stale(cmd.first.asset)
    for leg in legs:
        if leg.order_type == LIMIT and would_trigger(LIMIT, leg.side, leg.price or 0, q):
            return Refusal(
                Code.WOULD_TRIGGER_IMMEDIATELY, "an OCO limit must rest, not fill now", "price"
            )
    ids = Ids(engine)
    group = engine.allocate_order_id()
    first = place(engine, account, cmd.first, q, ids, group)
    if isinstance(first, Refusal):
        return first
    (placed,) = first
    assert isinstance(placed, OrderPlaced)
    second = place(engine, account, cmd.second, q, ids, group, placed.reserved)
    if isinstance(second, Refusal):
        return second
    return [*first, *second]
