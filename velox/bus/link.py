"""Whether a process's link to NATS may have lost messages, for what must catch up then.

NATS itself keeps nothing for a subscriber that is away: a gateway cut off for a few seconds
(its link only; the server and the other gateways carry on) reconnects, and its subscriptions
resume, but what was published meanwhile (a signout, a listen key) never reaches it. So
``connect`` tells a ``Link`` when the connection drops (``lost``), when it is back with its
subscriptions on the server again (``back``: nats-py replays them before its reconnected
callback), and when the server dropped messages for a slow subscriber (both at once).
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[[str], None]


class Link:
    def __init__(self) -> None:
        self._lost: list[Listener] = []
        self._back: list[Callable[[], None]] = []

    def on_lost(self, listener: Listener) -> None:
        """``listener(why)`` when messages may be missed from now on."""
        self._lost.append(listener)

    def on_back(self, listener: Callable[[], None]) -> None:
        """``listener()`` when the subscriptions are on the server again."""
        self._back.append(listener)

    def lost(self, why: str) -> None:
        for listener in self._lost:
            listener(why)

    def back(self) -> None:
        for listener in self._back:
            listener()
