"""The one schema both stores apply, and the few rules about its rows they share.

``schema.sql`` is a single file for both databases so the two can never drift apart; the
dialect differences are three placeholders replaced here and nowhere else. The file ships
inside the package and is read through ``importlib.resources`` so an installed Velox finds it
without knowing where it was installed. The statements the stores run are written once too
(``sqlstore.py``), with SQLite's ``?`` parameters; ``placeholders`` numbers them ``$1..$n``
for PostgreSQL, here and nowhere else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import fields
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Any, Literal

from velox.store.base import StoreOpenError
from velox.store.records import (
    AccountRecord,
    CandleRecord,
    ClosedOrderRecord,
    DepositRecord,
    FillRecord,
    FundingBoundaryRecord,
    FundingRecord,
    JournalRecord,
    OrderRecord,
    StopRecord,
    TradeRecord,
)

Dialect = Literal["sqlite", "postgres"]

# Bump when schema.sql changes shape; ``open`` refuses a database written by a newer Velox,
# and one written before version 2 (its journal has no accounts, orders or fills rows, and
# its closed_orders no fee columns: nothing could make them agree with the journal).
# 3: version 2 plus what a version 2 binary cannot read (FundingIntervalSet events) or
# would leave behind (the deposits rows, funding rows): a version 2 database is upgraded at
# open (its rows are backfilled from the journal), and a version 2 binary refuses a
# version 3 database instead of failing at its replay. A table added that an older binary
# can ignore (listen_keys; unproven_emails, empty in an older database, whose users thus
# count as proven) is no change of shape: both still open the database.
# 4: events carry fields a version 3 binary cannot decode (the type and price of a NETTING
# order that filled at once against a position); nothing to backfill.
# 5: an order's time in force, in its events (which a version 4 binary cannot decode) and
# in the orders rows: the writer adds the column to an older table (``ADDED_COLUMNS``).
# 6: a position's stops have ids of their own, in the events (StopsModified,
# PositionIncreased: a version 5 binary cannot decode them), and rows (stop_orders, which
# the writer creates: a gateway of this version waits for it); nothing to backfill (the
# stops of positions closed before are read from closed_orders, as before).
SCHEMA_VERSION = 6
OLDEST_UPGRADABLE = 2
SCHEMA_VERSION_KEY = "schema_version"

DIALECTS: dict[Dialect, dict[str, str]] = {
    "sqlite": {"blob": "BLOB", "money": "TEXT", "seq_key": "INTEGER PRIMARY KEY"},
    "postgres": {"blob": "BYTEA", "money": "NUMERIC(38, 0)", "seq_key": "BIGINT PRIMARY KEY"},
}

# closed_orders columns, in ClosedOrderRecord field order, so rows map to records positionally.
CLOSED_ORDER_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ClosedOrderRecord))
CLOSED_ORDER_MONEY = frozenset(
    {"margin", "qty", "open_price", "liquidation_price", "stop_loss", "take_profit",
     "trailing_stop", "close_price", "pnl", "settlement", "fee", "funding"}
)  # fmt: skip

ACCOUNT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(AccountRecord))
ORDER_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(OrderRecord))
ORDER_MONEY = frozenset(
    {"price", "margin", "qty", "reserved", "stop_loss", "take_profit", "trailing_stop"}
)
FILL_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(FillRecord))
FILL_MONEY = frozenset({"price", "qty", "fee", "realized_pnl"})
FUNDING_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(FundingRecord))
DEPOSIT_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(DepositRecord))
DEPOSIT_MONEY = frozenset({"amount"})
FUNDING_MONEY = frozenset({"mark_price", "amount"})
STOP_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(StopRecord))
STOP_MONEY = frozenset({"price", "qty", "done_price"})
BOUNDARY_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(FundingBoundaryRecord))
BOOLEAN_COLUMNS = frozenset({"reduce_only", "maker"})  # INTEGER 0/1 in both databases

# (table, column, definition) added to a table of an older version: CREATE TABLE IF NOT
# EXISTS leaves that table as it was, so the writer adds each one it lacks (``add_columns``);
# the default is what an older Velox's rows mean.
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("orders", "time_in_force", "TEXT NOT NULL DEFAULT 'GTC'"),  # version 5
)

# One row when ``table`` has ``column`` (the parameters: table, column)
COLUMN_SQL: dict[Dialect, str] = {
    "sqlite": "SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
    "postgres": "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
    "AND table_name = ? AND column_name = ?",
}
Fetch = Callable[[str, Sequence[Any]], Awaitable[list[Any]]]
Execute = Callable[[str, Sequence[Any]], Awaitable[int]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
log = logging.getLogger(__name__)


class SchemaVersionError(StoreOpenError):
    """The database was written by a newer Velox (opening it could corrupt it), or by one
    older than schema version 2, which this Velox cannot read."""


def schema_sql(dialect: Dialect) -> str:
    """``schema.sql`` with the dialect's types substituted (an unknown placeholder raises)."""
    text = resources.files("velox.store").joinpath("schema.sql").read_text(encoding="utf-8")
    types = DIALECTS[dialect]

    def substitute(match: re.Match[str]) -> str:
        return types[match.group(1)]

    return _PLACEHOLDER.sub(substitute, text)


