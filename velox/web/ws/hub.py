"""The websocket hub: fans committed engine output out to connected clients (SPEC section 8).

``on_published`` is the EngineService listener. It runs in the service's task right after a
batch is durable and before the next batch is applied, so the engine it reads equals the
durable state that batch produced. It does O(1) work per quote and per event of a connected
user, whatever the number of connections. Order events are rendered once for their owner's
connections (every tab). Prices go to the conflator (velox/web/ws/conflate.py) and account
figures to the pusher (velox/web/ws/pusher.py), which reads the book (velox/web/ws/book.py)
the listener keeps: the figures of connected users only, updated by events, recomputed per
asset only for users holding the asset that moved. Both leave from the flusher's task
(velox/web/ws/flush.py), one write per socket per pass. Trailing-mark moves reach the owner
as ``order_updated`` at the pusher's cadence, the latest per order, never one per position per
tick. Candles go only to subscribers of that symbol and duration.

A signed-in socket lives no longer than its session: sockets are indexed by session (jti), so
a signout closes that session's sockets without scanning the others, and one timer per
session closes them when it expires.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from velox.engine.engine import Engine
from velox.engine.events import (
    Event,
    MarginAdded,
    MarksMoved,
    PositionOpened,
    PositionPartiallyClosed,
    StopsModified,
    TrailingStopMoved,
)
from velox.engine.state import position_opened_by
from velox.orders import closed_record_of
from velox.service import Published
from velox.store.records import CandleRecord
from velox.web import render, render_v2
from velox.web.auth.sessions import Session
from velox.web.jsonio import dumps
from velox.web.ws.book import Book
from velox.web.ws.conflate import PriceConflator
from velox.web.ws.connection import Connection
from velox.web.ws.flush import Flusher
from velox.web.ws.frames import text_frame
from velox.web.ws.pusher import Pusher

log = logging.getLogger(__name__)
GOING_AWAY = 1001
SESSION_ENDED = 1008  # policy violation: the session was signed out or expired
PUSH_INTERVAL_S = 0.25  # at most 4 figure pushes per user per second
PRICE_INTERVAL_S = 0.1  # at most 10 price updates per symbol per second per socket
LOADS_PER_BATCH = 32  # newly connected users whose positions one batch's listener reads
_UPDATED = (PositionPartiallyClosed, MarginAdded, StopsModified)


class Hub:
    def __init__(
        self, engine: Callable[[], Engine], push_interval_s: float = PUSH_INTERVAL_S
    ) -> None:
        self._engine = engine
        self.connections: set[Connection] = set()
        self._by_user: dict[str, set[Connection]] = {}
        self._by_session: dict[str, set[Connection]] = {}  # jti -> that session's sockets
        self._session_ends: dict[str, asyncio.TimerHandle] = {}  # jti -> its expiry timer
        self._by_channel: dict[tuple[str, str], set[Connection]] = {}
        self.last_tick_ms: dict[str, int] = {}  # symbol -> receive time of its last quote
        self.book = Book()
        self.pusher = Pusher(self.book, push_interval_s)
        self.flusher = Flusher(
            PriceConflator(PRICE_INTERVAL_S),
            self.pusher,
            lambda: self.connections,
            lambda user_id: self._by_user.get(user_id, ()),
            self._drop_slow,
        )
        # users connected whose book is not read yet -> whether an event of theirs came since
        self._loading: dict[str, bool] = {}

    # -- membership ----------------------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        """Register ``conn``: from now on it gets prices and, if signed in, its own events.

        No snapshot is pushed: clients read the current picture over HTTP (assets,
        balance, orders), so the socket carries only what happens after connecting.
        """
        self.connections.add(conn)
        if conn.session is not None:
            user_id = conn.session.user_id
            if user_id not in self._by_user:
                self._loading[user_id] = False  # read by the listener, at a durable moment
            self._by_user.setdefault(user_id, set()).add(conn)
            self._add_to_session(conn.session, conn)

    def _add_to_session(self, session: Session, conn: Connection) -> None:
        sockets = self._by_session.get(session.jti)
        if sockets is None:
            sockets = self._by_session[session.jti] = set()
            delay_s = max(0.0, (session.expires_at - time.time_ns() // 1_000_000) / 1000)
            self._session_ends[session.jti] = asyncio.get_running_loop().call_later(
                delay_s, self.close_session, session.jti, b"session expired"
            )
        sockets.add(conn)

    def detach(self, conn: Connection) -> None:
        self.connections.discard(conn)
        if conn.session is not None:
            user_id = conn.session.user_id
            if _discard(self._by_user, user_id, conn):
                self._loading.pop(user_id, None)
                self.book.forget(user_id)
                self.pusher.forget(user_id)
            if _discard(self._by_session, conn.session.jti, conn):
                timer = self._session_ends.pop(conn.session.jti, None)
                if timer is not None:
                    timer.cancel()
        for channel in conn.channels:
            subscribers = self._by_channel.get(channel)
            if subscribers is not None:
                subscribers.discard(conn)
                if not subscribers:
                    del self._by_channel[channel]
        conn.channels.clear()

    def subscribe(self, conn: Connection, symbol: str, duration: str) -> None:
        conn.channels.add((symbol, duration))
        self._by_channel.setdefault((symbol, duration), set()).add(conn)

    def unsubscribe(self, conn: Connection, symbol: str, duration: str) -> None:
        conn.channels.discard((symbol, duration))
        subscribers = self._by_channel.get((symbol, duration))
        if subscribers is not None:
            subscribers.discard(conn)
            if not subscribers:
                del self._by_channel[(symbol, duration)]

    def close_session(self, jti: str, reason: bytes = b"signed out") -> None:
        """Signout (and expiry) end the sockets opened with that session too."""
        for conn in list(self._by_session.get(jti, ())):
            self.detach(conn)
            conn.drop(SESSION_ENDED, reason)

    async def settled(self) -> None:
        """Wait until the prices and figures published so far are written (for tests)."""
        await self.flusher.settled()

    def close_all(self) -> None:
        self.flusher.close()
        for conn in list(self.connections):
            self.detach(conn)
            conn.drop(GOING_AWAY, b"server shutting down")

    # -- publishing ----------------------------------------------------------------------
    def send(self, conns: Iterable[Connection], message: dict[str, Any]) -> None:
        data = dumps(message)
        frame = text_frame(data)
        for conn in list(conns):
            self.offer(conn, data, frame)

    def publish_candle(
        self, symbol: str, duration: str, candle: CandleRecord | dict[str, Any]
    ) -> None:
        """For the market code: a candle changed; tell that channel's subscribers."""
        subscribers = self._by_channel.get((symbol, duration))
        if not subscribers:
            return
        data = render.candle(candle) if isinstance(candle, CandleRecord) else candle
        self.send(
            subscribers, {"type": "candle", "symbol": symbol, "duration": duration, "data": data}
        )

    def on_published(self, published: Published) -> None:
        """O(quotes + events of connected users): the figures are the pusher's work."""
        book = self.book
        latest = dict(published.quotes)
        for symbol, quote in latest.items():
            self.last_tick_ms[symbol] = quote.ts
            book.quotes[symbol] = quote
        if not self.connections:
            return
        for symbol, quote in latest.items():
            # Prices are conflated: the latest per symbol, at most every PRICE_INTERVAL_S.
            self.flusher.prices.offer(symbol, quote)
            self.pusher.price_moved(symbol)
        if latest:
            self.flusher.poke()
        engine = self._engine() if published.events or self._loading else None
        for _seq, event in published.events:
            assert engine is not None
            self._on_event(engine, event)
        if self._loading and engine is not None:
            # The engine now holds this batch: read whole users, a bounded number per batch
            # so a reconnecting crowd cannot stall one batch.
            for user_id in list(itertools.islice(self._loading, LOADS_PER_BATCH)):
                book.load(engine, user_id)
                if self._loading.pop(user_id):
                    self.pusher.due(user_id)
                    self.flusher.poke()

    def _on_event(self, engine: Engine, event: Event) -> None:
        if isinstance(event, MarksMoved):  # one per asset and tick (older journals: per position)
            self.book.marks_moved(event.asset, event.bid, event.ask)
            return
        user_id: str | None = getattr(event, "user_id", None)
        if user_id is None:
            return
        tabs = self._by_user.get(user_id)
        if not tabs:
            return
        # the position an event is about (NETTING's PositionIncreased names its filling order)
        order_id: str | None = getattr(event, "position_id", None) or getattr(
            event, "order_id", None
        )
        if user_id in self._loading:
            self._loading[user_id] = True  # its book is read later, with this event in it
        else:
            self.book.refresh(engine, user_id, order_id)
        if isinstance(event, TrailingStopMoved):  # conflated: sent by the pusher
            self.book.mark_moved(user_id, event.order_id)
            self.pusher.due(user_id, forced=False)
            self.flusher.poke()
            return
        for message in _order_messages(engine, event):
            self.send(tabs, message)
        self.pusher.due(user_id)
        self.flusher.poke()

    def offer(self, conn: Connection, data: bytes, frame: bytes | None = None) -> None:
        if not conn.offer(data, frame):
            self._drop_slow(conn)

    def _drop_slow(self, conn: Connection) -> None:
        if conn in self.connections:
            log.info("dropping a websocket client whose queue is full")
            self.detach(conn)
        conn.drop()


def _discard(index: dict[str, set[Connection]], key: str, conn: Connection) -> bool:
    """Remove ``conn`` from ``index[key]``; True when that emptied (and dropped) the key."""
    members = index.get(key)
    if members is None:
        return False
    members.discard(conn)
    if members:
        return False
    del index[key]
    return True


def _order_messages(engine: Engine, event: Event) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    if isinstance(event, PositionOpened):
        opened = engine.positions.get(event.order_id) or position_opened_by(event)
        messages.append({"type": "order_opened", "data": render.open_order_in(engine, opened)})
    record = closed_record_of(event)
    if record is not None:
        messages.append({"type": "order_closed", "data": render.closed_order(record)})
    if isinstance(event, _UPDATED):
        pos = engine.positions.get(event.order_id)
        if pos is not None:
            messages.append({"type": "order_updated", "data": render.open_order_in(engine, pos)})
    messages.extend(render_v2.ws_messages(engine, event, render.open_order_in))  # SPEC 12
    return messages
