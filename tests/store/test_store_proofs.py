"""Whether a user's address is proven, and what its first proof deletes, on SQLite and
PostgreSQL (the web side: tests/web/test_address_proof.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]  # no stubs shipped
import pytest

from tests.store.test_store_apikeys import key
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.records import ListenKeyRecord, UserRecord
from velox.store.session_guard import SessionEndedError
from velox.store.sqlstore import SqlStore

SIGNED_UP = UserRecord("u1", "ann@example.com", "$sha256$2b$04$hash", None, 1_700_000_000_000)
PROVEN = UserRecord("u2", "bob@example.com", None, None, 1_700_000_000_001, email_proven=True)


async def test_a_user_is_read_back_proven_or_not_as_written(store: Store) -> None:
    await store.create_user(SIGNED_UP)
    await store.create_user(PROVEN)
    assert await store.user_by_email("ann@example.com") == SIGNED_UP
    assert await store.user_by_id("u1") == SIGNED_UP
    assert not SIGNED_UP.email_proven  # the default: a signup proves nothing
    assert await store.user_by_email("BOB@example.com") == PROVEN


async def test_the_first_proof_deletes_the_users_keys_and_webhook_tokens_only(
    store: Store,
) -> None:
    await store.create_user(SIGNED_UP)
    await store.create_user(PROVEN)
    ann_keys = [key(1, "u1"), key(2, "u1")]
    for record in (*ann_keys, key(3, "u2")):
        assert await store.create_api_key(record, 10)
        await store.put_listen_key(
            ListenKeyRecord(record.key_id, b"sealed", record.user_id, record.user_id, 10**15)
        )
    await store.set_webhook_token("a1", "u1", "ann-hash", 5)
    await store.set_webhook_token("a2", "u1", "ann-hash-2", 5)
    await store.set_webhook_token("b1", "u2", "bob-hash", 5)

    assert await store.prove_email("u1") == ann_keys
    assert await store.api_keys_for_user("u1") == []
    assert [k.key_id for k in await store.live_listen_keys(0)] == ["k3"]
    assert await store.webhook_token("a1") is None
    assert await store.webhook_token("a2") is None
    assert await store.webhook_token("b1") == ("u2", "bob-hash")
    # proven, and the password gone with the rest (cleared again here: one a request set
    # between the web layer's set_password(None) and the sign-out mark does not survive)
    assert await store.user_by_id("u1") == replace(SIGNED_UP, email_proven=True, password_hash=None)

    # proven now, as bob was from the start: a proof deletes nothing
    assert await store.create_api_key(key(4, "u1"), 10)
    assert await store.prove_email("u1") is None
    assert await store.prove_email("u2") is None
    assert [k.key_id for k in await store.api_keys_for_user("u1")] == ["k4"]
    assert [k.key_id for k in await store.api_keys_for_user("u2")] == ["k3"]


async def test_racing_proofs_delete_the_keys_once(store: Store) -> None:
    await store.create_user(SIGNED_UP)
    assert await store.create_api_key(key(1, "u1"), 10)
    results = await asyncio.gather(*(store.prove_email("u1") for _ in range(5)))
    assert sorted(results, key=lambda r: r is None) == [[key(1, "u1")], *[None] * 4]


async def test_set_password(store: Store) -> None:
    await store.create_user(SIGNED_UP)
    await store.set_password("u1", None)
    assert await store.user_by_id("u1") == replace(SIGNED_UP, password_hash=None)
    await store.set_password("u1", "$2b$04$another")
    assert await store.user_by_id("u1") == replace(SIGNED_UP, password_hash="$2b$04$another")


async def test_a_user_from_before_the_record_counts_as_proven(db_url: str) -> None:
    """Grandfathered: a database written before ``unproven_emails`` existed has users and
    no such table; after the upgrade (the schema applied at open) they are all proven, so
    no proof ever clears their passwords or keys."""
    older = open_store_for(db_url)
    await older.open()
    assert isinstance(older, SqlStore)
    async with older._transaction() as tx:  # as the older schema left it
        await tx.fetch("DROP TABLE unproven_emails")  # DDL: no row count
        await tx.execute(
            "INSERT INTO users (id, email, password_hash, phone, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            ("u1", "ann@example.com", "$sha256$2b$04$hash", None, 1),
        )
    await older.close()

    upgraded = open_store_for(db_url)
    await upgraded.open()
    try:
        assert await upgraded.create_api_key(key(1, "u1"), 10)
        user = await upgraded.user_by_email("ann@example.com")
        assert user == UserRecord("u1", "ann@example.com", "$sha256$2b$04$hash", None, 1, True)
        assert await upgraded.prove_email("u1") is None
        assert await upgraded.api_keys_for_user("u1") == [key(1, "u1")]
    finally:
        await upgraded.close()


async def test_credentials_asked_for_by_a_signed_out_session_are_not_written(
    store: Store,
) -> None:
    """A password, API key or webhook token is written only if no sign-out mark of the user
    is newer than the asking session (``issued_at``); a session issued at the mark itself is
    a later one, and may."""
    await store.create_user(SIGNED_UP)
    await store.sign_out_everywhere("u1", 1_000)
    with pytest.raises(SessionEndedError):
        await store.set_password("u1", "$2b$04$stranger", issued_at=999)
    with pytest.raises(SessionEndedError):
        await store.create_api_key(key(1, "u1"), 10, issued_at=999)
    with pytest.raises(SessionEndedError):
        await store.set_webhook_token("a1", "u1", "hash", 5, issued_at=999)
    assert await store.user_by_id("u1") == SIGNED_UP
    assert await store.api_keys_for_user("u1") == []
    assert await store.webhook_token("a1") is None

    await store.set_password("u1", "$2b$04$owner", issued_at=1_000)
    assert await store.create_api_key(key(1, "u1"), 10, issued_at=1_000)
    await store.set_webhook_token("a1", "u1", "hash", 5, issued_at=1_000)
    assert await store.user_by_id("u1") == replace(SIGNED_UP, password_hash="$2b$04$owner")
    assert [k.key_id for k in await store.api_keys_for_user("u1")] == ["k1"]
    assert await store.webhook_token("a1") == ("u1", "hash")


async def test_a_password_change_racing_the_first_proof_does_not_outlive_it(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stranger's password change (signed in when it began) checks the sign-out mark and
    then, paused there, writes; the owner's first proof of the address runs meanwhile
    (``web/auth/proof.py``: clear the password, the mark, ``prove_email``). On PostgreSQL
    the change holds the user's credentials lock from before its check to its commit, so the
    proof waits for it and clears what it wrote: no password survives the proof. (SQLite
    serialises whole write transactions, its store's lock and ``BEGIN IMMEDIATE``: the proof
    cannot run inside the change there, nothing to race.)"""
    store = open_store_for(pg_url)
    await store.open()
    assert isinstance(store, SqlStore)
    user = replace(SIGNED_UP, id=f"u-{uuid.uuid4().hex}")  # its lock is this test's alone
    checked, release = asyncio.Event(), asyncio.Event()
    racer: asyncio.Task[None] | None = None
    plain = store._transaction

    class PausedAfterTheCheck:
        def __init__(self, tx: Any) -> None:
            self.tx = tx

        async def execute(self, sql: str, args: Sequence[Any] = ()) -> int:
            return int(await self.tx.execute(sql, args))

        async def fetch(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
            rows = list(await self.tx.fetch(sql, args))
            if "session_cutoffs" in sql and asyncio.current_task() is racer:
                checked.set()
                await release.wait()
            return rows

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        async with plain() as tx:
            yield PausedAfterTheCheck(tx)

    monkeypatch.setattr(store, "_transaction", transaction)

    async def first_proof() -> None:
        await store.set_password(user.id, None)
        await store.sign_out_everywhere(user.id, 2_000)
        await store.prove_email(user.id)

    async def proof_waits_for_the_lock(watcher: Any) -> bool:
        rows = await watcher.fetch(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid::text::bigint = (hashtext($1)::bigint & 4294967295)",
            user.id,
        )
        return bool(rows)

    watcher = await asyncpg.connect(pg_url)
    try:
        await store.create_user(user)
        racer = asyncio.create_task(store.set_password(user.id, "$2b$04$stranger", issued_at=1_000))
        await checked.wait()
        proof = asyncio.create_task(first_proof())
        # the proof ends (nothing makes it wait), or waits for the change's lock
        async with asyncio.timeout(10):
            while not proof.done() and not await proof_waits_for_the_lock(watcher):
                await asyncio.sleep(0.01)
        release.set()
        await asyncio.gather(racer, proof)
        after = await store.user_by_id(user.id)
        assert after is not None
        assert after.password_hash is None, "the stranger's password outlived the proof"
        assert after.email_proven
    finally:
        release.set()
        await watcher.close()
        await store.close()
