"""Start-up: the secrets this process holds must be the ones the database was used with.

Run once, right after the store opens (the second ``cleanup_ctx``), so a wrong secret stops
the start before the engine, the feed, the bus or HTTP have begun, with one ``velox:`` line:

- the API key file must open the API secrets stored (``velox.vault.check_opens``): a missing
  file is created anew and would otherwise answer -2015 for every stored key, for good;
- the session secret must be the one the other processes on the database sign with
  (``velox.web.auth.fingerprint``): otherwise their tokens are 401 here and ours there.

Either check is skipped where the process has no such secret (the engine holds no vault, and
a session secret only when one is configured).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from velox.binance.keys import VAULT
from velox.vault import check_opens, key_path
from velox.web.auth.fingerprint import check_fingerprint
from velox.web.keys import SESSION_FINGERPRINT, SETTINGS, STORE


async def secrets_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[STORE]
    mine = app.get(SESSION_FINGERPRINT)
    if mine is not None:
        await check_fingerprint(store, mine)
    vault = app.get(VAULT)
    stored = None if vault is None else await store.any_api_key()
    if vault is not None and stored is not None:
        path = key_path(app[SETTINGS].api_key_file, app[SETTINGS].data_dir)
        check_opens(vault, stored.secret_sealed, stored.key_id, path)
    yield
