"""Checks shared by opening a position and placing a pending order (SPEC 3, 12): field
rules that need no price, stops against a quote or an order price, position limits."""

from __future__ import annotations

import re

from velox.engine.commands import (
    GTC,
    LIMIT,
    MARKET,
    NETTING,
    ORDER_TYPES,
    TIMES_IN_FORCE,
    OpenPosition,
)
from velox.engine.errors import Code, Refusal
from velox.engine.fills import Terms
from velox.engine.formulas import LONG, SIDES
from velox.engine.state import Account, Quote, State
from velox.money import Money, Price, Qty

CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,36}")  # the native API's (no '/': a path part)
BINANCE_CLIENT_ID = re.compile(r"[.A-Z:/a-z0-9_-]{1,36}")  # Binance's: '/' too


def no_account() -> Refusal:
    return Refusal(Code.NOT_FOUND, "no such account")


def validate_stops(
    side: str,
    q: Quote,
    stop_loss: int | None,
    take_profit: int | None,
    trailing_stop: int | None,
    trailing_mark: int | None,
    *,
    at_order_price: bool = False,
) -> Refusal | None:
    """LONG needs stopLoss < bid < takeProfit, SHORT takeProfit < ask < stopLoss.

    A trailing distance must be positive and must not already be through the quote
    (that would close the position on the next tick). ``at_order_price``: ``q`` is a pending
    order's price (the position it opens starts there), and the messages say so.
    """
    bid, ask = ("the order price",) * 2 if at_order_price else ("the bid", "the ask")
    if side == LONG:
        if stop_loss is not None and not (0 < stop_loss < q.bid):
            return Refusal(Code.INVALID_STOP_LOSS, f"stop-loss must be below {bid}", "stopLoss")
        if take_profit is not None and not take_profit > q.bid:
            return Refusal(
                Code.INVALID_TAKE_PROFIT, f"take-profit must be above {bid}", "takeProfit"
            )
    else:
        if stop_loss is not None and not stop_loss > q.ask:
            return Refusal(Code.INVALID_STOP_LOSS, f"stop-loss must be above {ask}", "stopLoss")
        if take_profit is not None and not (0 < take_profit < q.ask):
            return Refusal(
                Code.INVALID_TAKE_PROFIT, f"take-profit must be below {ask}", "takeProfit"
            )
    if trailing_stop is not None:
        if trailing_stop <= 0:
            return Refusal(Code.VALIDATION_ERROR, "trailing stop must be positive", "trailingStop")
        if trailing_mark is not None:
            through = (
                q.bid <= trailing_mark - trailing_stop
                if side == LONG
                else q.ask >= trailing_mark + trailing_stop
            )
            if through:
                return Refusal(
                    Code.VALIDATION_ERROR,
                    "trailing stop is already through the current price",
                    "trailingStop",
                )
    return None


def stale(asset: str) -> Refusal:
    return Refusal(Code.PRICE_STALE, f"no fresh price for {asset}; try again shortly")


def price_of(value: int | None) -> Price | None:
    return None if value is None else Price(value)