@lru_cache(maxsize=512)
def placeholders(sql: str, dialect: Dialect) -> str:
    """``sql`` written with ``?`` parameters, as ``dialect`` takes them (PostgreSQL: ``$1..$n``).

    No statement of Velox has a ``?`` anywhere but in a parameter's place.
    """
    if dialect == "sqlite":
        return sql
    numbers = iter(range(1, sql.count("?") + 1))
    return re.sub(r"\?", lambda _: f"${next(numbers)}", sql)


def checked_version(stored: str | None) -> str:
    """The version to record after opening a database that recorded ``stored``.

    Read before the schema is applied, so neither refusal writes anything. A newer stored
    version means an older binary is pointed at newer data. Version 2 is upgraded (the
    schema adds its tables; the engine backfills their rows at start). Version 1 (before
    accounts, pending orders, fees and fills) is refused too: its closed orders lack the v2
    columns and its journal has no order or fill rows, so there is no way to make them agree.
    """
    if stored is not None and int(stored) > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database schema version {stored} is newer than this Velox ({SCHEMA_VERSION})"
        )
    if stored is not None and int(stored) < OLDEST_UPGRADABLE:
        raise SchemaVersionError(
            f"database schema version {stored} was written by an older Velox, before "
            f"accounts, pending orders and fills (this Velox reads {OLDEST_UPGRADABLE} and "
            f"later); "
            "start it on a new database (another --data-dir or PostgreSQL schema)"
        )
    return str(SCHEMA_VERSION)


async def add_columns(
    fetch: Fetch, execute: Execute, dialect: Dialect, stored: str | None, *, writer: bool
) -> None:
    """The writer adds the ``ADDED_COLUMNS`` an older database lacks (ADD COLUMN with a
    constant default fills the rows there without rewriting them, in both databases). A
    reader (``velox audit``, a gateway) may not: it refuses such a database, whose order
    rows it could not read, until the writer of this version has opened it once."""
    lacking = []
    for table, column, definition in ADDED_COLUMNS:
        if not await fetch(COLUMN_SQL[dialect], (table, column)):
            lacking.append((table, column, definition))
    if lacking and not writer:
        names = ", ".join(f"{table}.{column}" for table, column, _ in lacking)
        raise SchemaVersionError(
            f"database schema version {stored} lacks {names}, which this Velox reads: start "
            "the writer (velox run or velox engine) of this version on it once to upgrade it"
        )
    for table, column, definition in lacking:
        await execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", ())


def log_version_change(stored: str | None, recorded: str) -> None:
    """One INFO line when the writer records a new schema version: an upgrade (3 to 4)
    changes what older binaries can read, so the log says when it happened."""
    if stored is None:
        log.info("database created at schema version %s", recorded)
    elif stored != recorded:
        log.info("database schema upgraded from version %s to %s", stored, recorded)


def check_events(events: Sequence[JournalRecord]) -> None:
    """Refuse a batch whose seqs do not strictly increase: a caller bug, caught before writing."""
    if any(a.seq >= b.seq for a, b in pairwise(events)):
        raise ValueError("journal sequences in a batch must be strictly increasing")


def check_keep(keep_snapshots: int) -> None:
    """Pruning must leave a snapshot: replay after the journal prune starts from one."""
    if keep_snapshots < 1:
        raise ValueError("keep_snapshots must be at least 1")


def check_limit(limit: int) -> int:
    """Refuse a negative LIMIT: SQLite reads it as "no limit", PostgreSQL as an error."""
    if limit < 0:
        raise ValueError("limit must not be negative")
    return limit


def first_of_each(trades: Iterable[TradeRecord]) -> list[TradeRecord]:
    """Drop repeats of a (symbol, trade_id) inside one batch; the first wins, as in the table."""
    seen: set[tuple[str, int]] = set()
    unique = []
    for t in trades:
        if (t.symbol, t.trade_id) not in seen:
            seen.add((t.symbol, t.trade_id))
            unique.append(t)
    return unique


def merge_candle(old: CandleRecord, new: CandleRecord) -> CandleRecord:
    """Fold a later partial candle into an earlier one of the same bucket.

    SQLite applies it in Python (its money is TEXT), PostgreSQL the same rule in SQL
    (``upsert_candles``); the contract tests hold the two to the same numbers.
    """
    return CandleRecord(
        old.symbol, old.duration, old.time, old.open, max(old.high, new.high),
        min(old.low, new.low), new.close, old.volume + new.volume,
    )  # fmt: skip
