"""The business rules of SPEC.md sections 3 and 12: a command and the state in, events or a
refusal out. Opening (market, marketable limit, or a resting LIMIT / STOP), closing, margin
and stops of positions live here; accounts in accounts.py, pending orders in orders.py.

Nothing here mutates the engine; ``Engine.handle`` applies what these functions return.
"""

from __future__ import annotations

from velox.engine import accounts, funding, orders
from velox.engine.checks import (
    adds_position,
    check_open,
    marketable,
    only_reduces,
    price_of,
    stale,
    terms_of,
    too_many,
    validate_stops,
)
from velox.engine.closes import Ids, close_at_quote, part_closed_event
from velox.engine.commands import (
    GTX,
    AddMargin,
    CancelOrder,
    ClosePosition,
    Command,
    CreateAccount,
    Deposit,
    Keep,
    ModifyOrder,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
    PlaceOco,
    RecordFundingInterval,
    RenameAccount,
    ResetAccount,
)
from velox.engine.errors import Code, Refusal
from velox.engine.events import Event, MarginAdded, StopsModified
from velox.engine.fills import execute
from velox.engine.formulas import (
    LONG,
    liquidation_price,
    margin_for_qty,
    open_price,
    qty_for_margin,
    slippage_ok,
)
from velox.engine.state import STOP_NAMES, Position, State
from velox.money import Money, Price, Qty, mul_div_floor

Decision = list[Event] | Refusal


def decide(engine: State, command: Command) -> Decision | str:
    """Events, a refusal, or (a repeated clientOrderId) the id of the existing order."""
    if isinstance(command, OpenPosition):
        return _open(engine, command)
    if isinstance(command, ClosePosition):
        return _close(engine, command)
    if isinstance(command, AddMargin):
        return _add_margin(engine, command)
    if isinstance(command, ModifyPosition):
        return _modify(engine, command)
    if isinstance(command, CancelOrder | ModifyOrder | PlaceOco):
        return orders.decide(engine, command)
    if isinstance(command, OpenAccount | CreateAccount | RenameAccount | ResetAccount | Deposit):
        return accounts.decide(engine, command)
    if isinstance(command, RecordFundingInterval):
        return list(funding.record_interval(engine, command))
    return Refusal(Code.VALIDATION_ERROR, "unknown command")


def _open(engine: State, cmd: OpenPosition) -> Decision | str:
    s = engine.settings
    account = engine.account_of(cmd.user_id, cmd.account_id)
    # a repeated clientOrderId first: a retry is the same request, and answers the first
    # order even once a check would now refuse it (its expiresAt passed meanwhile)
    if account is not None and cmd.client_order_id is not None:
        existing = engine.client_ids.get((account.account_id, cmd.client_order_id))
        if existing is not None and not cmd.client_id_reusable:
            return existing
        if existing is not None and existing in engine.pending:
            return Refusal(
                Code.DUPLICATE_CLIENT_ORDER_ID, "a resting order has this clientOrderId",
                "clientOrderId",
            )  # fmt: skip
    refusal = check_open(engine, cmd, account)
    if refusal is not None:
        return refusal
    assert account is not None
    q = engine.fresh_quote(cmd.asset, cmd.ts)
    if q is None:
        return stale(cmd.asset)
    if not marketable(cmd, q):
        return orders.unfilled(engine, account, cmd, q)
    if cmd.time_in_force == GTX:
        return Refusal(Code.WOULD_TAKE, "a post-only order would fill at once", "price")
    price = open_price(cmd.side, q.bid, q.ask)
    if cmd.margin is not None:
        margin, qty = Money(cmd.margin), qty_for_margin(Money(cmd.margin), cmd.leverage, price)
    else:
        assert cmd.qty is not None
        qty = Qty(cmd.qty)
        margin = margin_for_qty(qty, cmd.leverage, price)
    if qty == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    if margin < s.min_margin and not only_reduces(engine, account, cmd, qty):
        return Refusal(Code.MARGIN_TOO_SMALL, "margin is below the minimum", "margin")
    if (
        cmd.expected_price is not None
        and cmd.slippage_bps is not None
        and not slippage_ok(price, Price(cmd.expected_price), cmd.slippage_bps)
    ):
        return Refusal(Code.SLIPPAGE_EXCEEDED, "price moved beyond the allowed slippage")
    refusal = validate_stops(cmd.side, q, cmd.stop_loss, cmd.take_profit, cmd.trailing_stop, None)
    if refusal is not None:
        return refusal
    if adds_position(engine, account, cmd.asset):
        refusal = too_many(engine, account)
        if refusal is not None:
            return refusal
    ids = Ids(engine)
    return execute(
        engine, account, terms_of(cmd, account), ids.order(), price, False, q, cmd.ts, ids
    )


