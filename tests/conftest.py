"""Shared fixtures: the store contract runs against SQLite and real PostgreSQL.

PostgreSQL comes from VELOX_TEST_PG (default postgresql://postgres@127.0.0.1/test). Each test
gets its own schema so runs never collide. Outside CI an unreachable server skips with a
reason; with CI=true it fails, as does a missing Chromium for the browser tests.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests import pgscratch
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.sqlite import SqliteStore

PG_URL = pgscratch.PG_URL
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI: a missing service must never pass silently there."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


async def fresh_pg_url() -> str:
    """A PostgreSQL URL whose search_path is a brand-new schema (dropped by the caller)."""
    require(await pgscratch.reachable(), f"PostgreSQL unreachable at {PG_URL}")
    url, _ = await pgscratch.create_schema()
    return url


async def drop_pg_schema(url: str) -> None:
    await pgscratch.drop_schema(url.rsplit("%3D", 1)[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.pg)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database URL for a fresh, empty store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'velox.db'}"
        return
    url = await fresh_pg_url()
    try:
        yield url
    finally:
        await drop_pg_schema(url)


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL schema only (for tests that exist to cover PostgreSQL)."""
    url = await fresh_pg_url()
    try:
        yield url
    finally:
        await drop_pg_schema(url)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    """A fresh, opened store of each kind (via ``db_url``), closed after the test."""
    opened = open_store_for(db_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """An opened SQLite file store of the test's own, for tests of SQLite's own threads and
    of what sits around a store (the store contract runs on both stores, ``store``)."""
    opened = SqliteStore(tmp_path / "velox.db")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


# The longest modules (about 40-100 s each in one worker), sent to the workers first. The
# workers take modules in collection order, and the slowest were last in it (system/, web/):
# the other workers sat idle while one finished them. Only the order of whole modules moves;
# a module missing from here just runs in its usual place.
LONGEST_FIRST = (
    "browser/test_chart_history_ui.py",
    "web/test_schemathesis.py",
    "browser/test_trade_ui.py",
    "scale/test_faults.py",
    "scale/test_cluster.py",
    "system/test_chaos.py",
    "scale/test_revocations.py",
    "browser/test_chart_recovery_ui.py",
    "dist/test_wheel.py",
    "browser/test_ticket_and_table_ui.py",
    "system/test_load.py",
    "browser/test_review_ui.py",
    "browser/test_trade_races.py",
    "dist/test_single_file.py",
    "browser/test_auth_ui.py",
)
_TESTS = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}

    def place(item: pytest.Item) -> int:
        path = Path(str(item.path)).resolve()
        name = path.relative_to(_TESTS).as_posix() if path.is_relative_to(_TESTS) else ""
        return rank.get(name, len(rank))

    items.sort(key=place)  # stable: each module's tests keep their order
