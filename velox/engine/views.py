"""Read-only figures derived from the state at current quotes (SPEC.md section 3).

Pure functions over the engine, so the web layer renders without computing money itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from velox.engine.formulas import close_price, pnl
from velox.engine.state import Position, State


@dataclass(frozen=True, slots=True)
class AccountFigures:
    balance: int
    used_margin: int
    unrealized_pnl: int
    equity: int
    free_margin: int
    margin_level: str | None  # equity / usedMargin x 100, 2 decimals, rounded down


def unrealized_pnl(engine: State, pos: Position) -> int:
    """PnL if closed now at the current quote (0 before any quote arrived)."""
    q = engine.quotes.get(pos.asset)
    if q is None:
        return 0
    return pnl(pos.side, pos.open_price, close_price(pos.side, q.bid, q.ask), pos.qty)


def open_positions(engine: State, user_id: str) -> list[Position]:
    account = engine.accounts.get(user_id)
    if account is None:
        return []
    return [engine.positions[oid] for oid in account.open_orders]


def account_figures(engine: State, user_id: str) -> AccountFigures:
    account = engine.accounts.get(user_id)
    balance = account.balance if account is not None else 0
    used = 0
    upnl = 0
    equity = balance
    for pos in open_positions(engine, user_id):
        profit = unrealized_pnl(engine, pos)
        used += pos.margin
        upnl += profit
        equity += max(0, pos.margin + profit)
    level = None
    if used > 0:
        hundredths = equity * 100 * 100 // used
        level = f"{hundredths // 100}.{hundredths % 100:02d}"
    return AccountFigures(balance, used, upnl, equity, balance, level)


def ledger(engine: State) -> dict[str, int | bool]:
    """The double-entry check: free + locked + house == deposits, exactly."""
    balances = sum(a.balance for a in engine.accounts.values())
    locked = sum(p.margin for p in engine.positions.values())
    return {
        "deposits": engine.deposits,
        "balances": balances,
        "lockedMargin": locked,
        "house": engine.house,
        "conserved": balances + locked + engine.house == engine.deposits,
    }
