"""The websocket hub: fans committed engine output out to connected clients (SPEC section 8).

``on_published`` is the EngineService listener. It runs in the service's task right after a
batch is durable and before the next batch is applied, so the engine it reads equals the
durable state that batch produced: the figures sent match what any read would show.
Prices go to everyone; order events and account figures only to their owner's connections
(every tab); candles only to subscribers of that symbol and duration.

A signed-in socket lives no longer than its session: sockets are indexed by session (jti), so
a signout closes that session's sockets without scanning the others, and one timer per
session closes them when it expires.
"""

from __future__ import annotations

import asyncio
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
from velox.engine.state import Quote, position_opened_by
from velox.engine.views import open_positions
from velox.orders import closed_record_of
from velox.service import Published
from velox.store.records import CandleRecord
from velox.web import render
from velox.web.auth.sessions import Session
from velox.web.jsonio import dumps
from velox.web.ws.conflate import PriceConflator
from velox.web.ws.connection import Connection
from velox.web.ws.frames import text_frame

log = logging.getLogger(__name__)
GOING_AWAY = 1001
SESSION_ENDED = 1008  # policy violation: the session was signed out or expired
BALANCE_INTERVAL_MS = 250
PRICE_INTERVAL_S = 0.1  # at most 10 price updates per symbol per second per socket
_UPDATED = (PositionPartiallyClosed, MarginAdded, StopsModified, TrailingStopMoved)


class Hub:
    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine
        self.connections: set[Connection] = set()
        self._by_user: dict[str, set[Connection]] = {}
        self._by_session: dict[str, set[Connection]] = {}  # jti -> that session's sockets
        self._session_ends: dict[str, asyncio.TimerHandle] = {}  # jti -> its expiry timer
        self._by_channel: dict[tuple[str, str], set[Connection]] = {}
        self.last_tick_ms: dict[str, int] = {}  # symbol -> receive time of its last quote
        self._last_price_balances = 0
        self._prices = PriceConflator(self._send_price, PRICE_INTERVAL_S)

    # -- membership ----------------------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        """Register ``conn``: from now on it gets prices and, if signed in, its own events.

        No snapshot is pushed: clients read the current picture over HTTP (assets,
        balance, orders), so the socket carries only what happens after connecting.
        """
        self.connections.add(conn)
        if conn.session is not None:
            self._by_user.setdefault(conn.session.user_id, set()).add(conn)
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
            _discard(self._by_user, conn.session.user_id, conn)
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

    def _send_price(self, symbol: str, quote: Quote) -> None:
        self.send(self.connections, render.price_update(symbol, quote))

    def close_all(self) -> None:
        self._prices.close()
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
        # Prices are conflated (velox/web/conflate.py): the latest per symbol, at most every
        # PRICE_INTERVAL_S, never a backlog of superseded ones.
        latest = dict(published.quotes)
        for symbol, quote in latest.items():
            self.last_tick_ms[symbol] = quote.ts
        if not self.connections:
            return
        engine = self._engine()
        for symbol, quote in latest.items():
            self._prices.offer(symbol, quote)
        touched: set[str] = set()
        for _seq, event in published.events:
            if isinstance(event, MarksMoved):
                continue  # trailing marks are not shown; prices already go out conflated
            user_id = event.user_id
            tabs = self._by_user.get(user_id)
            if not tabs:
                continue
            touched.add(user_id)
            for message in _order_messages(engine, event):
                self.send(tabs, message)
        now = max((q.ts for q in latest.values()), default=0)
        if latest and now - self._last_price_balances >= BALANCE_INTERVAL_MS:
            # Price-driven account figures at most every BALANCE_INTERVAL_MS; events above
            # still push the user's figures at once.
            self._last_price_balances = now
            for user_id in self._by_user:
                if user_id not in touched and any(
                    p.asset in latest for p in open_positions(engine, user_id)
                ):
                    touched.add(user_id)
        for user_id in touched:
            balance = {"type": "balance", "data": render.account(engine, user_id)}
            self.send(self._by_user.get(user_id, ()), balance)

    def offer(self, conn: Connection, data: bytes, frame: bytes | None = None) -> None:
        if not conn.offer(data, frame):
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
    return messages
