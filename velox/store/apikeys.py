"""API keys and per-symbol leverage: SQL shared by SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the connections). Secrets arrive already sealed by
``velox.vault``; nothing here ever sees one in the clear.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from velox.store.records import ApiKeyRecord
from velox.store.session_guard import CredentialWrites


class Tx(Protocol):
    """What these methods use of ``sqlstore.Tx`` (declared here: no import cycle)."""

    async def execute(self, sql: str, args: Sequence[Any] = ()) -> int: ...

    async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...


API_KEY_COLUMNS = (
    "key_id, user_id, account_id, name, api_key, secret_sealed, permissions, created_at"
)
_SELECT = f"SELECT {API_KEY_COLUMNS} FROM api_keys"


def api_key_record(row: Sequence[Any]) -> ApiKeyRecord:
    key_id, user_id, account_id, name, api_key, sealed, permissions, created_at = row
    perms = tuple(p for p in str(permissions).split(",") if p)
    return ApiKeyRecord(
        key_id, user_id, account_id, name, api_key, bytes(sealed), perms, int(created_at)
    )


class ApiKeyRows(CredentialWrites, ABC):
    """The ``Store`` methods for API keys and leverage (see ``velox.store.base``)."""

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    def _transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    @abstractmethod
    async def _execute(self, sql: str, args: Sequence[Any]) -> int: ...

    async def create_api_key(
        self, key: ApiKeyRecord, max_per_user: int, *, issued_at: int | None = None
    ) -> bool:
        """Insert ``key`` unless its user already has ``max_per_user`` keys (then False), or
        was signed out since ``issued_at`` (``SessionEndedError``: ``session_guard``).

        Count and insert share one write transaction: SQLite serialises them with every other
        write; on PostgreSQL, where racing transactions would each count the keys committed
        before any of them, the transaction first takes a lock of that user's
        (``_LOCK_USER_KEYS``).
        """
        async with self._transaction() as tx:
            await self._lock_signed_in(tx, key.user_id, issued_at)
            rows = await tx.fetch("SELECT COUNT(*) FROM api_keys WHERE user_id = ?", (key.user_id,))
            if int(rows[0][0]) >= max_per_user:
                return False
            await tx.execute(
                f"INSERT INTO api_keys ({API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key.key_id, key.user_id, key.account_id, key.name, key.api_key,
                 key.secret_sealed, ",".join(key.permissions), key.created_at),
            )  # fmt: skip
        return True

    async def api_keys_for_user(self, user_id: str) -> list[ApiKeyRecord]:
        """Oldest first."""
        rows = await self._fetch(
            f"{_SELECT} WHERE user_id = ? ORDER BY created_at, key_id", (user_id,)
        )
        return [api_key_record(r) for r in rows]

    async def api_key_by_key(self, api_key: str) -> ApiKeyRecord | None:
        rows = await self._fetch(f"{_SELECT} WHERE api_key = ?", (api_key,))
        return api_key_record(rows[0]) if rows else None

    async def any_api_key(self) -> ApiKeyRecord | None:
        """One stored key, if any: start-up checks that the key file opens its secret."""
        rows = await self._fetch(f"{_SELECT} ORDER BY key_id LIMIT 1")
        return api_key_record(rows[0]) if rows else None

    async def delete_api_key(self, user_id: str, key_id: str) -> ApiKeyRecord | None:
        """Delete one of the user's keys, and its listen key; the deleted key, or None (none
        such of theirs)."""
        async with self._transaction() as tx:
            rows = await tx.fetch(
                f"DELETE FROM api_keys WHERE key_id = ? AND user_id = ? "
                f"RETURNING {API_KEY_COLUMNS}",
                (key_id, user_id),
            )
            if rows:
                await tx.execute("DELETE FROM listen_keys WHERE key_id = ?", (key_id,))
        return api_key_record(rows[0]) if rows else None

    async def set_symbol_leverage(self, account_id: str, symbol: str, leverage: int) -> None:
        await self._execute(
            "INSERT INTO symbol_leverage (account_id, symbol, leverage) VALUES (?, ?, ?) "
            "ON CONFLICT (account_id, symbol) DO UPDATE SET leverage = excluded.leverage",
            (account_id, symbol, leverage),
        )

    async def symbol_leverages(self, account_id: str) -> dict[str, int]:
        rows = await self._fetch(
            "SELECT symbol, leverage FROM symbol_leverage WHERE account_id = ?", (account_id,)
        )
        return {str(symbol): int(leverage) for symbol, leverage in rows}

    async def set_webhook_token(
        self,
        account_id: str,
        user_id: str,
        token_hash: str,
        created_at: int,
        *,
        issued_at: int | None = None,
    ) -> None:
        """``SessionEndedError`` if the user was signed out since ``issued_at``."""
        async with self._transaction() as tx:
            await self._lock_signed_in(tx, user_id, issued_at)
            await tx.execute(
                "INSERT INTO webhook_tokens (account_id, user_id, token_hash, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET "
                "user_id = excluded.user_id, token_hash = excluded.token_hash, "
                "created_at = excluded.created_at",
                (account_id, user_id, token_hash, created_at),
            )

    async def webhook_token(self, account_id: str) -> tuple[str, str] | None:
        """(user id, token hash) of the account's webhook token, if it has one."""
        rows = await self._fetch(
            "SELECT user_id, token_hash FROM webhook_tokens WHERE account_id = ?", (account_id,)
        )
        return (str(rows[0][0]), str(rows[0][1])) if rows else None
