"""API keys and per-symbol leverage on SQLite and PostgreSQL (one contract, both stores)."""

from __future__ import annotations

import asyncio

from velox.store.base import Store
from velox.store.records import ApiKeyRecord


def key(n: int, user: str = "u1", perms: tuple[str, ...] = ("read",)) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=f"k{n}",
        user_id=user,
        account_id=user,
        name=f"bot {n}",
        api_key=f"API{n:061d}",
        secret_sealed=b"v1" + bytes([n]) * 40,
        permissions=perms,
        created_at=1_700_000_000_000 + n,
    )


async def test_create_and_read_back(store: Store) -> None:
    trading = key(1, perms=("read", "trade"))
    assert await store.create_api_key(trading, 10) is True
    assert await store.api_key_by_key(trading.api_key) == trading
    assert await store.api_keys_for_user("u1") == [trading]
    assert await store.api_key_by_key("API-none") is None
    assert await store.api_keys_for_user("u2") == []


async def test_keys_listed_oldest_first_per_user(store: Store) -> None:
    for n in (3, 1, 2):
        await store.create_api_key(key(n), 10)
    await store.create_api_key(key(4, user="u2"), 10)
    assert [k.key_id for k in await store.api_keys_for_user("u1")] == ["k1", "k2", "k3"]
    assert [k.key_id for k in await store.api_keys_for_user("u2")] == ["k4"]


async def test_at_most_max_per_user(store: Store) -> None:
    for n in range(3):
        assert await store.create_api_key(key(n), 3) is True
    assert await store.create_api_key(key(9), 3) is False
    assert await store.api_key_by_key(key(9).api_key) is None
    assert await store.create_api_key(key(10, user="u2"), 3) is True  # per user


async def test_delete_only_own_key(store: Store) -> None:
    mine = key(1)
    await store.create_api_key(mine, 10)
    assert await store.delete_api_key("u2", "k1") is None  # another user's: untouched
    assert await store.api_key_by_key(mine.api_key) == mine
    assert await store.delete_api_key("u1", "k1") == mine
    assert await store.api_key_by_key(mine.api_key) is None
    assert await store.delete_api_key("u1", "k1") is None


async def test_symbol_leverage_upserts_per_account(store: Store) -> None:
    assert await store.symbol_leverages("a1") == {}
    await store.set_symbol_leverage("a1", "BTCUSDT", 5)
    await store.set_symbol_leverage("a1", "ETHUSDT", 7)
    await store.set_symbol_leverage("a1", "BTCUSDT", 12)
    await store.set_symbol_leverage("a2", "BTCUSDT", 3)
    assert await store.symbol_leverages("a1") == {"BTCUSDT": 12, "ETHUSDT": 7}
    assert await store.symbol_leverages("a2") == {"BTCUSDT": 3}


async def test_webhook_token_per_account_replaced_on_rotation(store: Store) -> None:
    assert await store.webhook_token("a1") is None
    await store.set_webhook_token("a1", "u1", "h" * 64, 5)
    await store.set_webhook_token("a2", "u2", "g" * 64, 6)
    await store.set_webhook_token("a1", "u1", "f" * 64, 7)
    assert await store.webhook_token("a1") == ("u1", "f" * 64)
    assert await store.webhook_token("a2") == ("u2", "g" * 64)


async def test_the_limit_holds_under_racing_creates(store: Store) -> None:
    """Twenty creates at once, from a user allowed five: exactly five. (On PostgreSQL the
    count and the insert of racing transactions both passed: 13 keys of 10 in an outside
    review's run.)"""
    made = await asyncio.gather(*(store.create_api_key(key(n), 5) for n in range(20)))
    assert made.count(True) == 5
    assert len(await store.api_keys_for_user("u1")) == 5
