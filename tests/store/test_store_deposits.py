"""The ``deposits`` table on SQLite and PostgreSQL: one row per ``Deposited``, written by the
group commit (``commit_rows``) in the journal's transaction, read back per account in journal
order (the history's equity curve), with the v1 ones (no account named) the user's first
account's. Before, the history read every account's deposits from the journal."""

from __future__ import annotations

from tests.store.helpers import BIG
from tests.store.test_store_funding import commit
from velox.engine.events import AccountCreated, Deposited
from velox.money import Money
from velox.store.base import Store
from velox.store.records import DepositRecord

T = 1_700_000_000_000


async def test_an_accounts_deposits_are_its_own_rows_in_journal_order(store: Store) -> None:
    await commit(store, 0, [
        Deposited("u1", Money(1000 * 10**8), T),  # v1: no account named (the first's)
        AccountCreated("2", "u1", "Bot", "NETTING", T + 1),
        Deposited("u1", Money(BIG), T + 1, "2"),
        Deposited("u2", Money(1000 * 10**8), T + 2, "3"),  # another user's
    ])  # fmt: skip
    await commit(store, 4, [
        Deposited("u1", Money(-250 * 10**8), T + 9, "1", "RESET"),
        Deposited("u1", Money(5), T + 9, "2"),
    ])  # fmt: skip
    first = await store.deposits_for_account("1", "u1", True, 0)
    assert first == [
        DepositRecord(1, None, "u1", 1000 * 10**8, "DEPOSIT", T),
        DepositRecord(5, "1", "u1", -250 * 10**8, "RESET", T + 9),
    ]
    second = await store.deposits_for_account("2", "u1", False, 0)
    assert [(d.seq, d.amount) for d in second] == [(3, BIG), (6, 5)]
    assert [d.seq for d in await store.deposits_for_account("2", "u1", False, T + 2)] == [6]
    assert [d.seq for d in await store.deposits_for_account("1", "u1", True, T + 1)] == [5]
    assert [d.seq for d in await store.deposits_for_account("3", "u2", True, 0)] == [4]
    assert [d.seq async for d in store.all_deposits()] == [1, 3, 4, 5, 6]


async def test_the_audits_scan_reads_every_deposit_past_one_page(store: Store) -> None:
    deposits = [Deposited(f"u{i}", Money(i), T + i, str(i)) for i in range(1, 1202)]
    await commit(store, 0, list(deposits))
    assert [d.seq async for d in store.all_deposits()] == list(range(1, 1202))
