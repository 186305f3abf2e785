"""Binance's ``positionSide`` of a Velox position, and which position mode an account is in.

A NETTING account is Binance's one-way mode: one position per symbol, ``BOTH``. A HEDGING
account is its hedge mode (``dualSidePosition: true``): each position says its own side,
LONG or SHORT. Velox keeps each of a HEDGING account's fills a position of its own, so a side
may have several rows where Binance merges them into one; each keeps its own entry and
liquidation price. (Such an account's key only reads: it places no orders.)
"""

from __future__ import annotations

from velox.engine.state import Position, State

BOTH = "BOTH"
SIDES = ("LONG", "SHORT")


def hedge_mode(engine: State, user_id: str, account_id: str | None) -> bool:
    """Whether the account is in Binance's hedge mode (a HEDGING account)."""
    account = engine.account_of(user_id, account_id)
    return account is not None and account.mode == "HEDGING"


def position_side(pos: Position, hedged: bool) -> str:
    return pos.side if hedged else BOTH


def flat_sides(hedged: bool) -> tuple[str, ...]:
    """The sides a symbol without a position is listed on: both, in hedge mode."""
    return SIDES if hedged else (BOTH,)
