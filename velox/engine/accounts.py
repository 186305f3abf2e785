"""Accounts (SPEC 13): several per user, each HEDGING or NETTING; rename; reset; deposits.

A reset cancels the pending orders, closes the positions at the current quotes as manual
closes, then books the difference to ``initial_balance`` as a deposit adjustment, so
``free + locked + pending + house == deposits`` still holds to the unit.
"""

from __future__ import annotations

from velox.engine.checks import no_account, stale
from velox.engine.closes import Ids, close_at_quote
from velox.engine.commands import (
    HEDGING,
    MODES,
    CreateAccount,
    Deposit,
    OpenAccount,
    RenameAccount,
    ResetAccount,
)
from velox.engine.errors import Code, Refusal
from velox.engine.events import (
    BY_RESET,
    CANCELLED,
    AccountCreated,
    AccountRenamed,
    Deposited,
    Event,
    PositionClosed,
)
from velox.engine.orders import cancelled
from velox.engine.state import State
from velox.money import Money

MAX_NAME = 64


def _name(name: str) -> Refusal | None:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        return Refusal(Code.VALIDATION_ERROR, f"name: 1-{MAX_NAME} characters", "name")
    return None


def _created(engine: State, user_id: str, name: str, mode: str, ts: int) -> list[Event]:
    account_id = str(engine.next_account_id)
    return [
        AccountCreated(account_id, user_id, name, mode, ts),
        Deposited(user_id, Money(engine.settings.initial_balance), ts, account_id),
    ]


def decide(
    engine: State, cmd: OpenAccount | CreateAccount | RenameAccount | ResetAccount | Deposit
) -> list[Event] | Refusal:
    if isinstance(cmd, OpenAccount):
        if engine.user_accounts.get(cmd.user_id):
            return []
        return _created(engine, cmd.user_id, cmd.name, HEDGING, cmd.ts)
    if isinstance(cmd, CreateAccount):
        refusal = _name(cmd.name)
        if refusal is not None:
            return refusal
        if cmd.mode not in MODES:
            return Refusal(Code.VALIDATION_ERROR, "mode must be HEDGING or NETTING", "mode")
        if not engine.user_accounts.get(cmd.user_id):
            # Every user's first account is made at signup (OpenAccount). None: no such
            # user here (a session of a user the database does not hold, e.g. one signed
            # up after the backup this database was restored from): it makes no money.
            return Refusal(Code.NOT_FOUND, "no such user")
        if len(engine.user_accounts.get(cmd.user_id, ())) >= engine.settings.max_accounts:
            return Refusal(
                Code.TOO_MANY_ACCOUNTS, f"at most {engine.settings.max_accounts} accounts"
            )
        return _created(engine, cmd.user_id, cmd.name, cmd.mode, cmd.ts)
    account = engine.account_of(cmd.user_id, cmd.account_id)
    if account is None:
        return no_account()
    if isinstance(cmd, Deposit):
        if cmd.amount <= 0:
            return Refusal(Code.VALIDATION_ERROR, "amount must be positive", "amount")
        return [Deposited(cmd.user_id, Money(cmd.amount), cmd.ts, account.account_id)]
    if isinstance(cmd, RenameAccount):
        refusal = _name(cmd.name)
        if refusal is not None:
            return refusal
        return [AccountRenamed(account.account_id, cmd.user_id, cmd.name, cmd.ts)]
    events: list[Event] = []
    balance = account.balance
    for order_id in account.pending_orders:
        order = engine.pending[order_id]
        events.append(cancelled(order, CANCELLED, BY_RESET, cmd.ts))
        balance = Money(balance + order.reserved)
    ids = Ids(engine)
    for order_id in account.open_orders:
        pos = engine.positions[order_id]
        q = engine.fresh_quote(pos.asset, cmd.ts)
        if q is None:
            return stale(pos.asset)
        closed = close_at_quote(pos, "MANUAL", q, cmd.ts, ids, engine.settings.taker_fee)
        assert isinstance(closed, PositionClosed)
        events.append(closed)
        balance = Money(balance + closed.settlement)
    adjustment = Money(engine.settings.initial_balance - balance)
    events.append(Deposited(cmd.user_id, adjustment, cmd.ts, account.account_id, "RESET"))
    return events
