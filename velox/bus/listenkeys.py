"""Listen keys that work on every gateway.

A bot behind a load balancer creates its listen key (``POST /fapi/v1/listenKey``) on one
gateway, keeps it alive on another and opens ``/ws/<listenKey>`` on a third, as it would on
Binance, where a listen key is the exchange's, not one server's. So each gateway publishes
what it does to its book (a key created or extended, a key closed or its API key revoked)
and applies what the others publish; the reply naming a key waits until the key is on the
bus, and a gateway asked about a key (a socket, a keepalive, a close, a create) first
catches up with the bus (one trip through NATS), so no reply is overtaken by its client: a
key made elsewhere a moment ago is found, one closed elsewhere is not revived.
A gateway that starts says hello and the others publish the keys they hold, so a key
made before it started works on it too. Expiry needs no message: every gateway has the
same expiry time and drops the key itself, telling its own sockets.

A gateway cut off from NATS for a while misses what the others published meanwhile; every
create, keepalive and close is in the store before it is answered, so it reads the store's
live keys again when it is back (``reread``): it adopts those it did not know and drops
those the store no longer has (closed elsewhere, or their API key deleted).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client

from velox.binance.keyring import Credential
from velox.binance.listenkey import stored
from velox.binance.streams.listenbook import Listen
from velox.binance.streams.user import ListenKeys
from velox.bus.broadcast import Broadcast
from velox.bus.subjects import Subjects
from velox.engine.engine import Engine
from velox.store.base import Store
from velox.vault import Vault

RECENT_MS = 10_000  # a key made here this lately is kept by ``reread`` (its write pending)


class SharedListenKeys(ListenKeys):
    def __init__(
        self,
        engine: Callable[[], Engine],
        wall_ms: Callable[[], int],
        nc: Client,
        subjects: Subjects,
    ) -> None:
        super().__init__(engine, wall_ms)
        self.bus = Broadcast(nc, subjects.listen_keys, "listen key")
        # keys made here lately, oldest first: their store write may still be under way
        self._made: OrderedDict[str, int] = OrderedDict()

    async def start(self) -> None:
        await self.bus.listen(self._apply)
        await self.bus.caught_up()  # our subscription is on the server
        self.bus.send({"hello": 1})

    async def catch_up(self) -> None:
        await self.bus.caught_up()

    async def reread(self, store: Store, vault: Vault, now_ms: int) -> None:
        """Be in step with the store again after messages may have been missed. A key made
        made here a moment ago may not be in what was read (its write under way): it is
        kept; a key known before was in the store already, unless closed since."""
        held = {listen.listen_key for listen in self.live()}
        listens = await stored(store, vault, now_ms)
        for listen in listens:
            self.adopt(listen)
        self._forget_old()
        kept = {listen.listen_key for listen in listens} | set(self._made)
        for listen_key in held - kept:
            self.forget(listen_key)

    def create(self, key: Credential) -> Listen:
        known = self._by_key.get(key.key_id)
        listen = super().create(key)
        if listen is not known:
            self._forget_old()
            self._made[listen.listen_key] = self._wall_ms()
        return listen

    def _forget_old(self) -> None:
        oldest = self._wall_ms() - RECENT_MS
        while self._made and next(iter(self._made.values())) < oldest:
            self._made.popitem(last=False)

    def changed(self, listen: Listen) -> None:
        self.bus.send({"put": _row(listen)})

    def withdrawn(self, listen: Listen) -> None:
        self.bus.send({"drop": listen.listen_key})

    def _apply(self, message: dict[str, Any]) -> None:
        if "hello" in message:  # a gateway started: tell it what we hold
            for listen in self.live():
                self.changed(listen)
        elif "drop" in message:
            self.forget(str(message["drop"]))
        else:
            listen_key, key_id, user_id, account_id, expires_ms = message["put"]
            self.adopt(Listen(str(listen_key), str(key_id), str(user_id), str(account_id),
                              int(expires_ms)))  # fmt: skip


def _row(listen: Listen) -> list[Any]:
    return [listen.listen_key, listen.key_id, listen.user_id, listen.account_id,
            listen.expires_ms]  # fmt: skip
