"""Row builders shared by the store tests."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped

from velox.store.records import ClosedOrderRecord

# What each backend raises for a primary-key clash the store does not translate.
DUPLICATE_KEY = (sqlite3.IntegrityError, asyncpg.UniqueViolationError)
BIG = 10**20  # beyond int64 (about 9.2 * 10^18): catches any lossy integer path


def closed_order(order_id: str, **changes: Any) -> ClosedOrderRecord:
    """A fully populated closed order; tests override only the fields they look at."""
    base = ClosedOrderRecord(
        order_id=order_id,
        parent_order_id=None,
        user_id="u1",
        asset="BTCUSDT",
        side="LONG",
        leverage=10,
        margin=100 * 10**8,
        qty=1_234_567,
        open_price=92_000_50_000_000,
        liquidation_price=83_000_00_000_000,
        stop_loss=None,
        take_profit=None,
        trailing_stop=None,
        close_price=93_000_00_000_000,
        close_reason="USER",
        pnl=-12_345_678,
        settlement=99 * 10**8,
        opened_at=1_700_000_000_000,
        closed_at=1_700_000_100_000,
    )
    return replace(base, **changes)
