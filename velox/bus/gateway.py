"""What a gateway adds around the hub: signouts that reach every gateway, live candles and
trades.

A session signed out on one gateway must stop working on all of them (SPEC section 10):
``GatewayHub.signed_out`` publishes the signout, and every gateway revokes the session and
closes its sockets (``signed_out_everywhere``: the same for a signout-all's per-user mark);
the signout's reply waits until every live gateway has confirmed it (``Broadcast.confirmed``,
one round trip), so the client's next request, wherever it goes, is refused. (Waiting only
for NATS to take it let B serve the session in about 1 round in 300 with keep-alive
connections: B had the message but had not read it yet.)

Candles come from the engine's trade writer over the bus: they go to the channel's
subscribers and are kept (the newest few per channel) so chart queries see the current, not
yet stored, candle exactly as the single process shows it. Candles and the feed's raw trades
also go to the gateway's market taps (its Binance-compatible streams), so ``<sym>@trade``,
``@aggTrade`` and ``@kline_<interval>`` on a gateway are the engine's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg

from velox.bus import wire
from velox.bus.broadcast import Broadcast
from velox.bus.roster import Roster
from velox.bus.subjects import Subjects
from velox.engine.engine import Engine
from velox.market.query import query_candles
from velox.market.tap import MarketTap
from velox.store.base import Store
from velox.store.records import CandleRecord
from velox.web.auth.sessions import SessionManager
from velox.web.ws.hub import Hub

KEPT_CANDLES = 3  # per symbol and duration: the current bucket and the ones being flushed


class GatewayHub(Hub):
    def __init__(
        self,
        engine: Callable[[], Engine],
        nc: Client,
        subjects: Subjects,
        roster: Roster,
        sessions: SessionManager,
        session_ttl_ms: int,
        push_interval_s: float,
        taps: tuple[MarketTap, ...] = (),
    ) -> None:
        super().__init__(engine, push_interval_s)
        self.taps = taps
        self.nc = nc
        self.subjects = subjects
        self.sessions = sessions
        self.session_ttl_ms = session_ttl_ms
        self.recent: dict[tuple[str, str], dict[int, CandleRecord]] = {}
        self.roster = roster
        self.signouts = Broadcast(nc, subjects.signouts, "signout", roster.instance)

    async def start(self) -> None:
        await self.signouts.listen(self._on_signout)
        await self.signouts.caught_up()  # our subscription is on the server
        await self.nc.subscribe(self.subjects.candles, cb=self._on_candle)
        await self.nc.subscribe(self.subjects.history, cb=self._on_history)
        await self.nc.subscribe(self.subjects.trades, cb=self._on_trade)

    async def signed_out(self, jti: str) -> None:
        self.close_session(jti)
        until = time.time_ns() // 1_000_000 + self.session_ttl_ms
        await self.signouts.confirmed({"jti": jti, "until": until}, self.roster)

    async def signed_out_everywhere(self, user_id: str, before_ms: int) -> None:
        self.close_sessions_of(user_id, before_ms)
        await self.signouts.confirmed({"user": user_id, "before": before_ms}, self.roster)

    def _on_signout(self, message: dict[str, Any]) -> None:
        if "user" in message:  # a signout-all: the user's sessions issued before the mark
            user_id, before_ms = str(message["user"]), int(message["before"])
            self.sessions.load_cutoffs({user_id: before_ms})
            self.close_sessions_of(user_id, before_ms)
            return
        jti, until = str(message["jti"]), int(message["until"])
        self.sessions.load_revoked({jti}, until)
        self.close_session(jti)

    async def _on_candle(self, msg: Msg) -> None:
        candle = wire.received(wire.decode_candle, msg.data, "candle")
        if candle is None:
            return
        kept = self.recent.setdefault((candle.symbol, candle.duration), {})
        kept[candle.time] = candle
        while len(kept) > KEPT_CANDLES:
            del kept[min(kept)]
        self.publish_candle(candle.symbol, candle.duration, candle)
        for tap in self.taps:
            tap.on_candle(candle)

    async def _on_history(self, msg: Msg) -> None:
        series = wire.received(wire.decode_history, msg.data, "history")
        if series is not None:
            self.publish_history(*series)

    async def _on_trade(self, msg: Msg) -> None:
        tick = wire.received(wire.decode_trade, msg.data, "trade")
        if tick is None:
            return
        for tap in self.taps:
            tap.on_trade(tick)


def candle_query(store: Store, hub: GatewayHub):  # type: ignore[no-untyped-def]
    """Stored candles with the newest ones heard on the bus in their place."""

    async def query(
        symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        rows = await query_candles(store, None, symbol, duration, start, end, limit)
        recent = hub.recent.get((symbol, duration))
        if not recent:
            return rows
        merged = {c.time: c for c in rows}
        for t, candle in recent.items():
            if (start is None or t >= start) and (end is None or t <= end):
                if rows and (t < rows[0].time and len(rows) >= limit):
                    continue  # older than a full page: not part of it
                merged[t] = candle
        ordered = [merged[t] for t in sorted(merged)]
        return ordered[:limit] if start is not None else ordered[-limit:]

    return query
