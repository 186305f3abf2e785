"""The business rules of SPEC.md section 3: a command and the state in, events or a refusal out.

Nothing here mutates the engine; ``Engine.handle`` applies what these functions return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from velox.engine.commands import (
    AddMargin,
    ClosePosition,
    Command,
    Deposit,
    Keep,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
)
from velox.engine.errors import Code, Refusal
from velox.engine.events import (
    Deposited,
    Event,
    MarginAdded,
    PositionClosed,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
)
from velox.engine.formulas import (
    LONG,
    SIDES,
    close_price,
    liquidation_price,
    margin_for_qty,
    open_price,
    pnl,
    qty_for_margin,
    settlement,
    slippage_ok,
)
from velox.engine.state import Position, Quote
from velox.money import mul_div_floor

if TYPE_CHECKING:
    from velox.engine.engine import Engine

Decision = list[Event] | Refusal


def decide(engine: Engine, command: Command) -> Decision:
    if isinstance(command, OpenPosition):
        return _open(engine, command)
    if isinstance(command, ClosePosition):
        return _close(engine, command)
    if isinstance(command, AddMargin):
        return _add_margin(engine, command)
    if isinstance(command, ModifyPosition):
        return _modify(engine, command)
    if isinstance(command, OpenAccount):
        if command.user_id in engine.accounts:
            return []
        return [Deposited(command.user_id, engine.settings.initial_balance, command.ts)]
    if isinstance(command, Deposit):
        if command.amount <= 0:
            return Refusal(Code.VALIDATION_ERROR, "amount must be positive", "amount")
        return [Deposited(command.user_id, command.amount, command.ts)]
    return Refusal(Code.VALIDATION_ERROR, "unknown command")


def validate_stops(
    side: str,
    q: Quote,
    stop_loss: int | None,
    take_profit: int | None,
    trailing_stop: int | None,
    trailing_mark: int | None,
) -> Refusal | None:
    """LONG needs stopLoss < bid < takeProfit, SHORT takeProfit < ask < stopLoss.

    A trailing distance must be positive and must not already be through the quote
    (that would close the position on the next tick).
    """
    if side == LONG:
        if stop_loss is not None and not (0 < stop_loss < q.bid):
            return Refusal(Code.INVALID_STOP_LOSS, "stop-loss must be below the bid", "stopLoss")
        if take_profit is not None and not take_profit > q.bid:
            return Refusal(
                Code.INVALID_TAKE_PROFIT, "take-profit must be above the bid", "takeProfit"
            )
    else:
        if stop_loss is not None and not stop_loss > q.ask:
            return Refusal(Code.INVALID_STOP_LOSS, "stop-loss must be above the ask", "stopLoss")
        if take_profit is not None and not (0 < take_profit < q.ask):
            return Refusal(
                Code.INVALID_TAKE_PROFIT, "take-profit must be below the ask", "takeProfit"
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


def _stale(asset: str) -> Refusal:
    return Refusal(Code.PRICE_STALE, f"no fresh price for {asset}; try again shortly")


def _open(engine: Engine, cmd: OpenPosition) -> Decision:
    s = engine.settings
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
    q = engine.fresh_quote(cmd.asset, cmd.ts)
    if q is None:
        return _stale(cmd.asset)
    price = open_price(cmd.side, q.bid, q.ask)
    if cmd.margin is not None:
        margin = cmd.margin
        qty = qty_for_margin(margin, cmd.leverage, price)
    else:
        assert cmd.qty is not None
        qty = cmd.qty
        margin = margin_for_qty(qty, cmd.leverage, price)
    if qty == 0:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin buys no quantity at this price", "margin")
    if margin < s.min_margin:
        return Refusal(Code.MARGIN_TOO_SMALL, "margin is below the minimum", "margin")
    if (
        cmd.expected_price is not None
        and cmd.slippage_bps is not None
        and not slippage_ok(price, cmd.expected_price, cmd.slippage_bps)
    ):
        return Refusal(Code.SLIPPAGE_EXCEEDED, "price moved beyond the allowed slippage")
    trailing_mark = None if cmd.trailing_stop is None else (q.bid if cmd.side == LONG else q.ask)
    refusal = validate_stops(cmd.side, q, cmd.stop_loss, cmd.take_profit, cmd.trailing_stop, None)
    if refusal is not None:
        return refusal
    account = engine.accounts.get(cmd.user_id)
    if account is not None and len(account.open_orders) >= s.max_open_positions:
        return Refusal(Code.TOO_MANY_POSITIONS, f"at most {s.max_open_positions} open positions")
    if account is None or margin > account.balance:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance for this margin")
    return [
        PositionOpened(
            order_id=engine.allocate_order_id(),
            user_id=cmd.user_id,
            asset=cmd.asset,
            side=cmd.side,
            leverage=cmd.leverage,
            margin=margin,
            qty=qty,
            open_price=price,
            liquidation_price=liquidation_price(cmd.side, price, margin, qty, s.mmr),
            stop_loss=cmd.stop_loss,
            take_profit=cmd.take_profit,
            trailing_stop=cmd.trailing_stop,
            trailing_mark=trailing_mark,
            ts=cmd.ts,
        )
    ]


def closed_event(pos: Position, reason: str, bid: int, ask: int, ts: int) -> PositionClosed:
    """Close all of ``pos`` at this quote: LONG sells at the bid, SHORT buys at the ask."""
    price = close_price(pos.side, bid, ask)
    profit = pnl(pos.side, pos.open_price, price, pos.qty)
    return PositionClosed(
        order_id=pos.order_id,
        user_id=pos.user_id,
        reason=reason,
        close_price=price,
        pnl=profit,
        settlement=settlement(pos.margin, profit),
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
    )


def _owned(engine: Engine, user_id: str, order_id: str) -> Position | Refusal:
    pos = engine.positions.get(order_id)
    if pos is None or pos.user_id != user_id:
        return Refusal(Code.NOT_FOUND, "no such open order")
    return pos


def _close(engine: Engine, cmd: ClosePosition) -> Decision:
    pos = _owned(engine, cmd.user_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    if cmd.percent is not None and not 1 <= cmd.percent <= 99:
        return Refusal(Code.VALIDATION_ERROR, "percent must be an integer 1..99", "percent")
    q = engine.fresh_quote(pos.asset, cmd.ts)
    if q is None:
        return _stale(pos.asset)
    if cmd.percent is None:
        return [closed_event(pos, "MANUAL", q.bid, q.ask, cmd.ts)]
    price = close_price(pos.side, q.bid, q.ask)
    part_qty = mul_div_floor(pos.qty, cmd.percent, 100)
    part_margin = mul_div_floor(pos.margin, cmd.percent, 100)
    if part_qty == 0 or part_qty == pos.qty:
        return Refusal(
            Code.VALIDATION_ERROR, "this percentage leaves a part with no quantity", "percent"
        )
    profit = pnl(pos.side, pos.open_price, price, part_qty)
    rest_liq = liquidation_price(
        pos.side, pos.open_price, pos.margin - part_margin, pos.qty - part_qty, engine.settings.mmr
    )
    return [
        PositionPartiallyClosed(
            order_id=pos.order_id,
            part_order_id=engine.allocate_order_id(),
            user_id=pos.user_id,
            percent=cmd.percent,
            part_qty=part_qty,
            part_margin=part_margin,
            close_price=price,
            pnl=profit,
            settlement=settlement(part_margin, profit),
            liquidation_price=rest_liq,
            ts=cmd.ts,
            asset=pos.asset,
            side=pos.side,
            leverage=pos.leverage,
            open_price=pos.open_price,
            part_liquidation_price=pos.liquidation_price,
            stop_loss=pos.stop_loss,
            take_profit=pos.take_profit,
            trailing_stop=pos.trailing_stop,
            opened_at=pos.opened_at,
        )
    ]


def _add_margin(engine: Engine, cmd: AddMargin) -> Decision:
    pos = _owned(engine, cmd.user_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    if cmd.amount <= 0:
        return Refusal(Code.VALIDATION_ERROR, "amount must be positive", "amount")
    if pos.asset not in engine.quotes:
        return _stale(pos.asset)
    if cmd.amount > engine.accounts[cmd.user_id].balance:
        return Refusal(Code.INSUFFICIENT_BALANCE, "not enough free balance", "amount")
    new_liq = liquidation_price(
        pos.side, pos.open_price, pos.margin + cmd.amount, pos.qty, engine.settings.mmr
    )
    return [MarginAdded(pos.order_id, pos.user_id, cmd.amount, new_liq, cmd.ts)]


def _pick(change: int | Keep | None, current: int | None) -> int | None:
    return current if isinstance(change, Keep) else change


def _modify(engine: Engine, cmd: ModifyPosition) -> Decision:
    pos = _owned(engine, cmd.user_id, cmd.order_id)
    if isinstance(pos, Refusal):
        return pos
    q = engine.quotes.get(pos.asset)
    if q is None:
        return _stale(pos.asset)
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
    return [
        StopsModified(pos.order_id, pos.user_id, stop_loss, take_profit, trailing, mark, cmd.ts)
    ]
