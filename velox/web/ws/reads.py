"""What the hub's book reads from the engine, copied out when a batch is applied and put into
the book only once that batch's commit succeeded.

Why the split: the engine service applies the next batch while the previous one commits
(velox/service.py, ``subscribe_staged``). A staged listener must read the engine at once (it
holds exactly the state this batch's commit will make durable, and will move on) but reveal
nothing before the commit. These reads are plain copies, so the book can take them later.
The figures are the user's first account's, as the REST figures default to.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from velox.engine.engine import Engine
from velox.engine.state import Account, Position, Quote


@dataclass(frozen=True, slots=True)
class AccountRead:
    account_id: str
    balance: int
    pending: int  # reserved for pending orders
    fees: int
    funding: int


@dataclass(frozen=True, slots=True)
class UserRead:
    """A newly connected user: their first account and its open positions."""

    account: AccountRead | None
    positions: tuple[Position, ...]
    quotes: tuple[tuple[str, Quote], ...]  # the engine's quotes of those positions' assets


@dataclass(frozen=True, slots=True)
class Refresh:
    """After an event: the account again, and the position it named (None: gone or not
    this account's)."""

    account: AccountRead | None
    order_id: str | None
    position: Position | None


def _account(account: Account | None) -> AccountRead | None:
    if account is None:
        return None
    return AccountRead(
        account.account_id, account.balance, account.pending_margin, account.fees,
        account.funding,
    )  # fmt: skip


def read_user(engine: Engine, user_id: str) -> UserRead:
    account = engine.account_of(user_id, None)
    if account is None:
        return UserRead(None, (), ())
    positions = tuple(copy.copy(engine.positions[oid]) for oid in account.open_orders)
    assets = {pos.asset for pos in positions}
    quotes = tuple((a, q) for a, q in engine.quotes.items() if a in assets)
    return UserRead(_account(account), positions, quotes)


def read_refresh(engine: Engine, user_id: str, order_id: str | None) -> Refresh:
    account = engine.account_of(user_id, None)
    read = _account(account)
    if order_id is None:
        return Refresh(read, None, None)
    pos = engine.positions.get(order_id)
    mine = (
        pos is not None
        and pos.user_id == user_id
        and (pos.account_id is None or (read is not None and pos.account_id == read.account_id))
    )
    return Refresh(read, order_id, copy.copy(pos) if mine else None)
