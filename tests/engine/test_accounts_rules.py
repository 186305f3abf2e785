"""Accounts (SPEC 13) at their edges: names, the first account, deposits, rename and reset of a
second account, and the fees and funding a reset zeroes, exact to the unit.

Written from the survivors of the fourth mutation run (``velox/engine/accounts.py`` and the
account events of ``apply.py``): a 64-character name, a blank name, the name / mode /
createdAt of a new account, a second signup, a deposit of one unit or of zero, and a deposit,
rename, reset or funding charge landing in the user's first account instead of the one
named all passed every engine test. Expected numbers are this file's own arithmetic
(``Fraction``). Quote: BTC ref 100000, bid 99950, ask 100050; initial balance 1000.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil
from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, netting, ok, order
from velox.engine.commands import (
    ClockTick,
    CreateAccount,
    Deposit,
    OpenAccount,
    PriceTick,
    RenameAccount,
    ResetAccount,
)
from velox.engine.engine import Engine
from velox.engine.errors import Code
from velox.engine.events import Deposited, FundingCharged, OrderCancelled, PositionClosed
from velox.engine.views import account_figures, ledger
from velox.money import Money, units

U = 10**8
HOUR8 = 28_800_000


def u(x: Fraction | int | str) -> int:
    value = Fraction(x) * U
    assert value.denominator == 1, x
    return int(value)


def refusal(engine: Engine, command: Any) -> tuple[Code, str | None]:
    out = engine.handle(command)
    assert out.refusal is not None and out.events == (), out.events
    return out.refusal.code, out.refusal.field


def test_a_name_of_64_characters_is_taken_65_or_blank_is_refused() -> None:
    """SPEC 13 names: 1-64 characters, not blank. Kills ``_name``'s ``len >= 64`` and
    ``decide``'s create that skips the name check (``refusal = None``)."""
    engine = engine_at()
    for bad in ("x" * 65, "", "   "):
        assert refusal(engine, CreateAccount("alice", bad, "HEDGING", T0)) == (
            Code.VALIDATION_ERROR,
            "name",
        )
    (created, _) = ok(engine, CreateAccount("alice", "x" * 64, "HEDGING", T0))
    assert engine.accounts[created.account_id].name == "x" * 64
    assert refusal(engine, RenameAccount("alice", created.account_id, "y" * 65, T0)) == (
        Code.VALIDATION_ERROR,
        "name",
    )


def test_a_created_account_has_its_name_mode_time_and_the_initial_balance() -> None:
    """``GET /accounts`` shows ``{accountId, name, mode, createdAt}``. Kills ``_created`` /
    ``decide`` passing None for the name or the time, and ``apply`` dropping them."""
    engine = engine_at()
    (created, deposit) = ok(engine, CreateAccount("alice", "Bot", "NETTING", T0 + 7))
    account = engine.accounts[created.account_id]
    assert (account.account_id, account.user_id) == ("3", "alice")
    assert (account.name, account.mode, account.created_at) == ("Bot", "NETTING", T0 + 7)
    assert account.balance == u(1000)
    assert deposit == Deposited("alice", Money(u(1000)), T0 + 7, "3")


def test_signup_makes_one_hedging_main_account_and_a_retry_makes_none() -> None:
    """SPEC 13: the first account is made at signup (HEDGING); a retried signup is harmless.
    Kills ``decide``'s ``user_accounts.get(None)`` (a second account and a second initial
    balance) and the first account's name, mode or time passed as None."""
    engine = Engine()
    assert engine.handle(OpenAccount("carol", T0 + 3)).ok
    assert engine.handle(OpenAccount("carol", T0 + 9)).events == ()
    (account,) = engine.accounts.values()
    assert (account.name, account.mode, account.created_at) == ("Main", "HEDGING", T0 + 3)
    assert (account.balance, engine.deposits) == (u(1000), u(1000))
    engine.handle(OpenAccount("dave", T0, name="Dave's"))
    assert engine.accounts["2"].name == "Dave's"


def test_a_deposit_of_one_unit_lands_in_the_account_named_zero_is_refused() -> None:
    """A deposit is any positive amount into the account asked. Kills ``amount < 0`` /
    ``<= 1``, the refusal's code and field mutants, and a Deposited without its account id
    (booked to the user's first account)."""
    engine = engine_at()
    acc = netting(engine)
    assert refusal(engine, Deposit("alice", 0, T0, acc)) == (Code.VALIDATION_ERROR, "amount")
    assert refusal(engine, Deposit("alice", -1, T0, acc)) == (Code.VALIDATION_ERROR, "amount")
    (event,) = ok(engine, Deposit("alice", 1, T0, acc))
    assert event == Deposited("alice", Money(1), T0, acc)
    assert (engine.accounts[acc].balance, engine.accounts["1"].balance) == (u(1000) + 1, u(1000))


