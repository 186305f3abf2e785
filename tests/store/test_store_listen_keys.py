"""Listen keys on SQLite and PostgreSQL (one contract, both stores): what a restart rebuilds
the book of live listen keys from."""

from __future__ import annotations

from tests.store.test_store_apikeys import key
from velox.store.base import Store
from velox.store.records import ListenKeyRecord


def listen(n: int, expires_at: int, sealed: bytes = b"v1sealed") -> ListenKeyRecord:
    return ListenKeyRecord(f"k{n}", sealed + bytes([n]), "u1", "u1", expires_at)


async def test_a_put_key_is_live_until_it_expires(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.create_api_key(key(2), 10)
    await store.put_listen_key(listen(1, 5000))
    await store.put_listen_key(listen(2, 3000))
    assert await store.live_listen_keys(2999) == [listen(1, 5000), listen(2, 3000)]
    assert await store.live_listen_keys(3000) == [listen(1, 5000)]  # expiry is exclusive
    assert await store.live_listen_keys(5000) == []


async def test_one_key_per_api_key_the_latest_put_wins(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.put_listen_key(listen(1, 5000, b"first"))
    await store.put_listen_key(listen(1, 7000, b"second"))
    assert await store.live_listen_keys(0) == [listen(1, 7000, b"second")]


async def test_keepalive_extends_only_a_stored_key(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.create_api_key(key(2), 10)
    await store.put_listen_key(listen(1, 5000))
    await store.extend_listen_key("k1", 9000)
    await store.extend_listen_key("k2", 9000)  # none stored: a keepalive creates nothing
    assert await store.live_listen_keys(0) == [listen(1, 9000)]


async def test_a_dropped_key_is_not_restored(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.put_listen_key(listen(1, 5000))
    await store.drop_listen_key("k1")
    await store.drop_listen_key("k1")  # twice is harmless
    assert await store.live_listen_keys(0) == []
    await store.extend_listen_key("k1", 9000)  # a keepalive racing the close revives nothing
    assert await store.live_listen_keys(0) == []


async def test_deleting_the_api_key_deletes_its_listen_key(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.create_api_key(key(2), 10)
    await store.put_listen_key(listen(1, 5000))
    await store.put_listen_key(listen(2, 5000))
    assert await store.delete_api_key("u2", "k1") is None  # not theirs: nothing goes
    assert len(await store.live_listen_keys(0)) == 2
    await store.delete_api_key("u1", "k1")
    assert await store.live_listen_keys(0) == [listen(2, 5000)]
    # Written for a key deleted meanwhile (a create racing the delete): never restored.
    await store.put_listen_key(listen(1, 6000))
    assert await store.live_listen_keys(0) == [listen(2, 5000)]


async def test_expired_listen_keys_are_swept_with_the_other_auth_rows(store: Store) -> None:
    await store.create_api_key(key(1), 10)
    await store.create_api_key(key(2), 10)
    await store.put_listen_key(listen(1, 1000))
    await store.put_listen_key(listen(2, 3000))
    assert await store.forget_expired_auth(2000) == 1
    assert await store.forget_expired_auth(2000) == 0
    assert await store.live_listen_keys(0) == [listen(2, 3000)]
