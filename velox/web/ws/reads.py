"""What the hub's book reads from the engine, copied out when a batch is applied and put into
the book only once that batch's commit succeeded.

Why the split: the engine service applies the next batch while the previous one commits
(velox/service.py, ``subscribe_staged``). A staged listener must read the engine at once (it
holds exactly the state this batch's commit will make durable, and will move on) but reveal
nothing before the commit. These reads are plain copies, so the book can take them later.
The figures are those of the account a socket follows (``account_id``; None: the user's
first, as the REST figures default to).
"""

from __future__ import annotations

import copy

from velox.engine.engine import Engine
from velox.engine.state import Account, Position, Quote
from velox.frozen import frozen


@frozen
class AccountRead:
    account_id: str
    balance: int
    pending: int  # reserved for pending orders
    fees: int
    funding: int


@frozen
class UserRead:
    """A newly followed account (a user's first, or one they named) and its open positions."""

    account: AccountRead | None
    positions: tuple[Position, ...]
    quotes: tuple[tuple[str, Quote], ...]  # the engine's quotes of those positions' assets


@frozen
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
        account.account_id, account.balance, account.pending_margin, account.fees_paid,
        account.funding,
    )  # fmt: skip


def read_user(engine: Engine, user_id: str, account_id: str | None = None) -> UserRead:
    account = engine.account_of(user_id, account_id)
    if account is None:
        return UserRead(None, (), ())
    positions = tuple(copy.copy(engine.positions[oid]) for oid in account.open_orders)
    assets = {pos.asset for pos in positions}
    quotes = tuple((a, q) for a, q in engine.quotes.items() if a in assets)
    return UserRead(_account(account), positions, quotes)


def read_refresh(
    engine: Engine, user_id: str, order_id: str | None, account_id: str | None = None
) -> Refresh:
    account = engine.account_of(user_id, account_id)
    read = _account(account)
    if order_id is None:
        return Refresh(read, None, None)
    pos = engine.positions.get(order_id)
    mine = (
        pos is not None
        and pos.user_id == user_id
        and read is not None
        and (pos.account_id or first_account_id(engine, user_id)) == read.account_id
    )
    return Refresh(read, order_id, copy.copy(pos) if mine else None)


def first_account_id(engine: Engine, user_id: str) -> str | None:
    """The account rows and events without one belong to (older journals)."""
    ids = engine.user_accounts.get(user_id)
    return ids[0] if ids else None


def event_account(engine: Engine, user_id: str, event: object) -> str | None:
    """The account an event of ``user_id`` is about: the one it names, else the named
    position's, else the user's first (events of older journals name none)."""
    account_id: str | None = getattr(event, "account_id", None)
    if account_id is None:
        order_id = getattr(event, "position_id", None) or getattr(event, "order_id", None)
        pos = None if order_id is None else engine.positions.get(order_id)
        account_id = None if pos is None else pos.account_id
    return account_id if account_id is not None else first_account_id(engine, user_id)
