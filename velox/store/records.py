"""Plain rows that cross the storage boundary. Money fields are integer units of 10^-8."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journaled engine event: ``payload`` is the event encoded by ``velox.codec``."""

    seq: int
    ts: int
    type: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class SnapshotRecord:
    seq: int  # the last journal sequence the snapshot covers
    ts: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class ClosedOrderRecord:
    """A closed position (or the closed part of a partial close), as SPEC.md section 7 names it."""

    order_id: str
    parent_order_id: str | None
    user_id: str
    asset: str
    side: str
    leverage: int
    margin: int
    qty: int
    open_price: int
    liquidation_price: int
    stop_loss: int | None
    take_profit: int | None
    trailing_stop: int | None
    close_price: int
    close_reason: str
    pnl: int
    settlement: int
    opened_at: int
    closed_at: int


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    password_hash: str | None
    phone: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """A raw exchange trade (un-spread price), deduplicated by (symbol, trade_id)."""

    symbol: str
    trade_id: int
    price: int
    qty: int
    ts: int  # exchange trade time, ms


@dataclass(frozen=True, slots=True)
class CandleRecord:
    symbol: str
    duration: str  # "1s", "30s", "1m", "5m", "15m", "1h", "4h", "1d"
    time: int  # bucket start, ms
    open: int
    high: int
    low: int
    close: int
    volume: int


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    """An API key: ``secret_sealed`` is the secret sealed by ``velox.vault`` (never plain)."""

    key_id: str
    user_id: str
    account_id: str
    name: str
    api_key: str
    secret_sealed: bytes
    permissions: tuple[str, ...]  # ("read",) or ("read", "trade")
    created_at: int
