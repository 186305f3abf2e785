"""The storage contract. Nothing outside ``velox/store/`` speaks SQL.

Both implementations (``sqlite.py``, ``postgres.py``) pass the same contract test suite
(``tests/store/``). Every method is a coroutine; ``append_batch`` is the group commit:
one transaction, one fsync, for many events and the closed orders they produce.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from velox.store.records import (
    CandleRecord,
    ClosedOrderRecord,
    JournalRecord,
    SnapshotRecord,
    TradeRecord,
    UserRecord,
)


class EmailTakenError(Exception):
    """``create_user`` with an email (case-insensitive) that already has an account."""


class Store(Protocol):
    """What Velox needs from a database. Implementations must be safe to call from one loop."""

    async def open(self) -> None:
        """Connect and apply ``schema.sql`` idempotently (records the schema version)."""

    async def close(self) -> None: ...

    # -- journal, snapshots, closed orders (the durable engine state) --------------------
    async def append_batch(
        self, events: Sequence[JournalRecord], closed: Sequence[ClosedOrderRecord]
    ) -> None:
        """Append events and upsert closed orders in ONE transaction (group commit).

        Durable when it returns (SQLite: WAL + synchronous=FULL; PostgreSQL: commit).
        """

    async def last_seq(self) -> int:
        """Highest journal sequence stored, 0 when empty."""

    async def read_journal(self, after_seq: int, batch: int = 5000) -> AsyncIterator[JournalRecord]:
        """Every event with seq > after_seq, in order (streamed in batches)."""
        yield JournalRecord(0, 0, "", b"")  # pragma: no cover - protocol body

    async def save_snapshot(self, snapshot: SnapshotRecord) -> None: ...

    async def latest_snapshot(self) -> SnapshotRecord | None: ...

    async def snapshots(self) -> list[SnapshotRecord]:
        """All retained snapshots, oldest first (for the audit)."""

    async def prune(self, keep_snapshots: int, prune_journal: bool) -> None:
        """Keep the newest ``keep_snapshots``; drop journal rows the oldest kept one covers
        only when ``prune_journal`` (the default keeps the whole journal for audit)."""

    async def closed_order(self, order_id: str) -> ClosedOrderRecord | None: ...

    async def closed_orders_for_user(self, user_id: str, limit: int) -> list[ClosedOrderRecord]:
        """Newest first by closed_at (ties by order_id descending)."""

    async def all_closed_orders(self) -> AsyncIterator[ClosedOrderRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    # -- users and auth ------------------------------------------------------------------
    async def create_user(self, user: UserRecord) -> None:
        """Raises EmailTakenError when the (lower-cased) email exists."""

    async def user_by_email(self, email: str) -> UserRecord | None: ...

    async def user_by_id(self, user_id: str) -> UserRecord | None: ...

    async def save_magic_token(self, token_hash: str, email: str, expires_at: int) -> None: ...

    async def consume_magic_token(self, token_hash: str, now_ms: int) -> str | None:
        """Atomically delete the token and return its email if it existed and was unexpired."""

    async def revoke_session(self, jti: str, expires_at: int) -> None: ...

    async def forget_expired_auth(self, now_ms: int) -> int:
        """Delete expired magic-link tokens and revocations; returns how many rows went."""

    async def revoked_sessions(self, now_ms: int) -> set[str]:
        """jtis revoked and not yet expired (loaded once at start, then kept in memory)."""

    # -- market data ---------------------------------------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        """Insert, ignoring (symbol, trade_id) already stored; returns the new ones."""

    async def prune_trades(self, before_ts: int) -> int: ...

    async def upsert_candles(self, candles: Sequence[CandleRecord]) -> None:
        """Merge partial candles: keep open, high=max, low=min, close=new, volume+=new."""

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        """Write whole candles, replacing any stored for the same bucket (the last of repeats
        in a batch wins): history from an exchange, which re-writing must never double."""

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        """Oldest first; with no start, the newest ``limit`` candles up to end."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...