def test_a_rename_renames_the_account_named_only() -> None:
    """Kills ``AccountRenamed(None, ...)`` and ``apply``'s ``_account(user, None)`` (the
    user's first account renamed instead)."""
    engine = engine_at()
    acc = netting(engine)
    ok(engine, RenameAccount("alice", acc, "Grid bot", T0))
    assert (engine.accounts[acc].name, engine.accounts["1"].name) == ("Grid bot", "Main")


def test_funding_and_fees_belong_to_the_account_and_a_reset_zeroes_them() -> None:
    """A second account's position pays funding into that account's figures; a plain
    deposit keeps the fees, a reset zeroes fees and funding. Kills ``apply``'s
    FundingCharged ``_account(user, None)`` and the RESET branch mutants (``!=``, another
    kind, ``Money(1)``, None)."""
    engine = engine_at(taker_fee=units("0.0005"))
    acc = netting(engine)
    boundary = (T0 // HOUR8 + 1) * HOUR8
    (opened,) = ok(engine, order(account_id=acc, margin=None, qty=units("0.01")))
    q, rate = Fraction("0.01"), Fraction(5, 10_000)
    open_fee = ceil(Fraction(100050) * q * rate * U)  # 0.50025
    assert opened.fee == open_fee
    engine.on_tick(PriceTick(BTC, units("100000"), boundary - 5))
    engine.handle(ClockTick(boundary - 1))
    out = engine.handle(ClockTick(boundary))
    (charged,) = [e for e in out.events if isinstance(e, FundingCharged)]
    paid = u(Fraction(100000) * q * Fraction(1, 10_000))  # 0.1, paid by the LONG
    assert charged.amount == -paid
    second, first = account_figures(engine, "alice", acc), account_figures(engine, "alice")
    assert (second.fees, second.funding, first.fees, first.funding) == (open_fee, -paid, 0, 0)
    ok(engine, Deposit("alice", u(5), boundary, acc))
    assert (engine.accounts[acc].fees, engine.accounts[acc].funding) == (open_fee, -paid)
    ok(engine, ResetAccount("alice", acc, boundary + 1))
    account = engine.accounts[acc]
    assert (account.fees, account.funding, account.balance) == (0, 0, u(1000))


def test_a_reset_of_a_second_account_cancels_closes_and_tops_up_that_account() -> None:
    """SPEC 13 reset: pending orders CANCELLED (reason RESET), positions closed at the bid
    like a manual close at the reset's time, then the difference to the initial balance
    booked to that account. Kills the reset's ``Deposited(..., None)`` account (the first
    account topped up), ``cancelled(order, None / reason None / ts None)`` and the close's
    ``ts None``."""
    engine = engine_at()
    acc = netting(engine)
    ok(engine, Deposit("alice", 1, T0, acc))
    q = Fraction("0.01")
    (opened,) = ok(engine, order(account_id=acc, margin=None, qty=units("0.01")))
    (placed,) = ok(engine, order(account_id=acc, order_type="LIMIT", price=units("99000")))
    ts = T0 + 5
    (cancel, closed, topup) = ok(engine, ResetAccount("alice", acc, ts))
    assert isinstance(cancel, OrderCancelled) and isinstance(closed, PositionClosed)
    assert (cancel.order_id, cancel.status, cancel.reason, cancel.ts) == (
        placed.order_id, "CANCELLED", "RESET", ts)  # fmt: skip
    assert cancel.released == u(100)
    margin = ceil(Fraction(100050) * q / 10 * U)  # 100.05
    pnl = (Fraction(99950) - Fraction(100050)) * q  # -1
    assert (closed.order_id, closed.reason, closed.ts) == (opened.order_id, "MANUAL", ts)
    assert (closed.close_price, closed.settlement) == (u(99950), margin + u(pnl))
    before = u(1000) + 1 - margin - u(100)  # free balance before the reset
    after_close = before + u(100) + margin + u(pnl)
    assert topup == Deposited("alice", Money(u(1000) - after_close), ts, acc, "RESET")
    assert u(1000) - after_close == u("0.99999999")
    assert (engine.accounts[acc].balance, engine.accounts["1"].balance) == (u(1000), u(1000))
    assert engine.positions == {} and engine.pending == {}


def test_an_account_for_a_user_with_none_is_refused_and_makes_no_money() -> None:
    """A user's first account is made at signup (OpenAccount). A CreateAccount for a user
    the engine has no account of is a session of a user this database does not hold (rev3:
    one signed up after the backup it was restored from): refused, no deposit."""
    engine = engine_at()
    before = ledger(engine)
    assert refusal(engine, CreateAccount("ghost", "Main", "HEDGING", T0)) == (Code.NOT_FOUND, None)
    assert "ghost" not in engine.user_accounts and ledger(engine) == before
