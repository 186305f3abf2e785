"""Listen keys: SQL shared by SQLite and PostgreSQL, written once.

A mixin of ``SqlStore`` (which supplies the connections). The book of live listen keys is
kept in memory (``velox.binance.streams.listenbook``); these rows are what it is rebuilt
from at start, so a bot's listen key outlives a restart. Keys arrive already sealed by
``velox.vault``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from velox.store.records import ListenKeyRecord

_COLUMNS = "key_id, listen_key_sealed, user_id, account_id, expires_at"
FORGET_EXPIRED_LISTEN_KEYS = "DELETE FROM listen_keys WHERE expires_at <= ?"
# With the API key's own row: one deleted while its listen key was written is never restored.
_LIVE = (
    "SELECT l.key_id, l.listen_key_sealed, l.user_id, l.account_id, l.expires_at "
    "FROM listen_keys l JOIN api_keys a ON a.key_id = l.key_id WHERE l.expires_at > ? "
    "ORDER BY l.key_id"
)


class ListenKeyRows(ABC):
    """The ``Store`` methods for listen keys (see ``velox.store.base``)."""

    @abstractmethod
    async def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    async def _execute(self, sql: str, args: Sequence[Any]) -> int: ...

    async def put_listen_key(self, key: ListenKeyRecord) -> None:
        await self._execute(
            f"INSERT INTO listen_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (key_id) DO UPDATE SET listen_key_sealed = excluded.listen_key_sealed, "
            "user_id = excluded.user_id, account_id = excluded.account_id, "
            "expires_at = excluded.expires_at",
            (key.key_id, key.listen_key_sealed, key.user_id, key.account_id, key.expires_at),
        )

    async def extend_listen_key(self, key_id: str, expires_at: int) -> None:
        await self._execute(
            "UPDATE listen_keys SET expires_at = ? WHERE key_id = ?", (expires_at, key_id)
        )

    async def drop_listen_key(self, key_id: str) -> None:
        await self._execute("DELETE FROM listen_keys WHERE key_id = ?", (key_id,))

    async def live_listen_keys(self, now_ms: int) -> list[ListenKeyRecord]:
        rows = await self._fetch(_LIVE, (now_ms,))
        return [
            ListenKeyRecord(str(k), bytes(sealed), str(u), str(a), int(e))
            for k, sealed, u, a, e in rows
        ]
