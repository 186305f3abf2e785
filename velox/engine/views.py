"""Read-only figures derived from the state at current quotes (SPEC 3, 12, 13), and the
fills an event records.

Pure functions over the state, so the web layer renders without computing money itself.
Functions that take ``user_id`` and an optional ``account_id`` read the user's first
account when no account is named (what the shell does until it reads X-Velox-Account).
"""

from __future__ import annotations

from velox.engine.events import (
    Deposited,
    Event,
    FundingCharged,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
    close_paid,
)
from velox.engine.formulas import LONG, close_price, pnl
from velox.engine.state import Account, Pending, Position, State
from velox.frozen import frozen
from velox.money import Money, Price, Qty


@frozen
class AccountFigures:
    balance: int
    used_margin: int
    unrealized_pnl: int
    equity: int
    free_margin: int
    margin_level: str | None  # equity / usedMargin x 100, 2 decimals, rounded down
    pending_margin: int = 0
    fees: int = 0  # total paid
    funding: int = 0  # net (+ received, - paid)

    @property
    def cash(self) -> int:
        """All the account's cash: free, locked in positions, reserved for resting orders
        (Binance's wallet balance)."""
        return self.balance + self.used_margin + self.pending_margin


def unrealized_pnl(engine: State, pos: Position) -> int:
    """PnL if closed now at the current quote (0 before any quote arrived)."""
    q = engine.quotes.get(pos.asset)
    if q is None:
        return 0
    return pnl(pos.side, pos.open_price, close_price(pos.side, q.bid, q.ask), pos.qty)


def accounts_of(engine: State, user_id: str) -> list[Account]:
    """The user's accounts, oldest first."""
    return [engine.accounts[a] for a in engine.user_accounts.get(user_id, ())]


def open_positions(engine: State, user_id: str, account_id: str | None = None) -> list[Position]:
    account = engine.account_of(user_id, account_id)
    if account is None:
        return []
    return [engine.positions[oid] for oid in account.open_orders]


def pending_orders(engine: State, user_id: str, account_id: str | None = None) -> list[Pending]:
    account = engine.account_of(user_id, account_id)
    if account is None:
        return []
    return [engine.pending[oid] for oid in account.pending_orders]


def by_client_id(
    engine: State, user_id: str, client_order_id: str, account_id: str | None = None
) -> str | None:
    """The order id the account's ``clientOrderId`` names (pending, open or finished)."""
    account = engine.account_of(user_id, account_id)
    if account is None:
        return None
    return engine.client_ids.get((account.account_id, client_order_id))


def account_figures(engine: State, user_id: str, account_id: str | None = None) -> AccountFigures:
    account = engine.account_of(user_id, account_id)
    if account is None:
        return AccountFigures(0, 0, 0, 0, 0, None)
    used = 0
    upnl = 0
    # pending reservations are still the trader's money
    equity = account.balance + account.pending_margin
    for pos in open_positions(engine, user_id, account.account_id):
        profit = unrealized_pnl(engine, pos)
        used += pos.margin
        upnl += profit
        equity += max(0, pos.margin + profit)
    level = None
    if used > 0:
        hundredths = equity * 100 * 100 // used
        level = f"{hundredths // 100}.{hundredths % 100:02d}"
    return AccountFigures(
        account.balance,
        used,
        upnl,
        equity,
        account.balance,
        level,
        account.pending_margin,
        account.fees_paid,
        account.funding,
    )


def ledger(engine: State) -> dict[str, int | bool]:
    """The double-entry check: free + locked + pending + house == deposits, exactly."""
    balances = sum(a.balance for a in engine.accounts.values())
    locked = sum(p.margin for p in engine.positions.values())
    pending = sum(o.reserved for o in engine.pending.values())
    return {
        "deposits": engine.deposits,
        "balances": balances,
        "lockedMargin": locked,
        "pendingMargin": pending,
        "house": engine.house,
        "conserved": balances + locked + pending + engine.house == engine.deposits,
    }


@frozen
class Fill:
    """One execution (SPEC 12): ``side`` BUY / SELL, ``realized_pnl`` on closes."""

    fill_id: str
    order_id: str
    position_id: str
    account_id: str | None
    user_id: str
    asset: str
    side: str
    price: Price
    qty: Qty
    fee: Money
    realized_pnl: Money
    maker: bool
    time: int


def cash_change(event: Event) -> int:
    """What an event moves into (+) or out of (-) its account's cash (``AccountFigures.cash``:
    free, locked and reserved): a deposit, a funding charge, a fill's fee, a close's
    settlement less the margin it releases; nothing for money moved within the account
    (margin added, a reservation made, released or turned into margin)."""
    if isinstance(event, Deposited | FundingCharged):
        return event.amount
    if isinstance(event, PositionOpened | PositionIncreased):
        return -event.fee
    if isinstance(event, PositionClosed):
        return event.settlement - event.margin
    if isinstance(event, PositionPartiallyClosed):
        return event.settlement - event.part_margin
    return 0


def _buy(position_side: str, opening: bool) -> str:
    return "BUY" if (position_side == LONG) == opening else "SELL"


def fills_of(event: Event) -> list[Fill]:
    """The fill an event records (none for non-executions and v1 events without fill id).
    A close's fee and realized PnL are what it paid and moved (``events.close_paid``): with
    a settlement capped at 0, less than the event's ``close_fee`` and ``pnl``."""
    zero = Money(0)
    if isinstance(event, PositionOpened) and event.fill_id is not None:
        return [
            Fill(
                event.fill_id,
                event.order_id,
                event.order_id,
                event.account_id,
                event.user_id,
                event.asset,
                _buy(event.side, True),
                event.open_price,
                event.qty,
                event.fee,
                zero,
                event.maker,
                event.ts,
            )
        ]
    if isinstance(event, PositionIncreased):
        return [
            Fill(
                event.fill_id,
                event.order_id,
                event.position_id,
                event.account_id,
                event.user_id,
                event.asset,
                _buy(event.side, True),
                event.price,
                event.qty,
                event.fee,
                zero,
                event.maker,
                event.ts,
            )
        ]
    if isinstance(event, PositionClosed) and event.fill_id is not None:
        paid, realized = close_paid(event)
        return [
            Fill(
                event.fill_id,
                event.by_order_id or event.flip_order_id or event.order_id,
                event.order_id,
                event.account_id,
                event.user_id,
                event.asset,
                _buy(event.side, False),
                event.close_price,
                event.qty,
                paid,
                realized,
                False,
                event.ts,
            )
        ]
    if isinstance(event, PositionPartiallyClosed) and event.fill_id is not None:
        paid, realized = close_paid(event)
        return [
            Fill(
                event.fill_id,
                event.by_order_id or event.part_order_id,
                event.order_id,
                event.account_id,
                event.user_id,
                event.asset,
                _buy(event.side, False),
                event.close_price,
                event.part_qty,
                paid,
                realized,
                False,
                event.ts,
            )
        ]
    return []
