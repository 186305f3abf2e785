"""Key rings that agree across gateways: an API key deleted through one gateway is
forgotten by every other, and a symbol's leverage is never kept.

Each gateway's ``KeyRing`` keeps credentials for a second (a busy bot costs no database read
per request). Without this a key deleted through gateway A still signed orders on gateway B
for up to that second. The gateway that deletes it publishes the deletion (``Broadcast``);
every other gateway drops what it kept, then confirms, and the deletion's reply waits for
every live gateway's confirmation (``Broadcast.confirmed``): SPEC 13's "effective at once"
holds for the next request wherever it goes, and no reader asks the bus first (a trip per
request). (Replying once NATS had taken it let a deleted key fill a MARKET order on B about
once in 500 rounds.) Leverages are money (an order opens at the one in effect, for the
position's life), so a gateway reads them from the store every time (``serve``): an order on
B placed after A answered the change uses it, always.

A deleted key's listen key goes with it: each gateway drops it and closes its user-data
sockets before confirming (``key_gone``), so no event reaches them after the 204.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nats.aio.client import Client

from velox.binance.keyring import KeyRing
from velox.bus.broadcast import Broadcast
from velox.bus.roster import Roster
from velox.bus.subjects import Subjects


class SharedKeyRing:
    """The ``KeyPeers`` of a gateway's key ring (``serve``)."""

    def __init__(
        self, nc: Client, subjects: Subjects, roster: Roster,
        key_gone: Callable[[str], None] = lambda key_id: None,
    ) -> None:  # fmt: skip
        self.roster = roster
        self.key_gone = key_gone  # the listen book's: that key's sockets close here too
        self.bus = Broadcast(nc, subjects.api_keys, "api key", roster.instance)
        self._ring: KeyRing | None = None  # until the Binance API's context has made it

    async def start(self) -> None:
        await self.bus.listen(self._apply)
        await self.bus.caught_up()  # our subscription is on the server

    def serve(self, ring: KeyRing) -> None:
        self._ring = ring
        ring.peers = self
        ring.leverage_ttl_s = 0  # read-your-writes across gateways: the store's, every time

    async def tell(self, message: dict[str, str]) -> None:
        await self.bus.confirmed(message, self.roster)

    def _apply(self, message: dict[str, Any]) -> None:
        ring = self._ring
        if "revoke" in message:
            if ring is not None:  # none yet: no credential kept to forget
                ring.forget_key(str(message["revoke"]))
            if "id" in message:  # a starting gateway may hold its listen keys already
                self.key_gone(str(message["id"]))
