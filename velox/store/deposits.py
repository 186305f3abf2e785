"""Deposit reads (the history's equity curve): SQL shared by SQLite and PostgreSQL.

A mixin of ``SqlStore`` (which supplies the reader connections). The rows are written by
the group commit (``rows.WRITES["deposit"]``) from ``Deposited``, so a deposit is readable
exactly when its event is journaled. Why a table: the journal holds every account's
deposits (each signup's initial balance among them), and reading them there to find one
account's cost each statistics request a scan of the whole platform's signups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from velox.store.pages import in_account
from velox.store.reads import PAGE, Reads
from velox.store.records import DepositRecord
from velox.store.rows import deposit_record
from velox.store.schema import DEPOSIT_COLUMNS

_COLUMNS = ", ".join(DEPOSIT_COLUMNS)


class DepositRows(Reads):
    """The ``Store`` methods for deposits (see ``velox.store.base``)."""

    async def deposits_for_account(
        self, account_id: str, user_id: str, first: bool, since: int
    ) -> list[DepositRecord]:
        """The account's deposits with ``ts >= since``, in journal order; for the user's
        first account (``first``) also the v1 ones, which named no account."""
        where, args = in_account(user_id, account_id, first)
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM deposits WHERE {where} AND ts >= ? ORDER BY seq",
            [*args, since],
        )
        return [deposit_record(r) for r in rows]

    async def all_deposits(self) -> AsyncIterator[DepositRecord]:
        """Every deposit row by seq (the audit compares), a page at a time."""
        sql = f"SELECT seq, {_COLUMNS} FROM deposits WHERE seq > ? ORDER BY seq LIMIT ?"
        async for row in self._pages(sql, 0, PAGE):
            yield deposit_record(row[1:])
