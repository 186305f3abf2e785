"""``POST/PUT/DELETE /fapi/v1/listenKey``: the user-data stream's handle (API key only).

As Binance's USER_STREAM endpoints: the ``X-MBX-APIKEY`` header authenticates, no signature
or timestamp. PUT or DELETE without a live listen key is -1125.

A listen key outlives a restart of Velox, as one of Binance's outlives a restart of its
servers: a bot keeps the key it holds (ccxt re-creates one only every 20 minutes), so a key
known only in memory would leave it without its stream until then. Each create, keepalive
and close is written to the store (the key sealed like the API secrets) before it is
answered, and ``restore`` refills the book from the store at start.
"""

from __future__ import annotations

import logging
from typing import Any

from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError
from velox.binance.keyring import READ
from velox.binance.keys import LISTEN_KEYS, VAULT
from velox.binance.streams.listenbook import Listen, ListenBook
from velox.store.base import Store
from velox.store.records import ListenKeyRecord
from velox.vault import Vault, VaultError
from velox.web.keys import STORE

log = logging.getLogger(__name__)


def _missing() -> BinanceError:
    return BinanceError(-1125, "This listenKey does not exist.")


def _bound_to(key_id: str) -> str:
    """What a sealed listen key is bound to: its API key, and not an API secret's row."""
    return "listen-key:" + key_id


@endpoint(1, signed=READ, key_only=True)
async def create(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    await keys.find_live(call.credential)  # one live key per API key, whichever gateway made it
    listen = keys.create(call.credential)
    sealed = call.app[VAULT].seal(listen.listen_key, _bound_to(listen.key_id))
    await call.app[STORE].put_listen_key(
        ListenKeyRecord(listen.key_id, sealed, listen.user_id, listen.account_id,
                        listen.expires_ms)
    )  # fmt: skip
    await keys.catch_up()  # every gateway can know it now
    return {"listenKey": listen.listen_key}


@endpoint(1, signed=READ, key_only=True)
async def keepalive(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    if await keys.find_live(call.credential) is None:
        raise _missing()
    listen = keys.keepalive(call.credential)
    if listen is None:  # expired between the two (the same millisecond)
        raise _missing()
    await call.app[STORE].extend_listen_key(listen.key_id, listen.expires_ms)
    await keys.catch_up()  # every gateway can know it now
    return {"listenKey": listen.listen_key}


@endpoint(1, signed=READ, key_only=True)
async def close(call: Call) -> Any:
    keys = call.app[LISTEN_KEYS]
    if await keys.find_live(call.credential) is None:
        raise _missing()
    # Forgotten by the store first: if that fails, the key is still live and the close can
    # be retried; the other way round, the key would come back at the next start.
    await call.app[STORE].drop_listen_key(call.credential.key_id)
    if not keys.close(call.credential):
        raise _missing()
    await keys.catch_up()  # every gateway can know it now
    return {}


async def restore(book: ListenBook, store: Store, vault: Vault, now_ms: int) -> int:
    """Put the store's live listen keys back in ``book`` (at start); how many."""
    listens = await stored(store, vault, now_ms)
    for listen in listens:
        book.adopt(listen)
    return len(listens)


async def stored(store: Store, vault: Vault, now_ms: int) -> list[Listen]:
    """The store's live listen keys (of API keys not deleted), opened."""
    listens = []
    for row in await store.live_listen_keys(now_ms):
        try:
            listen_key = vault.open(row.listen_key_sealed, _bound_to(row.key_id))
        except VaultError:  # not one of ours: its bot creates a new one, as after an expiry
            log.warning("listen key of API key %s does not open; not restored", row.key_id)
            continue
        listens.append(Listen(listen_key, row.key_id, row.user_id, row.account_id,
                              row.expires_at))  # fmt: skip
    return listens
