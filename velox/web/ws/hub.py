"""The websocket hub: fans committed engine output out to connected clients (SPEC section 8).

``stage`` is the EngineService's staged listener (``on_published`` the plain one, for the bus
gateway's mirror). It reads the engine when a batch is applied, copies only, and reveals them
once that batch's commit succeeded, so what clients see is always durable and the engine may
apply the next batch meanwhile. It does O(1) work per quote and per event of a connected
user, whatever the number of connections. Order events are rendered once for their owner's
connections (every tab). Prices go to the conflator (velox/web/ws/conflate.py) and account
figures to the pusher (velox/web/ws/pusher.py), which reads the book (velox/web/ws/book.py)
the listener keeps: the figures of connected users only, updated by events, recomputed per
asset only for users holding the asset that moved. Both leave from the flusher's task
(velox/web/ws/flush.py), one write per socket per pass. Trailing-mark moves reach the owner
as ``order_updated`` at the pusher's cadence, the latest per order, never one per position per
tick. Candles go only to subscribers of that symbol and duration.

A signed-in socket follows one account of its user (the first unless it asked for another
with ``{"op": "account"}``): its order messages and figures are that account's. The book and
the pusher are keyed by what a socket follows (``follow_key``: the user id for the first
account, ``user/account`` for a named one), so sockets following the same account share one
book entry and one rendering, and an event is revealed only to the keys of its account.

A signed-in socket lives no longer than its session: sockets are indexed by session (jti), so
a signout closes that session's sockets without scanning the others, and one timer per
session closes them when it expires. A signout-all closes the user's sockets (``_by_user``)
whose session was issued before its mark.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from velox.engine.engine import Engine
from velox.engine.events import Event, MarksMoved, TrailingStopMoved
from velox.foreground import Foreground
from velox.service import Published
from velox.store.records import CandleRecord
from velox.web import render
from velox.web.auth.sessions import Session
from velox.web.jsonio import dumps
from velox.web.ws.book import Book
from velox.web.ws.conflate import PriceConflator
from velox.web.ws.connection import Connection
from velox.web.ws.flush import Flusher
from velox.web.ws.frames import text_frame
from velox.web.ws.messages import order_messages
from velox.web.ws.pusher import Pusher
from velox.web.ws.reads import (
    Refresh,
    UserRead,
    event_account,
    first_account_id,
    read_refresh,
    read_user,
)

log = logging.getLogger(__name__)
GOING_AWAY = 1001
SESSION_ENDED = 1008  # policy violation: the session was signed out or expired
PUSH_INTERVAL_S = 0.25  # at most 4 figure pushes per user per second
PRICE_INTERVAL_S = 0.1  # a symbol's window; a socket's price writes at least half apart
LOADS_PER_BATCH = 32  # newly connected users whose positions one batch's listener reads


class Hub:
    def __init__(
        self,
        engine: Callable[[], Engine],
        push_interval_s: float = PUSH_INTERVAL_S,
        foreground: Foreground | None = None,
    ) -> None:
        self._engine = engine
        self.connections: set[Connection] = set()
        self._by_user: dict[str, set[Connection]] = {}  # every socket of a user
        self._by_key: dict[str, set[Connection]] = {}  # follow key -> sockets following it
        self._follows: dict[str, dict[str, str | None]] = {}  # user -> {key: account or None}
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
            lambda key: self._by_key.get(key, ()),
            self._drop_slow,
            foreground,
        )
        self._loading: dict[str, _Loading] = {}  # follow keys whose book is not read yet

    # -- membership ----------------------------------------------------------------------
    def attach(self, conn: Connection) -> None:
        """Register ``conn``: from now on it gets prices and, if signed in, its own events.

        No snapshot is pushed: clients read the current picture over HTTP (assets,
        balance, orders), so the socket carries only what happens after connecting.
        """
        self.connections.add(conn)
        if conn.session is not None:
            self._by_user.setdefault(conn.session.user_id, set()).add(conn)
            self._follow(conn)
            self._add_to_session(conn.session, conn)

    def follow(self, conn: Connection, account_id: str | None) -> None:
        """From now on ``conn`` gets the order messages and figures of ``account_id`` (None:
        the user's first), which the caller checked is its user's. The figures are pushed
        once that account's book is read, so a switching client sees them without asking."""
        if conn.session is None or conn not in self.connections:
            return
        key = conn.follow_key
        if account_id != conn.account_id or key not in self._by_key:
            self._unfollow(conn)
            conn.follow(account_id)
            key = self._follow(conn)
        # else: already followed, its book kept; the figures are pushed again all the same
        assert key is not None
        pending = self._loading.get(key)
        if pending is not None:
            pending.touched = True
        else:
            self.pusher.due(key)
            self.flusher.poke()

    def _follow(self, conn: Connection) -> str:
        key = conn.follow_key
        assert key is not None and conn.session is not None
        if key not in self._by_key:
            user_id = conn.session.user_id
            # read by the listener, when durable
            self._loading[key] = _Loading(user_id, conn.account_id)
            self._follows.setdefault(user_id, {})[key] = conn.account_id
        self._by_key.setdefault(key, set()).add(conn)
        return key

    def _unfollow(self, conn: Connection) -> None:
        key = conn.follow_key
        if key is None or conn.session is None or not _discard(self._by_key, key, conn):
            return
        self._loading.pop(key, None)
        self.book.forget(key)
        self.pusher.forget(key)
        follows = self._follows.get(conn.session.user_id)
        if follows is not None:
            follows.pop(key, None)
            if not follows:
                del self._follows[conn.session.user_id]

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
            self._unfollow(conn)
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

    async def signed_out(self, jti: str) -> None:
        """The session was signed out here: its sockets close (a gateway also tells the
        others, ``velox.bus.gateway``)."""
        self.close_session(jti)

    async def signed_out_everywhere(self, user_id: str, before_ms: int) -> None:
        """Every session of the user issued before ``before_ms`` was signed out here: their
        sockets close (a gateway also tells the others)."""
        self.close_sessions_of(user_id, before_ms)

    def close_sessions_of(self, user_id: str, before_ms: int) -> None:
        """The user's sockets opened with a session issued before ``before_ms`` end."""
        for conn in list(self._by_user.get(user_id, ())):
            if conn.session is not None and conn.session.issued_at < before_ms:
                self.close_session(conn.session.jti)

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

    def publish_history(self, symbol: str, duration: str) -> None:
        """For the market code: history of that series was written (an outage filled in):
        its subscribers read it again (``candles_filled``)."""
        subscribers = self._by_channel.get((symbol, duration))
        if subscribers:
            self.send(subscribers, {"type": "candles_filled", "symbol": symbol,
                                    "duration": duration})  # fmt: skip

    def on_published(self, published: Published) -> None:
        """The plain listener: after the commit, the engine holding exactly its state."""
        after = self.stage(published)
        if after is not None:
            after()

    def stage(self, published: Published) -> Callable[[], None] | None:
        """The staged listener (``EngineService.subscribe_staged``): called when a batch is
        applied, the engine holding the state its commit will make durable. It reads now,
        O(events of connected users + LOADS_PER_BATCH new users), and the callable it returns
        reveals once the commit succeeded: book, order messages, prices, pushes."""
        quotes = dict(published.quotes)
        steps: list[Callable[[], None]] = []
        if self.connections and (published.events or self._loading):
            engine = self._engine()
            for _seq, event in published.events:
                self._stage_event(engine, event, steps)
            # whole new users, a bounded number per batch so a reconnecting crowd cannot
            # stall one batch
            for key, pending in itertools.islice(self._loading.items(), LOADS_PER_BATCH):
                read = read_user(engine, pending.user_id, pending.account_id)
                steps.append(partial(self._install, key, pending, read))
        if not quotes and not steps:
            return None

        def after() -> None:
            for symbol, quote in quotes.items():
                self.last_tick_ms[symbol] = quote.ts
                self.book.quotes[symbol] = quote
            for step in steps:
                step()
            if quotes and self.connections:
                for symbol, quote in quotes.items():
                    # conflated: the latest per symbol (velox/web/ws/conflate.py)
                    self.flusher.prices.offer(symbol, quote)
                    self.pusher.price_moved(symbol)
                self.flusher.poke()

        return after

    def _stage_event(self, engine: Engine, event: Event, steps: list[Callable[[], None]]) -> None:
        if isinstance(event, MarksMoved):  # one per asset and tick (older journals: per position)
            steps.append(partial(self.book.marks_moved, event.asset, event.bid, event.ask))
            return
        user_id: str | None = getattr(event, "user_id", None)
        follows = None if user_id is None else self._follows.get(user_id)
        if not follows:
            return
        assert user_id is not None
        account_id = event_account(engine, user_id, event)
        # the position an event is about (NETTING's PositionIncreased names its filling order)
        order_id = getattr(event, "position_id", None) or getattr(event, "order_id", None)
        messages: list[dict[str, Any]] | None = None  # rendered once for every key
        for key, followed in follows.items():
            if (followed or first_account_id(engine, user_id)) != account_id:
                continue  # another account's event: not this socket's business
            refresh = read_refresh(engine, user_id, order_id, followed)
            if isinstance(event, TrailingStopMoved):  # conflated: sent by the pusher
                steps.append(partial(self._reveal, key, refresh, [], event.order_id))
                continue
            if messages is None:
                messages = order_messages(engine, event)
            steps.append(partial(self._reveal, key, refresh, messages, None))

    def _reveal(
        self, key: str, refresh: Refresh, messages: list[dict[str, Any]], moved: str | None
    ) -> None:
        tabs = self._by_key.get(key)
        if not tabs:
            return  # gone since the batch was applied
        pending = self._loading.get(key)
        if pending is not None and key not in self.book.users:
            pending.touched = True  # its book, read later, has this event in it
        else:
            self.book.apply(key, refresh)
        if moved is not None:
            self.book.mark_moved(key, moved)
        for message in messages:
            self.send(tabs, message)
        self.pusher.due(key, forced=moved is None)
        self.flusher.poke()

    def _install(self, key: str, pending: _Loading, read: UserRead) -> None:
        if self._loading.get(key) is not pending:
            return  # installed by an earlier batch, or the key was left (and maybe taken again)
        del self._loading[key]
        self.book.install(key, read)
        if pending.touched:
            self.pusher.due(key)
            self.flusher.poke()

    def offer(self, conn: Connection, data: bytes, frame: bytes | None = None) -> None:
        if not conn.offer(data, frame):
            self._drop_slow(conn)

    def _drop_slow(self, conn: Connection) -> None:
        if conn in self.connections:
            log.info("dropping a websocket client whose queue is full")
            self.detach(conn)
        conn.drop()


class _Loading:
    """A followed account whose book is not installed yet (one per first follower)."""

    __slots__ = ("account_id", "touched", "user_id")

    def __init__(self, user_id: str, account_id: str | None) -> None:
        self.user_id = user_id
        self.account_id = account_id  # None: the user's first
        self.touched = False  # an event of theirs came meanwhile: push once installed


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
