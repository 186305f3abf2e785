"""Key rings that agree across gateways: an API key deleted, or a symbol's leverage changed,
through one gateway is forgotten by every other before the reply goes.

Each gateway's ``KeyRing`` keeps credentials and leverages for a second (a busy bot costs no
database read per request). Without this a key deleted through gateway A still signed
orders on gateway B, and an order on B opened at the leverage B had read before A changed
it. The gateway that makes the change publishes it (``Broadcast``) and waits until the bus
has taken it; every other gateway drops what it kept, so its next read comes from the store.
"""

from __future__ import annotations

from typing import Any

from nats.aio.client import Client

from velox.binance.keyring import KeyRing
from velox.bus.broadcast import Broadcast
from velox.bus.subjects import Subjects


class SharedKeyRing:
    """The ``KeyPeers`` of a gateway's key ring (``serve``)."""

    def __init__(self, nc: Client, subjects: Subjects) -> None:
        self.bus = Broadcast(nc, subjects.api_keys, "api key")
        self._ring: KeyRing | None = None  # until the Binance API's context has made it

    async def start(self) -> None:
        await self.bus.listen(self._apply)
        await self.bus.caught_up()  # our subscription is on the server

    def serve(self, ring: KeyRing) -> None:
        self._ring = ring
        ring.peers = self

    async def tell(self, message: dict[str, str]) -> None:
        self.bus.send(message)
        await self.bus.caught_up()

    def _apply(self, message: dict[str, Any]) -> None:
        ring = self._ring
        if ring is None:  # nothing kept yet
            return
        if "revoke" in message:
            ring.forget_key(str(message["revoke"]))
        elif "leverage" in message:
            ring.forget_leverages(str(message["leverage"]))