def check_open(engine: State, cmd: OpenPosition, account: Account | None) -> Refusal | None:
    """Every check of an order that needs no price: fields, account, mode."""
    s = engine.settings
    if account is None:
        return no_account()
    if cmd.asset not in s.assets:
        return Refusal(Code.UNKNOWN_ASSET, f"unknown asset {cmd.asset!r}", "asset")
    if cmd.side not in SIDES:
        return Refusal(Code.VALIDATION_ERROR, "side must be LONG or SHORT", "side")
    if not 1 <= cmd.leverage <= s.max_leverage:
        return Refusal(Code.VALIDATION_ERROR, f"leverage must be 1..{s.max_leverage}", "leverage")
    if (cmd.margin is None) == (cmd.qty is None):
        field = "margin" if cmd.margin is None else "qty"  # the one missing, else the extra
        return Refusal(Code.VALIDATION_ERROR, "give exactly one of margin and qty", field)
    for name, value in (("margin", cmd.margin), ("qty", cmd.qty)):
        if value is not None and value <= 0:
            return Refusal(Code.VALIDATION_ERROR, f"{name} must be positive", name)
    if (cmd.expected_price is None) != (cmd.slippage_bps is None):
        return Refusal(
            Code.VALIDATION_ERROR,
            "expectedPrice and slippageBps come together",
            "expectedPrice" if cmd.expected_price is None else "slippageBps",
        )
    if cmd.order_type not in ORDER_TYPES:
        return Refusal(Code.VALIDATION_ERROR, "type must be MARKET, LIMIT or STOP", "type")
    if cmd.time_in_force not in TIMES_IN_FORCE:
        return Refusal(
            Code.VALIDATION_ERROR, "timeInForce must be GTC, IOC, FOK or GTX", "timeInForce"
        )
    if cmd.time_in_force != GTC and cmd.order_type != LIMIT:
        return Refusal(Code.VALIDATION_ERROR, "timeInForce is for LIMIT orders", "timeInForce")
    if cmd.order_type == MARKET:
        if cmd.price is not None:
            return Refusal(Code.VALIDATION_ERROR, "price is for LIMIT and STOP orders", "price")
        if cmd.expires_at is not None:
            return Refusal(
                Code.VALIDATION_ERROR, "expiresAt is for LIMIT and STOP orders", "expiresAt"
            )
    else:
        if cmd.price is None or cmd.price <= 0:
            return Refusal(Code.VALIDATION_ERROR, f"a {cmd.order_type} needs a price", "price")
        if cmd.expires_at is not None and cmd.expires_at <= cmd.ts:
            return Refusal(Code.VALIDATION_ERROR, "expiresAt is in the past", "expiresAt")
    pattern = BINANCE_CLIENT_ID if cmd.client_id_reusable else CLIENT_ID
    if cmd.client_order_id is not None and not pattern.fullmatch(cmd.client_order_id):
        return Refusal(
            Code.VALIDATION_ERROR, f"clientOrderId: 1-36 of {pattern.pattern}", "clientOrderId"
        )
    if cmd.reduce_only and account.mode != NETTING:
        return Refusal(Code.VALIDATION_ERROR, "reduceOnly is for NETTING accounts", "reduceOnly")
    return None


def terms_of(cmd: OpenPosition, account: Account, reserved: int = 0) -> Terms:
    return Terms(
        account_id=account.account_id,
        user_id=cmd.user_id,
        asset=cmd.asset,
        side=cmd.side,
        leverage=cmd.leverage,
        margin=None if cmd.margin is None else Money(cmd.margin),
        qty=None if cmd.qty is None else Qty(cmd.qty),
        stop_loss=price_of(cmd.stop_loss),
        take_profit=price_of(cmd.take_profit),
        trailing_stop=price_of(cmd.trailing_stop),
        reduce_only=cmd.reduce_only,
        order_type=cmd.order_type,
        price=price_of(cmd.price),
        client_order_id=cmd.client_order_id,
        created_at=cmd.ts,
        reserved=Money(reserved),
        time_in_force=cmd.time_in_force,
    )


def marketable(cmd: OpenPosition, q: Quote) -> bool:
    """A MARKET order, or a LIMIT placed at or through the quote (fills now, as a taker)."""
    if cmd.order_type == MARKET:
        return True
    if cmd.order_type != LIMIT or cmd.price is None:
        return False
    return cmd.price >= q.ask if cmd.side == LONG else cmd.price <= q.bid


def adds_position(engine: State, account: Account, asset: str) -> bool:
    return account.mode != NETTING or asset not in account.netted


def only_reduces(engine: State, account: Account, cmd: OpenPosition, qty: int) -> bool:
    """A NETTING fill of ``qty`` that opens nothing: against the held position, reduce-only
    (capped at it) or no larger than it. SPEC 3's minimum margin is for opening."""
    held_id = account.netted.get(cmd.asset) if account.mode == NETTING else None
    if held_id is None:
        return False
    held = engine.positions[held_id]
    return held.side != cmd.side and (cmd.reduce_only or qty <= held.qty)


def too_many(engine: State, account: Account, extra: int = 0) -> Refusal | None:
    """``max_open_positions`` is per user (SPEC 3), over all the user's accounts (at most
    ``max_accounts``), not per account, which let a user hold that many in each; pending
    orders count toward it (``extra``: placed in this command)."""
    limit = engine.settings.max_open_positions
    held = extra
    for account_id in engine.user_accounts[account.user_id]:
        each = engine.accounts[account_id]
        held += len(each.open_orders) + len(each.pending_orders)
    if held >= limit:
        return Refusal(Code.TOO_MANY_POSITIONS, f"at most {limit} open positions and orders")
    return None
