"""API keys as signed requests need them: looked up by ``apiKey``, secret opened, revocable.

A signed request needs the key's secret in the clear (an HMAC is checked by recomputing it).
``KeyRing.lookup`` reads the store and opens the sealed secret with the vault, then keeps the
credential for ``ttl_s`` (1 s) so a busy bot does not cost a database read per request.
Revoking through this process (``revoked``) drops the entry at once and tells the listeners
(user-data streams close that key's connections), and a lookup under way meanwhile is not
cached (it may have read the row before the deletion). The account's leverages are kept the
same way in one process. Behind several gateways (``velox.bus.keyring``) the ``peers`` hear
of each revocation, and the reply waits until the bus has taken it; and leverages are not
kept at all (``leverage_ttl_s`` 0): an order on one gateway must use the leverage set through
another a moment before (a position's leverage is fixed for its life), and no broadcast can
promise that a message has been applied before the next request arrives elsewhere.
"""

from __future__ import annotations

import logging
import secrets
import string
import time
from collections.abc import Callable
from typing import Protocol

from velox.frozen import frozen
from velox.store.base import Store
from velox.store.records import ApiKeyRecord
from velox.vault import Vault, VaultError

log = logging.getLogger(__name__)

READ, TRADE = "read", "trade"
KEY_ALPHABET = string.ascii_letters + string.digits
KEY_LENGTH = 64  # as Binance's: 64 letters and digits, for the key and for the secret
MAX_CACHED = 10_000


def new_token() -> str:
    return "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_LENGTH))


@frozen
class Credential:
    """An API key with its secret opened: lives in memory only, never logged."""

    key_id: str
    user_id: str
    account_id: str
    api_key: str
    secret: str
    permissions: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Credential(key_id={self.key_id!r}, account_id={self.account_id!r})"


RevokeListener = Callable[[str], None]  # gets the revoked key's id


class KeyPeers(Protocol):
    """The other processes keeping key rings (gateways): told of a revocation, they forget
    the key; ``tell`` returns once the bus has taken the message. ``serve`` makes them this
    ring's peers (and the ring the one they make forget)."""

    def serve(self, ring: KeyRing) -> None: ...

    async def tell(self, message: dict[str, str]) -> None: ...


class KeyRing:
    def __init__(
        self,
        store: Store,
        vault: Vault,
        *,
        ttl_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.vault = vault
        self.ttl_s = ttl_s
        self.leverage_ttl_s = ttl_s  # 0: read from the store every time (behind gateways)
        self._clock = clock
        self._cache: dict[str, tuple[float, Credential]] = {}
        self._listeners: list[RevokeListener] = []
        self._modes: dict[str, str] = {}
        self._leverages: dict[str, tuple[float, dict[str, int]]] = {}
        # bumped by each revocation and leverage change: a read that was under way meanwhile
        # answers its own request but is not cached (it may predate the change)
        self._changes = 0
        self.peers: KeyPeers | None = None

    def seal(self, key_id: str, secret: str) -> bytes:
        """The secret sealed for the row ``key_id`` (so it opens in that row only)."""
        return self.vault.seal(secret, key_id)

    async def lookup(self, api_key: str) -> Credential | None:
        """The live key ``api_key`` names, or None (unknown, revoked, or unreadable)."""
        now = self._clock()
        hit = self._cache.get(api_key)
        if hit is not None and hit[0] > now:
            return hit[1]
        changes = self._changes
        record = await self.store.api_key_by_key(api_key)
        if record is None:
            self._cache.pop(api_key, None)
            return None
        credential = self._open(record)
        if credential is not None and changes == self._changes:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[api_key] = (now + self.ttl_s, credential)
        return credential

    def _open(self, record: ApiKeyRecord) -> Credential | None:
        try:
            secret = self.vault.open(record.secret_sealed, record.key_id)
        except VaultError:
            # Another key file than the one that sealed it: the key cannot sign anything.
            log.error("API key %s: its secret does not open with this key file", record.key_id)
            return None
        return Credential(
            record.key_id, record.user_id, record.account_id, record.api_key, secret,
            record.permissions,
        )  # fmt: skip

    async def mode_of(self, account_id: str) -> str | None:
        """The account's mode (HEDGING or NETTING), which never changes: read once."""
        mode = self._modes.get(account_id)
        if mode is None:
            record = await self.store.account(account_id)
            if record is None:
                return None
            mode = self._modes[account_id] = record.mode
        return mode

    async def may_trade(self, key: Credential) -> bool:
        """SPEC 13: a key trades only its own NETTING account; on a HEDGING account it is
        read-only whatever its permissions (checked by every TRADE endpoint, and shown as
        the account's ``canTrade``)."""
        return TRADE in key.permissions and await self.mode_of(key.account_id) == "NETTING"

    async def leverages(self, account_id: str) -> dict[str, int]:
        """The account's leverage per symbol (``/fapi/v1/leverage``), kept ``leverage_ttl_s``;
        a change made through this process (``set_leverage``) is seen at once."""
        now = self._clock()
        hit = self._leverages.get(account_id)
        if hit is not None and hit[0] > now:
            return hit[1]
        changes = self._changes
        levels = await self.store.symbol_leverages(account_id)
        if changes != self._changes or self.leverage_ttl_s <= 0:
            return levels
        if len(self._leverages) >= MAX_CACHED:
            self._leverages.clear()
        self._leverages[account_id] = (now + self.leverage_ttl_s, levels)
        return levels

    async def set_leverage(self, account_id: str, symbol: str, leverage: int) -> None:
        await self.store.set_symbol_leverage(account_id, symbol, leverage)
        self._changes += 1
        self._leverages.pop(account_id, None)

    def forget_key(self, api_key: str) -> None:
        self._changes += 1
        self._cache.pop(api_key, None)

    def subscribe(self, listener: RevokeListener) -> None:
        self._listeners.append(listener)

    async def revoked(self, record: ApiKeyRecord) -> None:
        """The key was deleted: forget it now, tell the listeners and the peers."""
        self.forget_key(record.api_key)
        for listener in self._listeners:
            try:
                listener(record.key_id)
            except Exception:
                log.exception("revocation listener failed")
        if self.peers is not None:
            await self.peers.tell({"revoke": record.api_key, "id": record.key_id})
