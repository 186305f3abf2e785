"""Start-up: the secrets this process holds must be the ones the database was used with.

Run once, right after the store opens (the second ``cleanup_ctx``), so a wrong secret stops
the start before the engine, the feed, the bus or HTTP have begun, with one ``velox:`` line:

- the API key file must be the one the other processes on the database use
  (``check_key_file``): otherwise a key created on one gateway answers -2015 on another;
- the session secret must be the one the other processes on the database sign with
  (``velox.web.auth.fingerprint``): otherwise their tokens are 401 here and ours there.

The database's one writer records its fingerprints only once its whole start has gone
through (``record_fingerprints``). Either check is skipped where the process has no such
secret (the engine holds no vault, and a session secret only when one is configured).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from velox.binance.keys import VAULT
from velox.store.base import Store
from velox.vault import KEY_FILE_META, Vault, VaultError, check_opens, key_path
from velox.web.auth.fingerprint import Deferred, agrees, check_fingerprint
from velox.web.keys import FINGERPRINTS, SESSION_FINGERPRINT, SETTINGS, STORE


async def secrets_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[STORE]
    later: Deferred = []  # the writer's fingerprints: recorded by ``record_fingerprints``
    app[FINGERPRINTS] = later
    mine = app.get(SESSION_FINGERPRINT)
    if mine is not None:
        await check_fingerprint(store, mine, later)
    vault = app.get(VAULT)
    if vault is not None:
        path = key_path(app[SETTINGS].api_key_file, app[SETTINGS].data_dir)
        # the single process writes the database; a gateway (its own contexts) follows
        await check_key_file(store, vault, path, writer=mine is None or mine.writer, later=later)
    yield


async def record_fingerprints(app: web.Application) -> None:
    """An ``on_startup`` handler, so after every context has started: the writer's secrets
    become the database's only once its start has gone through (a refused start changes
    nothing in the database)."""
    for key, value in app.get(FINGERPRINTS, ()):
        await app[STORE].set_meta(key, value)


async def check_key_file(
    store: Store, vault: Vault, path: Path, *, writer: bool, later: Deferred | None = None
) -> None:
    """The key file must open the stored API secrets (``check_opens``: a lost file is
    created anew; also what guards a database from before the fingerprint), and must be the
    one whose fingerprint the database records, even when no API key exists yet (a gateway
    with another file would create keys no other gateway opens).

    The database's one writer holding a vault (``velox run``; ``velox engine`` holds none)
    records its fingerprint at each start (with no stored key it loses nothing by changing
    file, and once keys exist ``check_opens`` holds it to theirs); a gateway records its own
    only where none is recorded (the first gateway decides), and else compares.
    """
    stored = await store.any_api_key()
    if stored is not None:
        check_opens(vault, stored.secret_sealed, stored.key_id, path)
    if not await agrees(store, KEY_FILE_META, vault.fingerprint, writer=writer, later=later):
        raise VaultError(
            f"the API key file {path} is not the one the other processes on this database "
            "use (its fingerprint differs): give every velox run and gateway on it the same "
            "--api-key-file"
        )
