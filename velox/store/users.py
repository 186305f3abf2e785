"""Users: SQL shared by SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the connections). Whether a user's address is proven
is kept as the absence of an ``unproven_emails`` row, not as a column: the table is new, so
every user of an older database has no row and counts as proven (an upgrade ends nobody's
password or sessions), and an older binary of the same schema version opens the database
unchanged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from velox.store.apikeys import API_KEY_COLUMNS, Tx, api_key_record
from velox.store.base import EmailTakenError
from velox.store.records import ApiKeyRecord, UserRecord
from velox.store.session_guard import CredentialWrites

_SELECT = (
    "SELECT u.id, u.email, u.password_hash, u.phone, u.created_at, p.user_id IS NULL "
    "FROM users u LEFT JOIN unproven_emails p ON p.user_id = u.id"
)


class UserRows(CredentialWrites, ABC):
    """The ``Store`` methods for users (see ``velox.store.base``)."""

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    @abstractmethod
    async def _execute(self, sql: str, args: Sequence[Any]) -> int: ...

    async def create_user(self, user: UserRecord, *, unfinished: bool = False) -> None:
        async with self._transaction() as tx:
            inserted = await tx.execute(
                "INSERT INTO users (id, email, password_hash, phone, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                (user.id, user.email.lower(), user.password_hash, user.phone, user.created_at),
            )
            if inserted == 0:  # the UNIQUE(email) constraint decided, so racing signups agree
                raise EmailTakenError(user.email)
            if unfinished:
                await tx.execute(
                    "INSERT INTO unfinished_signups (user_id, created_at) VALUES (?, ?)",
                    (user.id, user.created_at),
                )
            if not user.email_proven:
                await tx.execute("INSERT INTO unproven_emails (user_id) VALUES (?)", (user.id,))

    async def signup_unfinished(self, user_id: str) -> bool:
        sql = "SELECT 1 FROM unfinished_signups WHERE user_id = ?"
        return bool(await self._fetch(sql, (user_id,)))

    async def finish_signup(self, user_id: str) -> None:
        await self._execute("DELETE FROM unfinished_signups WHERE user_id = ?", (user_id,))

    async def user_by_email(self, email: str) -> UserRecord | None:
        return await self._user("email", email.lower())

    async def user_by_id(self, user_id: str) -> UserRecord | None:
        return await self._user("id", user_id)

    async def _user(self, column: str, value: str) -> UserRecord | None:
        rows = await self._fetch(f"{_SELECT} WHERE u.{column} = ?", (value,))
        if not rows:
            return None
        user_id, email, password_hash, phone, created_at, proven = rows[0]
        return UserRecord(user_id, email, password_hash, phone, created_at, bool(proven))

    async def set_password(
        self, user_id: str, password_hash: str | None, *, issued_at: int | None = None
    ) -> None:
        """Under the user's credentials lock, as the API-key and webhook-token writes: a
        change that passed its check before a first proof's sign-out mark commits before the
        proof's ``prove_email`` clears the password, never after it."""
        async with self._transaction() as tx:
            await self._lock_signed_in(tx, user_id, issued_at)
            await tx.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id)
            )

    async def prove_email(self, user_id: str) -> list[ApiKeyRecord] | None:
        """The mark and the credentials go in one transaction: a prover that dies before it
        commits leaves the user unproven, so the next proof clears again; of racing provers
        the first to delete the mark is the one that clears. The password goes again here,
        and on PostgreSQL under the user's credentials lock: a password, key or token written
        by a request that was signed in when it began, before the proof's sign-out mark, is
        cleared with the rest (one written after the mark is refused: ``session_guard``)."""
        async with self._transaction() as tx:
            await self._lock_user(tx, user_id)
            marked = await tx.fetch(
                "DELETE FROM unproven_emails WHERE user_id = ? RETURNING user_id", (user_id,)
            )
            if not marked:
                return None
            keys = await tx.fetch(
                f"DELETE FROM api_keys WHERE user_id = ? RETURNING {API_KEY_COLUMNS}", (user_id,)
            )
            await tx.execute("DELETE FROM listen_keys WHERE user_id = ?", (user_id,))
            await tx.execute("DELETE FROM webhook_tokens WHERE user_id = ?", (user_id,))
            await tx.execute("UPDATE users SET password_hash = NULL WHERE id = ?", (user_id,))
        return [api_key_record(row) for row in keys]
