"""The listen-key book: ``listenKey``s per API key, their life, and their sockets.

A listen key belongs to one API key (so to one account), lives 60 minutes from its creation
or last keepalive (``PUT /fapi/v1/listenKey``). The book is in memory; the store keeps a
copy so that a key outlives a restart (``velox.binance.listenkey`` writes and restores it).
Gateways share their books over the bus (``velox.bus.listenkeys``), so a key made on one
works on every other. Creating one while the API key has a live one returns that one,
extended. When it expires its sockets get Binance's ``listenKeyExpired`` event and close;
deleting it, or revoking its API key, closes them too.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from velox.binance.keyring import Credential

VALIDITY_MS = 60 * 60 * 1000
_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True, eq=False)  # compared and hashed by identity
class Listen:
    listen_key: str
    key_id: str
    user_id: str
    account_id: str
    expires_ms: int
    sockets: set[Any] = field(default_factory=set)


class ListenBook:
    """Who holds which listen key, until when, and the sockets reading it."""

    def __init__(self, wall_ms: Callable[[], int]) -> None:
        self._wall_ms = wall_ms
        self._by_listen: dict[str, Listen] = {}
        self._by_key: dict[str, Listen] = {}
        self._by_owner: dict[str, set[Listen]] = {}

    # -- the REST side -------------------------------------------------------------------
    def create(self, key: Credential) -> Listen:
        now = self._wall_ms()
        live = self._by_key.get(key.key_id)
        if live is not None and live.expires_ms > now:
            live.expires_ms = now + VALIDITY_MS
            self.changed(live)
            return live
        if live is not None:
            self._drop(live, expired=True)
        listen_key = "".join(secrets.choice(_ALPHABET) for _ in range(64))
        listen = Listen(listen_key, key.key_id, key.user_id, key.account_id, now + VALIDITY_MS)
        self._file(listen)
        self.changed(listen)
        return listen

    def keepalive(self, key: Credential) -> Listen | None:
        live = self.live_of(key)
        if live is None:
            return None
        live.expires_ms = self._wall_ms() + VALIDITY_MS
        self.changed(live)
        return live

    def close(self, key: Credential) -> bool:
        live = self.live_of(key)
        if live is None:
            return False
        self._drop(live, expired=False)
        self.withdrawn(live)
        return True

    # -- hooks for a book shared by several gateways -------------------------------------
    def changed(self, listen: Listen) -> None:
        """A listen key was created here, or its life extended."""

    def withdrawn(self, listen: Listen) -> None:
        """A listen key was closed here, or its API key revoked (expiry is each one's own)."""

    def adopt(self, listen: Listen) -> None:
        """Another gateway's ``changed``: know the key, or extend it (never shorten it)."""
        known = self._by_listen.get(listen.listen_key)
        if known is not None:
            known.expires_ms = max(known.expires_ms, listen.expires_ms)
            return
        self._file(listen)

    def forget(self, listen_key: str) -> None:
        """Another gateway's ``withdrawn``: drop the key and close its sockets here."""
        listen = self._by_listen.get(listen_key)
        if listen is not None:
            self._drop(listen, expired=False)

    def live(self) -> list[Listen]:
        now = self._wall_ms()
        return [listen for listen in self._by_listen.values() if listen.expires_ms > now]

    def _file(self, listen: Listen) -> None:
        self._by_listen[listen.listen_key] = listen
        self._by_key[listen.key_id] = listen
        self._by_owner.setdefault(listen.account_id, set()).add(listen)

    def live_of(self, key: Credential) -> Listen | None:
        listen = self._by_key.get(key.key_id)
        if listen is None:
            return None
        if listen.expires_ms <= self._wall_ms():
            self._drop(listen, expired=True)
            return None
        return listen

    def lookup(self, listen_key: str) -> Listen | None:
        """The live listen key (an expired one is dropped and its sockets told)."""
        listen = self._by_listen.get(listen_key)
        if listen is not None and listen.expires_ms <= self._wall_ms():
            self._drop(listen, expired=True)
            return None
        return listen

    async def catch_up(self) -> None:
        """Be in step with the other gateways: what they published before now is applied
        here, and what this book published is on the bus (before a reply names a key). A
        no-op alone; a shared book (``velox.bus.listenkeys``) waits one trip through NATS."""

    async def find(self, listen_key: str) -> Listen | None:
        """``lookup`` for a socket about to open, after catching up: the key may have been
        made, or closed, on another gateway a moment ago."""
        await self.catch_up()
        return self.lookup(listen_key)

    async def find_live(self, key: Credential) -> Listen | None:
        """``live_of`` for a create, keepalive or close, after catching up (as ``find``): a
        keepalive here must not revive a key just closed on another gateway."""
        await self.catch_up()
        return self.live_of(key)

    def revoked(self, key_id: str) -> None:
        """A key-ring listener: the API key is gone, so are its listen key and sockets."""
        listen = self._by_key.get(key_id)
        if listen is not None:
            self._drop(listen, expired=False)
            self.withdrawn(listen)

    def forget_key_of(self, key_id: str) -> None:
        """Another gateway revoked the API key ``key_id`` (``velox.bus.keyring``): drop its
        listen key and close its sockets here before confirming the revocation; that
        gateway tells the others' books itself (``withdrawn``)."""
        listen = self._by_key.get(key_id)
        if listen is not None:
            self._drop(listen, expired=False)

    def _drop(self, listen: Listen, *, expired: bool) -> None:
        self._by_listen.pop(listen.listen_key, None)
        if self._by_key.get(listen.key_id) is listen:
            del self._by_key[listen.key_id]
        owners = self._by_owner.get(listen.account_id)
        if owners is not None:
            owners.discard(listen)
            if not owners:
                del self._by_owner[listen.account_id]
        farewell = None
        if expired:
            farewell = orjson.dumps(
                {"e": "listenKeyExpired", "E": self._wall_ms(), "listenKey": listen.listen_key}
            )
        for socket in tuple(listen.sockets):
            socket.end(farewell)
        listen.sockets.clear()

    # -- the stream side -----------------------------------------------------------------
    def attach(self, listen: Listen, socket: Any) -> None:
        listen.sockets.add(socket)

    def detach(self, listen: Listen, socket: Any) -> None:
        listen.sockets.discard(socket)
