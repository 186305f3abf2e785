"""Open websockets per client address (``--max-sockets-per-ip``), over every stream endpoint.

Each socket holds a file descriptor, buffers and a place in every fan-out for as long as its
client likes, and a public one needs no account: without a cap one address could open
sockets until the process runs out of descriptors, and everyone's streams with it. The cap
counts sockets open now (a browser tab holds one; a bot a few), not connections per minute,
so reconnecting after a drop is never refused. Addresses come through ``--trusted-proxies``
like the rate limits', so clients behind a proxy are counted apart.
"""

from __future__ import annotations


class SocketQuota:
    def __init__(self, limit: int) -> None:
        self.limit = limit  # 0: no cap (the sockets are still counted)
        self._open: dict[str, int] = {}

    def take(self, address: str) -> bool:
        """One more socket for ``address``, if under the cap: every True needs a ``give_back``."""
        count = self._open.get(address, 0)
        if 0 < self.limit <= count:
            return False
        self._open[address] = count + 1
        return True

    def give_back(self, address: str) -> None:
        count = self._open.pop(address) - 1
        if count:
            self._open[address] = count

    def open_from(self, address: str) -> int:
        return self._open.get(address, 0)
