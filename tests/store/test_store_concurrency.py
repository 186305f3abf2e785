"""Reads never queue behind the journal, and failed logins never write (issue 11, item 3).

A journal commit blocked on purpose (another connection holds the write lock) must not hold
up market or auth reads, and a failed magic-link verify must not need the write lock at all:
500 of them used to raise order latency a hundredfold.
"""

from __future__ import annotations

import asyncio

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped
import pytest

from tests.store.helpers import WriteHold, closed_order, sessions_blocked_by
from tests.store.test_store_contract import events
from velox.store.base import Store
from velox.store.postgres import PostgresStore
from velox.store.records import CandleRecord, UserRecord

ALICE = UserRecord("u1", "alice@example.com", None, None, 1)
BAR = CandleRecord("BTCUSDT", "1m", 60_000, 5, 9, 4, 7, 100)


async def everything_a_visitor_reads(store: Store) -> tuple[object, ...]:
    return (
        await store.user_by_email("alice@example.com"),
        await store.candles("BTCUSDT", "1m", None, None, 10),
        [o.order_id for o in await store.closed_orders_for_user("u1", 10)],
        await store.consume_magic_token("junk", 0),
        await store.revoked_sessions(0),
    )


async def test_reads_complete_while_a_journal_commit_is_blocked(store: Store, db_url: str) -> None:
    await store.create_user(ALICE)
    await store.upsert_candles([BAR])
    await store.append_batch([], [closed_order("7")])
    async with WriteHold(db_url) as hold:
        commit = asyncio.create_task(store.append_batch(events(1, 1), [closed_order("8")]))
        await hold.wait_for_a_blocked_writer()
        reads = asyncio.create_task(everything_a_visitor_reads(store))
        done, _ = await asyncio.wait({commit, reads}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {reads}, "a read waited behind the blocked journal commit"
        assert reads.result() == (ALICE, [BAR], ["7"], None, set())
    await commit  # the hold is gone: the commit goes through
    assert await store.last_seq() == 1
    assert [o.order_id for o in await store.closed_orders_for_user("u1", 10)] == ["8", "7"]


async def test_a_failed_magic_link_verify_writes_nothing(store: Store, db_url: str) -> None:
    await store.save_magic_token("old", "a@example.com", expires_at=1000)
    await store.save_magic_token("live", "b@example.com", expires_at=5000)
    async with WriteHold(db_url):  # any write would wait for this (or fail on SQLite)
        assert await store.consume_magic_token("junk", now_ms=2000) is None
        assert await store.consume_magic_token("old", now_ms=2000) is None
    # The expired token was left for the expiry sweep, not deleted by the failed verify.
    assert await store.forget_expired_auth(2000) == 1
    assert await store.consume_magic_token("live", now_ms=2000) == "b@example.com"
    assert await store.consume_magic_token("live", now_ms=2000) is None


@pytest.mark.pg
async def test_postgres_commits_while_reads_fill_the_pool(pg_url: str) -> None:
    """Reads stuck on a lock hold every pooled connection; the journal has its own."""
    store = PostgresStore(pg_url, min_size=1, max_size=2)
    await store.open()
    blocker = await asyncpg.connect(pg_url)
    try:
        await blocker.execute("SET idle_in_transaction_session_timeout = '10s'")
        await blocker.execute("BEGIN")
        await blocker.execute("LOCK TABLE candles IN ACCESS EXCLUSIVE MODE")  # stops reads too
        reads = [
            asyncio.create_task(store.candles("BTCUSDT", "1m", None, None, 5)) for _ in range(4)
        ]
        # wait until both pooled connections are stuck behind the lock
        while await sessions_blocked_by(pg_url, blocker.get_server_pid()) < 2:
            await asyncio.sleep(0.01)
        commit = asyncio.create_task(store.append_batch(events(1, 2), []))
        done, _ = await asyncio.wait({commit, *reads}, return_when=asyncio.FIRST_COMPLETED)
        assert done == {commit}, "the journal commit waited for a pooled connection"
        await blocker.execute("ROLLBACK")  # raises if the 10 s limit ended it: reads went first
        assert await asyncio.gather(*reads) == [[]] * 4
        assert await store.last_seq() == 2
    finally:
        await blocker.close()
        await store.close()
