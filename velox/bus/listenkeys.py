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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nats.aio.client import Client

from velox.binance.streams.listenbook import Listen
from velox.binance.streams.user import ListenKeys
from velox.bus.broadcast import Broadcast
from velox.bus.subjects import Subjects
from velox.engine.engine import Engine


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

    async def start(self) -> None:
        await self.bus.listen(self._apply)
        await self.bus.caught_up()  # our subscription is on the server
        self.bus.send({"hello": 1})

    async def catch_up(self) -> None:
        await self.bus.caught_up()

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
