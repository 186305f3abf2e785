"""The storage contract. Nothing outside ``velox/store/`` speaks SQL.

Both implementations (``sqlite.py``, ``postgres.py``) pass the same contract test suite
(``tests/store/``). Every method is a coroutine; ``append_batch`` is the group commit:
one transaction, one fsync, for many events and the closed orders they produce.

One writer per database: a store opened as the writer holds an exclusive lock on the
database for as long as it is open, so a second engine on the same database stops at once
instead of failing every commit of the first. Reads (market data, sign-in, the audit) never
wait for the journal: they run on their own connections, and a store opened as a reader
takes no lock and writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Protocol

from velox.store.records import (
    AccountRecord,
    ApiKeyRecord,
    CandleRecord,
    ClosedOrderRecord,
    DepositRecord,
    FillRecord,
    FundingBoundaryRecord,
    FundingRecord,
    JournalRecord,
    ListenKeyRecord,
    OrderRecord,
    RowWrite,
    SnapshotRecord,
    StopRecord,
    TradeRecord,
    UserRecord,
)


class EmailTakenError(Exception):
    """``create_user`` with an email (case-insensitive) that already has an account."""


class StoreOpenError(RuntimeError):
    """``open`` cannot go on; the message is one line a person can act on."""


class WriterLockHeld(StoreOpenError):
    """Another process is the database's writer. ``holder`` names it (host and pid)."""

    def __init__(self, holder: str) -> None:
        super().__init__(
            f"another Velox is already running on this database ({holder}); one database "
            "takes one `velox run` (`velox audit` can read it meanwhile)"
        )
        self.holder = holder


class DatabaseNotFound(StoreOpenError):
    """A read-only open found no Velox database to read (a reader never creates one)."""


