"""The key ring's 1 s cache never outlives a change made through this process.

A read already under way when a key is revoked, or a leverage changed, may have read the row
before the change: it answers its own request, but it must not be cached. Before, it was:
a revoked key kept signing for up to a second, and an order placed right after
``POST /fapi/v1/leverage`` could be sized with the old leverage for as long."""

from __future__ import annotations

import asyncio
import os

from velox.binance.keyring import KeyRing
from velox.store.records import ApiKeyRecord
from velox.vault import Vault

KEY = "k" * 64


class SlowStore:
    """The rows a key ring reads; each read waits for ``release`` when ``hold`` is set."""

    def __init__(self, record: ApiKeyRecord) -> None:
        self.record: ApiKeyRecord | None = record
        self.levels = {"BTCUSDT": 20}
        self.hold = False
        self.release = asyncio.Event()
        self.reading = asyncio.Event()

    async def _wait(self) -> None:
        if self.hold:
            self.reading.set()
            await self.release.wait()

    async def api_key_by_key(self, api_key: str) -> ApiKeyRecord | None:
        record = self.record
        await self._wait()
        return record

    async def symbol_leverages(self, account_id: str) -> dict[str, int]:
        levels = dict(self.levels)
        await self._wait()
        return levels

    async def set_symbol_leverage(self, account_id: str, symbol: str, leverage: int) -> None:
        self.levels[symbol] = leverage


def ring() -> tuple[KeyRing, SlowStore]:
    vault = Vault(os.urandom(32))
    record = ApiKeyRecord("7", "u1", "1", "bot", KEY, vault.seal("s" * 64, "7"), ("read",), 0)
    store = SlowStore(record)
    return KeyRing(store, vault, ttl_s=60), store  # type: ignore[arg-type]


async def test_a_lookup_under_way_at_a_revocation_is_not_cached() -> None:
    keys, store = ring()
    store.hold = True
    lookup = asyncio.create_task(keys.lookup(KEY))
    await store.reading.wait()  # it has read the row: the key still exists
    record, store.record = store.record, None  # deleted...
    assert record is not None
    await keys.revoked(record)  # ...and revoked through this process
    store.release.set()
    assert await lookup is not None  # its own request began before the revocation
    assert await keys.lookup(KEY) is None  # but the revoked key is not remembered


async def test_a_leverage_read_under_way_at_a_change_is_not_cached() -> None:
    keys, store = ring()
    store.hold = True
    reading = asyncio.create_task(keys.leverages("1"))
    await store.reading.wait()
    await keys.set_leverage("1", "BTCUSDT", 50)
    store.release.set()
    assert await reading == {"BTCUSDT": 20}
    store.hold = False
    assert await keys.leverages("1") == {"BTCUSDT": 50}
