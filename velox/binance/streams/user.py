"""The user-data stream: ``listenKey``s and ``/ws/<listenKey>`` with Binance's account events.

The listen keys themselves (who holds which, until when, their sockets) are the book's
(``listenbook.py``); the messages, Binance's ``ORDER_TRADE_UPDATE`` and ``ACCOUNT_UPDATE``,
are ``updates.py``'s. Every committed batch (an engine-service listener) is rendered, for
the accounts that have sockets open, from the engine as that commit left it. While an
account has sockets open its resting orders' terms are kept (``resting.py``), so that their
fills show the order as it was placed, and its positions' stops (``stops.py``), so that a
change of them shows as the conditional order set, changed or cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from velox.binance.streams.listenbook import Listen, ListenBook
from velox.binance.streams.resting import RestingOrders
from velox.binance.streams.stops import ShownStops
from velox.binance.streams.updates import BatchMessages
from velox.engine.engine import Engine
from velox.engine.views import open_positions, pending_orders
from velox.service import Published


class ListenKeys(ListenBook):
    """The book, and every committed batch rendered for the accounts with sockets open."""

    def __init__(self, engine: Callable[[], Engine], wall_ms: Callable[[], int]) -> None:
        super().__init__(wall_ms)
        self._engine = engine
        self._resting = RestingOrders()
        self._stops = ShownStops()

    def attach(self, listen: Listen, socket: Any) -> None:
        """A socket opens: the account's first starts keeping its resting orders, from the
        engine as it stands (between batches: the next one rendered comes after it)."""
        if not self._listening(listen.account_id):
            engine = self._engine()
            pending = pending_orders(engine, listen.user_id, listen.account_id)
            self._resting.watch(listen.account_id, pending)
            held = open_positions(engine, listen.user_id, listen.account_id)
            self._stops.watch(listen.account_id, held)
        super().attach(listen, socket)

    def detach(self, listen: Listen, socket: Any) -> None:
        super().detach(listen, socket)
        if not self._listening(listen.account_id):
            self._resting.unwatch(listen.account_id)
            self._stops.unwatch(listen.account_id)

    def _listening(self, account_id: str) -> bool:
        return any(listen.sockets for listen in self._by_owner.get(account_id, ()))

    def on_published(self, published: Published) -> None:
        reveal = self.stage(published)
        if reveal is not None:
            reveal()

    def stage(self, published: Published) -> Callable[[], None] | None:
        """Read the engine while it holds exactly this batch (the service's staged listener),
        deliver only once the batch's commit succeeded: the service may then overlap the next
        batch with this commit."""
        if not self._by_owner:
            return None
        now = self._wall_ms()
        for listen in [x for xs in self._by_owner.values() for x in xs]:
            if listen.expires_ms <= now:
                self._drop(listen, expired=True)
        heard = [
            (account, event)
            for _, event in published.events
            if (account := getattr(event, "account_id", None)) is not None
            and self._listening(account)
        ]
        if not heard:
            return None
        batch = BatchMessages(self._engine(), self._resting, self._stops,
                              [e for _, e in heard], now)  # fmt: skip
        outgoing = [(a, orjson.dumps(m)) for a, event in heard for m in batch.messages(event)]
        if not outgoing:
            return None
        return lambda: self._deliver(outgoing)

    def _deliver(self, outgoing: list[tuple[str, bytes]]) -> None:
        for account, data in outgoing:
            for listen in tuple(self._by_owner.get(account, ())):
                for socket in tuple(listen.sockets):
                    socket.deliver_raw(data)
