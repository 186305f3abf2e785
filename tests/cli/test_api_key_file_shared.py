"""Every process on one database opens API secrets with one key file: the database's one
writer holding a vault (``velox run``; ``velox engine`` holds none) records the key file's
fingerprint at each start, else the first gateway does, and a process whose key file
differs refuses to start in one line, even before any API key exists.

Before, only a stored API key could tell (``check_opens``): a gateway started with another
``--api-key-file`` on a fresh deployment joined in silence, and a key created on one gateway
answered -2015 on the other. ``check_opens`` still guards databases from before the
fingerprint (keys stored, none recorded)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.store.test_store_apikeys import key
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.vault import KEY_FILE_META, Vault, VaultError
from velox.web.secret_checks import check_key_file

FIRST, OTHER = Vault(b"\x01" * 32), Vault(b"\x02" * 32)
PATH = Path("/keys/api_keys.key")
REFUSAL = (
    f"the API key file {PATH} is not the one the other processes on this database use (its "
    "fingerprint differs): give every velox run and gateway on it the same --api-key-file"
)


async def opened(db_url: str) -> Store:
    store = open_store_for(db_url)
    await store.open()
    return store


async def test_gateways_follow_the_writers_key_file_before_any_key_exists(db_url: str) -> None:
    store = await opened(db_url)
    try:
        assert await store.any_api_key() is None
        await check_key_file(store, FIRST, PATH, writer=True)
        await check_key_file(store, FIRST, PATH, writer=False)
        with pytest.raises(VaultError) as refused:
            await check_key_file(store, OTHER, PATH, writer=False)
        assert str(refused.value) == REFUSAL
        recorded = await store.get_meta(KEY_FILE_META)
    finally:
        await store.close()
    assert recorded == FIRST.fingerprint and len(recorded or "") == 64
    assert (b"\x01" * 32).hex() not in (recorded or "")


async def test_the_first_gateway_decides_where_no_writer_did(db_url: str) -> None:
    store = await opened(db_url)
    try:
        await check_key_file(store, OTHER, PATH, writer=False)
        with pytest.raises(VaultError, match="is not the one the other processes"):
            await check_key_file(store, FIRST, PATH, writer=False)
    finally:
        await store.close()


async def test_a_database_from_before_the_fingerprint_is_still_checked_by_its_keys(
    db_url: str,
) -> None:
    store = await opened(db_url)
    try:
        stored = dataclasses.replace(key(1), secret_sealed=FIRST.seal("s3cret", "k1"))
        assert await store.create_api_key(stored, 10)
        assert await store.get_meta(KEY_FILE_META) is None
        with pytest.raises(VaultError, match="does not open the API secrets stored"):
            await check_key_file(store, OTHER, PATH, writer=False)
        await check_key_file(store, FIRST, PATH, writer=False)  # opens them: recorded now
        assert await store.get_meta(KEY_FILE_META) == FIRST.fingerprint
    finally:
        await store.close()