class Store(Protocol):
    """What Velox needs from a database. Implementations must be safe to call from one loop."""

    async def open(self, *, writer: bool = True) -> None:
        """Connect. As the writer (``velox run``): take the database's writer lock for as
        long as the store is open (``WriterLockHeld`` if another process has it) and apply
        ``schema.sql`` idempotently. As a reader (``velox audit``, stateless gateways): no
        lock, no schema change, nothing written; every write method raises RuntimeError,
        and ``DatabaseNotFound`` when there is no Velox database there.
        Both raise ``SchemaVersionError`` for a database written by a newer Velox."""

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """One trivial read (``SELECT 1``), raising what the driver raises when the database
        cannot be reached: the database probe behind ``/healthz`` (``velox.store_probe``)."""

    async def reclaim_writer(self) -> None:
        """Before a rebuild after a failed commit: make sure this store still holds the
        writer lock, taking it again on a new connection if the database ended the writer's
        session (``WriterLockHeld`` if another process took it meanwhile)."""

    # -- journal, snapshots, closed orders (the durable engine state) --------------------
    async def append_batch(
        self,
        events: Sequence[JournalRecord],
        closed: Sequence[ClosedOrderRecord],
        writes: Sequence[RowWrite] = (),
    ) -> None:
        """Append events, upsert closed orders and apply the projection ``writes`` (accounts,
        orders, fills; in order) in ONE transaction (group commit).

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
        """Newest first by closed_at; ties by order_id as a number, highest first."""

    async def all_closed_orders(self) -> AsyncIterator[ClosedOrderRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    async def closed_orders_for_account(
        self, user_id: str, account_id: str | None, first: bool, limit: int, *,
        asset: str | None = None, start: int | None = None, end: int | None = None,
        reason: str | None = None,
    ) -> list[ClosedOrderRecord]:  # fmt: skip
        """As ``closed_orders_for_user``, in one account; ``first``: with the user's rows
        that have no account (written before accounts existed). Only ``asset``'s, those
        closed within [start, end] (ms, inclusive) and for ``reason`` when given."""

    async def closed_orders_page(
        self, user_id: str, account_id: str | None, first: bool, limit: int, *,
        asset: str | None = None, start: int | None = None, end: int | None = None,
        after: tuple[int, str] | None = None, oldest_first: bool = False,
    ) -> list[ClosedOrderRecord]:  # fmt: skip
        """As ``closed_orders_for_account`` (newest first, or oldest first), a keyset page:
        only the rows after ``after``, the (closed_at, order_id) of the previous page's last
        row (``velox.store.history_rows``)."""

    async def fills_page(
        self, account_id: str, limit: int, *, asset: str | None = None,
        start: int | None = None, end: int | None = None,
        after: tuple[int, str] | None = None, oldest_first: bool = False,
    ) -> list[FillRecord]:  # fmt: skip
        """As ``fills_for_account``, a keyset page after the (time, fill_id) ``after``."""

    # -- accounts, orders, fills (schema version 2, projected from the journal) ----------
    async def accounts_for_user(self, user_id: str) -> list[AccountRecord]:
        """Oldest first: the first is the default account (made at signup)."""

    async def account(self, account_id: str) -> AccountRecord | None: ...

    async def order(self, order_id: str) -> OrderRecord | None: ...

    async def orders_by_ids(self, order_ids: Iterable[str]) -> dict[str, OrderRecord]:
        """The rows of these orders by id (absent ids left out), batched."""

    async def order_by_client_id(
        self, account_id: str, client_order_id: str
    ) -> OrderRecord | None: ...

    async def orders_for_account(
        self, account_id: str, status: str, limit: int, *, asset: str | None = None,
        start: int | None = None, end: int | None = None,
    ) -> list[OrderRecord]:  # fmt: skip
        """One status, newest first, ties by order_id as a number: PENDING by created_at,
        any other status by updated_at (when the order reached it: an ended order's end).
        Only ``asset``'s and those within [start, end] (ms, inclusive, on that same time)
        when given."""

    async def fills_for_account(
        self, account_id: str, asset: str | None, start: int | None, end: int | None,
        limit: int, *, from_id: int | None = None, oldest_first: bool = False,
        incomes: str | None = None,
    ) -> list[FillRecord]:  # fmt: skip
        """Newest first by time (ties: by fill id as a number), within [start, end] (ms,
        inclusive) when given; ``from_id``: only fill ids >= it (as numbers);
        ``oldest_first``: the oldest ``limit`` of them, oldest first (Binance's paging);
        ``incomes`` (``REALIZED_PNL``, ``COMMISSION`` or ``ANY``): only the fills with a
        non-zero income of that kind."""

    async def order_fees(self, order_ids: Sequence[str]) -> dict[str, int]:
        """What each order paid in fees over its fills (the ones with any fill): a FILLED
        order's row keeps no fee of its own."""

    async def closed_orders_of(self, order_ids: Sequence[str]) -> list[ClosedOrderRecord]:
        """The closed orders with these ids, in no particular order."""

    async def fills_of_orders(self, order_ids: Sequence[str]) -> list[FillRecord]:
        """Every fill of these orders, oldest first (by fill id)."""

    async def orders_for_asset(
        self, account_id: str, asset: str, start: int | None, end: int | None, limit: int,
        *, from_id: int | None = None, oldest_first: bool = False,
        order_type: str | None = None,
    ) -> list[OrderRecord]:  # fmt: skip
        """The account's orders on ``asset`` whatever their status (of ``order_type`` when
        given), paged as ``fills_for_account`` by ``created_at`` and order id."""

    async def stop(self, stop_id: str, position_id: str = "", kind: int = 0) -> StopRecord | None:
        """A position's stop by its own id, or (``position_id``) the one of ``kind`` set with
        the position (``stop_orders``)."""

    async def stop_by_client_id(self, account_id: str, client_id: str) -> StopRecord | None:
        """The newest stop the account placed with ``client_id``."""

    async def stops_of_positions(self, position_ids: Sequence[str]) -> list[StopRecord]:
        """Every stop of these positions."""

    async def stops_for_asset(
        self, account_id: str, asset: str, start: int | None, end: int | None, limit: int,
        *, from_id: int | None = None, oldest_first: bool = False,
    ) -> list[StopRecord]:  # fmt: skip
        """The account's stops on ``asset``, paged by time, or from an id (``StopRows``)."""

    async def all_orders(self) -> AsyncIterator[OrderRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    async def all_fills(self) -> AsyncIterator[FillRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    # -- funding (projected from FundingCharged; time filters on the boundary) ----------
    async def funding_for_account(
        self, account_id: str, asset: str | None, start: int | None, end: int | None,
        limit: int, *, oldest_first: bool = False,
    ) -> list[FundingRecord]:  # fmt: skip
        """Newest boundary first, within [start, end] (ms, inclusive) when given; with
        ``oldest_first``, the oldest ``limit`` of the window, oldest first."""

    async def funding_boundaries(
        self,
        asset: str | None,
        start: int | None,
        end: int | None,
        limit: int,
        *,
        oldest_first: bool = False,
    ) -> list[FundingBoundaryRecord]:
        """The boundaries charged so far per asset (the first charge's rate and mark)."""

    async def all_funding(self) -> AsyncIterator[FundingRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    async def all_funding_boundaries(self) -> AsyncIterator[FundingBoundaryRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    # -- deposits (projected from Deposited) ---------------------------------------------
    async def deposits_for_account(
        self, account_id: str, user_id: str, first: bool, since: int
    ) -> list[DepositRecord]:
        """The account's deposits with ``ts >= since``, in journal order (for the user's
        first account, ``first``, also the v1 ones that named no account)."""

    async def all_deposits(self) -> AsyncIterator[DepositRecord]:
        yield  # type: ignore[misc]  # pragma: no cover - protocol body

    # -- users and auth ------------------------------------------------------------------
    async def create_user(self, user: UserRecord, *, unfinished: bool = False) -> None:
        """Raises EmailTakenError when the (lower-cased) email exists. ``unfinished``: the
        user is written as an unfinished signup too, in the same transaction, so a signup
        that dies before ``finish_signup`` can be completed by a retry. A user whose
        ``email_proven`` is false is recorded as unproven, in the same transaction."""

    async def signup_unfinished(self, user_id: str) -> bool:
        """Whether the user's signup never learned that its first account was opened."""

    async def finish_signup(self, user_id: str) -> None:
        """The user's first account is acknowledged: the signup is no longer unfinished."""

    async def user_by_email(self, email: str) -> UserRecord | None:
        """With ``email_proven`` true unless the user is recorded as unproven (a user from
        a database older than that record counts as proven)."""

    async def user_by_id(self, user_id: str) -> UserRecord | None: ...

    async def set_password(
        self, user_id: str, password_hash: str | None, *, issued_at: int | None = None
    ) -> None:
        """The user's bcrypt hash from now on; None: no password (a password sign-in is
        refused, as for a user who only ever signed in by link or provider).
        ``SessionEndedError`` if the user was signed out since ``issued_at``, the asking
        session's (``session_guard``)."""

    async def prove_email(self, user_id: str) -> list[ApiKeyRecord] | None:
        """Someone proved the user's address. If it was unproven: in one transaction, delete
        the user's API keys (and their listen keys) and its accounts' webhook tokens, and
        record the address as proven; the deleted keys. None, having written nothing, when
        it was proven already (of racing provers, one gets the keys)."""

    async def save_magic_token(self, token_hash: str, email: str, expires_at: int) -> None: ...

    async def magic_token_email(self, token_hash: str, now_ms: int) -> str | None:
        """The address of a live token, spending nothing (a page asks before it signs in)."""

    async def consume_magic_token(self, token_hash: str, now_ms: int) -> str | None:
        """The token's email if it exists and is unexpired, deleting it atomically (so only
        one caller gets it); else None, having written nothing (a bogus token is a read)."""

    async def revoke_session(self, jti: str, expires_at: int) -> None: ...

    async def forget_expired_auth(self, now_ms: int) -> int:
        """Delete expired magic-link tokens, listen keys and revocations; returns how many
        rows went.
        Range deletes on an index of ``expires_at``: the cost is the rows that expired."""

    async def revoked_sessions(self, now_ms: int) -> set[str]:
        """jtis revoked and not yet expired (loaded once at start, then kept in memory)."""

    async def sign_out_everywhere(self, user_id: str, before_ms: int) -> None:
        """Void every session of ``user_id`` issued before ``before_ms``; a mark already
        later is kept (the mark only moves forward)."""

    async def session_cutoffs(self, since_ms: int) -> dict[str, int]:
        """user id -> its mark, for marks after ``since_ms`` (older ones void only sessions
        that have expired anyway); loaded once at start, then kept in memory."""

    async def revocation_count(self, now_ms: int) -> int:
        """How many revocations are unexpired (``len(revoked_sessions(now_ms))``, counted
        on the expiry index without loading them)."""

    # -- market data ---------------------------------------------------------------------
    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        """Insert, ignoring (symbol, trade_id) already stored; returns the new ones."""

    async def prune_trades(self, before_ts: int) -> int: ...

    async def trades(
        self, symbol: str, from_id: int | None, start: int | None, end: int | None, limit: int
    ) -> list[TradeRecord]:
        """Oldest first: from the trade ``from_id`` on, else from ``start`` on, else the
        newest ``limit``; within ``start``..``end`` when given (``velox.store.trades``)."""

    async def upsert_candles(
        self, candles: Sequence[CandleRecord], meta: Mapping[str, str] | None = None
    ) -> None:
        """Merge partial candles: keep open, high=max, low=min, close=new, volume+=new; and
        set the ``meta`` keys (what the candles were built from) in the same transaction."""

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        """Write whole candles, replacing any stored for the same bucket (the last of repeats
        in a batch wins): history from an exchange, which re-writing must never double."""

    async def replace_candles(
        self,
        symbol: str,
        duration: str,
        start: int,
        end: int,
        candles: Sequence[CandleRecord],
        meta: Mapping[str, str] | None = None,
    ) -> None:
        """In one transaction: delete the series' candles with ``start <= time < end``, then
        ``put_candles(candles)`` (history that replaces invented candles, leaving none), and
        set the ``meta`` keys (the marks of the invented candles it replaced)."""

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        """Oldest first; with no start, the newest ``limit`` candles up to end."""

    async def get_meta(self, key: str) -> str | None: ...

    async def set_meta(self, key: str, value: str) -> None: ...

    async def claim_meta(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there already; the value stored now
        (the first process's, when several start at once)."""

    # -- API keys (velox/binance) ---------------------------------------------------------
    async def create_api_key(
        self, key: ApiKeyRecord, max_per_user: int, *, issued_at: int | None = None
    ) -> bool:
        """Insert ``key`` unless its user has ``max_per_user`` keys already (then False);
        ``SessionEndedError`` if the user was signed out since ``issued_at``."""

    async def api_keys_for_user(self, user_id: str) -> list[ApiKeyRecord]:
        """The user's keys, oldest first."""

    async def api_key_by_key(self, api_key: str) -> ApiKeyRecord | None: ...

    async def any_api_key(self) -> ApiKeyRecord | None:
        """One stored key, if any (start-up checks the key file opens its secret)."""

    async def delete_api_key(self, user_id: str, key_id: str) -> ApiKeyRecord | None:
        """Delete one of the user's keys (and its listen key); the deleted key, or None when
        none of theirs."""

    async def put_listen_key(self, key: ListenKeyRecord) -> None:
        """The API key's listen key and its expiry, replacing any earlier one of that key."""

    async def extend_listen_key(self, key_id: str, expires_at: int) -> None:
        """A keepalive: the API key's stored listen key (if any) now expires at ``expires_at``."""

    async def drop_listen_key(self, key_id: str) -> None:
        """The API key's listen key was closed: it is not restored at the next start."""

    async def live_listen_keys(self, now_ms: int) -> list[ListenKeyRecord]:
        """Listen keys unexpired at ``now_ms`` whose API key still exists (read at start)."""

    async def set_symbol_leverage(self, account_id: str, symbol: str, leverage: int) -> None:
        """The leverage the account's following orders on ``symbol`` use (/fapi/v1/leverage)."""

    async def symbol_leverages(self, account_id: str) -> dict[str, int]:
        """Symbol -> leverage set for the account (symbols never set are absent)."""

    async def set_webhook_token(
        self,
        account_id: str,
        user_id: str,
        token_hash: str,
        created_at: int,
        *,
        issued_at: int | None = None,
    ) -> None:
        """The account's TradingView webhook token (its hash), replacing any earlier one;
        ``SessionEndedError`` if the user was signed out since ``issued_at``."""

    async def webhook_token(self, account_id: str) -> tuple[str, str] | None:
        """(user id, token hash) of the account's webhook token, if it has one."""