def _owned(
    engine: State, user_id: str, account_id: str | None, order_id: str
) -> Position | Refusal:
    pos = engine.positions.get(order_id)
    account = engine.account_of(user_id, account_id)  # None named: the user's first
    if pos is None or account is None or pos.account_id != account.account_id:
        return Refusal(Code.NOT_FOUND, "no such open order")
    return pos


def _close(engine: State, cmd: ClosePosition) -> Decision:
    pos = _owned(engine, cmd.user_id, cmd.account_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    if cmd.percent is not None and not 1 <= cmd.percent <= 99:
        return Refusal(Code.VALIDATION_ERROR, "percent must be an integer 1..99", "percent")
    q = engine.fresh_quote(pos.asset, cmd.ts)
    if q is None:
        return stale(pos.asset)
    ids = Ids(engine)
    taker = engine.settings.taker_fee
    if cmd.percent is None:
        return [close_at_quote(pos, "MANUAL", q, cmd.ts, ids, taker)]
    part_qty = Qty(mul_div_floor(pos.qty, cmd.percent, 100))
    part_margin = Money(mul_div_floor(pos.margin, cmd.percent, 100))
    if part_qty == 0 or part_qty == pos.qty:
        return Refusal(
            Code.VALIDATION_ERROR, "this percentage leaves a part with no quantity", "percent"
        )
    price = q.bid if pos.side == LONG else q.ask
    return [
        part_closed_event(
            pos, part_qty, part_margin, price, cmd.ts, ids, taker, engine.settings.mmr, cmd.percent
        )
    ]


def _add_margin(engine: State, cmd: AddMargin) -> Decision:

    pos = _owned(engine, cmd.user_id, cmd.account_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    if cmd.amount <= 0:
        return Refusal(Code.VALIDATION_ERROR, "amount must be positive", "amount")
    if pos.asset not in engine.quotes:
        return stale(pos.asset)
    account = engine.accounts[pos.account_id or ""]
    if cmd.amount > account.balance:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance", "amount")
    new_liq = liquidation_price(
        pos.side, pos.open_price, Money(pos.margin + cmd.amount), pos.qty, engine.settings.mmr
    )
    return [
        MarginAdded(pos.order_id, pos.user_id, Money(cmd.amount), new_liq, cmd.ts, pos.account_id)
    ]


def _pick(change: int | Keep | None, current: Price | None) -> Price | None:
    return current if isinstance(change, Keep) else price_of(change)


def _modify(engine: State, cmd: ModifyPosition) -> Decision:
    pos = _owned(engine, cmd.user_id, cmd.account_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    q = engine.quotes.get(pos.asset)
    if q is None:
        return stale(pos.asset)
    stop_loss = _pick(cmd.stop_loss, pos.stop_loss)
    take_profit = _pick(cmd.take_profit, pos.take_profit)
    trailing = _pick(cmd.trailing_stop, pos.trailing_stop)
    if trailing is None:
        mark = None
    elif pos.trailing_mark is None:
        mark = q.bid if pos.side == LONG else q.ask
    else:
        mark = pos.trailing_mark
    refusal = validate_stops(pos.side, q, stop_loss, take_profit, trailing, mark)
    if refusal is not None:
        return refusal
    ids = _stop_ids(engine, pos, (stop_loss, take_profit, trailing), cmd.client_id)
    return [
        StopsModified(
            pos.order_id,
            pos.user_id,
            stop_loss,
            take_profit,
            trailing,
            mark,
            cmd.ts,
            pos.account_id,
            asset=pos.asset,
            side=pos.side,
            **ids,
        )
    ]


def _stop_ids(
    engine: State, pos: Position, after: tuple[Price | None, ...], client: str | None
) -> dict[str, str | None]:
    """Each stop's ``<name>_id`` and ``<name>_client`` (``StopsModified``'s) once ``after``
    is set: a stop placed where there was none is a new order (the next order id, so never
    reused, also after a restart: the counter is the orders'), with ``client``; one changed
    in place (the native API) keeps its own; a cleared one has none."""
    before = (pos.stop_loss, pos.take_profit, pos.trailing_stop)
    held = ((pos.stop_loss_id, pos.stop_loss_client), (pos.take_profit_id, pos.take_profit_client),
            (pos.trailing_stop_id, pos.trailing_stop_client))  # fmt: skip
    next_id = int(engine.allocate_order_id())
    out: dict[str, str | None] = {}
    for name, was, now, (own, own_client) in zip(STOP_NAMES, before, after, held, strict=True):
        if now is None:
            own = own_client = None
        elif was is None:
            own, own_client = str(next_id), client
            next_id += 1
        out[f"{name}_id"], out[f"{name}_client"] = own, own_client
    return out
