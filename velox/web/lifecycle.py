"""Long-lived resources as ``cleanup_ctx`` generators: create, store under a key, yield, close.

Order (cleanup runs in reverse): store -> engine service + hub -> feed + trade writer. So on
shutdown the feed stops first, queued trades are flushed, sockets are closed, the service
drains and writes its final snapshot, and only then is the store closed.

One clock (``WebOptions.clock``) runs through all of them: the engine service stamps commands
with its engine time, the feed sink stamps prices with it, the feed and the writer read it.
The feed and the trade writer run under ``Supervisor``s (restart with backoff), listed under
``PARTS`` for ``/healthz``, and so does the chart history backfill (``velox.market.backfill``)
when ``--feed`` is ``binance``, ``sim`` or ``auto`` and ``--history-candles`` is not 0. A feed
passed in by the caller (tests) gets no history. While the store is open a probe pings it
(``velox.store_probe``): ``/healthz`` says ``database`` down with no request made.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from enum import Enum
from functools import partial

from aiohttp import web

from velox.binance.keys import MARKET_STREAMS
from velox.clock import Clock
from velox.feeds.base import Feed
from velox.feeds.sink import FeedSink
from velox.market.backfill import Backfill, HistorySource
from velox.market.candles import CandleAggregator
from velox.market.plausible import BEHIND_MS
from velox.market.query import last_prices, query_candles
from velox.market.tap import TappedTrades
from velox.market.writer import TradeWriter
from velox.service import EngineService
from velox.store.base import Store
from velox.store.factory import open_store_for
from velox.store.opening import open_or_explain
from velox.store.records import CandleRecord
from velox.store.sqlite import SqliteStore
from velox.store_probe import StoreProbe
from velox.supervisor import Supervisor
from velox.web.auth.expiry import AuthExpiry
from velox.web.keys import (
    CANDLES,
    DATABASE,
    ENGINE_SERVICE,
    FEED,
    HUB,
    MARKET_TAP,
    OPTIONS,
    PARTS,
    SERVICE,
    SESSIONS,
    SETTINGS,
    STORE,
)
from velox.web.ws.hub import Hub

log = logging.getLogger(__name__)
Ctx = Callable[[web.Application], AsyncIterator[None]]


class FromSettings(Enum):
    """``create_app``'s default feed: the one ``--feed`` names."""

    FROM_SETTINGS = "from settings"


FROM_SETTINGS = FromSettings.FROM_SETTINGS


def store_ctx(injected: Store | None) -> Ctx:
    """An injected store is the caller's to open and close; else open ``--db``'s."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if injected is not None:
            app[STORE] = injected
            upkeep = Upkeep(app, injected)
            try:
                yield
            finally:
                await upkeep.stop()
            return
        store = open_store_for(app[SETTINGS].db_url)
        await open_or_explain(store, app[SETTINGS].db_url)
        app[STORE] = store
        upkeep = Upkeep(app, store)
        try:
            yield
        finally:
            await upkeep.stop()
            await store.close()

    return ctx


class Upkeep:
    """What runs beside an open store for its whole life, to stop before the store is closed:
    the database probe (``velox.store_probe``) and the deletion of expired sign-in rows
    (``velox.web.auth.expiry``). (Not a context manager of its own: a start that fails leaves
    the contexts to the loop's shutdown, which closed a nested generator apart from its
    parent, with a traceback.)"""

    def __init__(self, app: web.Application, store: Store) -> None:
        clock = app[OPTIONS].clock
        self.probe = StoreProbe(store, clock.now_ms)
        self.expiry = AuthExpiry(store, clock.wall_ms, app[OPTIONS].auth_expiry_s)
        app[DATABASE] = self.probe
        self.probe.start()
        self.expiry.start()

    async def stop(self) -> None:
        await self.expiry.stop()
        await self.probe.stop()


def engine_service(app: web.Application) -> EngineService:
    """The engine service as the settings describe it (``velox run`` and ``velox engine``)."""
    settings, clock = app[SETTINGS], app[OPTIONS].clock
    return EngineService(
        app[STORE],
        settings.engine_settings(),
        snapshot_interval_s=settings.snapshot_interval,
        snapshot_keep=settings.snapshot_keep,
        prune_journal=settings.prune_journal,
        clock=clock.now_ms,
        clock_interval_s=app[OPTIONS].clock_tick_s,
    )


async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
    store, clock = app[STORE], app[OPTIONS].clock
    now = clock.wall_ms()  # session and link expiry are absolute times
    await store.forget_expired_auth(now)  # also at each magic-link request
    await app[SESSIONS].read_sign_outs(store, now)
    service = engine_service(app)
    hub = Hub(lambda: service.engine, app[OPTIONS].ws_push_interval_s, service.foreground)
    if isinstance(store, SqliteStore):  # its reads run on threads that need the GIL
        store.foreground = service.foreground
    service.subscribe_staged(hub.stage)  # reads when applied, reveals after the commit
    app[SERVICE], app[ENGINE_SERVICE], app[HUB] = service, service, hub
    starting: asyncio.Task[None] | None = None
    if app[OPTIONS].background_start:
        starting = asyncio.create_task(service.start(), name="engine-start")
    try:  # a start stopped or refused half-way (the engine task may run) still stops it
        if starting is None:
            await service.start()
        yield
    finally:
        hub.close_all()
        if starting is not None:
            await starting
        await service.stop()


def _make_feed(app: web.Application, clock: Clock) -> Feed:
    from velox.feeds.factory import make_feed

    s = app[SETTINGS]
    return make_feed(
        s.feed,
        binance_url=s.binance_url,
        backpack_url=s.backpack_url,
        symbols=s.symbols,
        seed=s.seed if s.seed is not None else 1,
        replay_speed=s.replay_speed,
        sim_ticks_per_second=s.sim_rate,
        clock=clock,
        sim_last_prices=partial(last_prices, app[STORE]),
    )


def _history(app: web.Application, writer: TradeWriter, clock: Clock) -> Backfill | None:
    """The backfill for the feed ``--feed`` names (binance, sim or both for auto), or None."""
    from velox.feeds.klines import BinanceKlines
    from velox.market.rest_history import RestHistory
    from velox.market.sim_history import SimulatedHistory

    s, store = app[SETTINGS], app[STORE]
    if s.history_candles == 0:
        return None
    sources: dict[str, HistorySource] = {}
    if s.feed in ("binance", "auto"):
        klines = BinanceKlines(s.binance_rest_url, s.symbols, requests_per_second=s.history_rate)
        sources["binance"] = RestHistory(klines, store, writer, count=s.history_candles)
    if s.feed in ("sim", "auto"):
        seed = s.seed if s.seed is not None else 1
        sources["sim"] = SimulatedHistory(
            store, writer, seed=seed, ticks_per_second=s.sim_rate, count=s.history_candles
        )
    return Backfill(sources, clock=clock) if sources else None


def feed_ctx(feed: Feed | FromSettings | None) -> Ctx:
    """The price feed and, with it, the trade writer that builds the candles; both
    supervised."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        store, hub, clock = app[STORE], app[HUB], app[OPTIONS].clock
        actual = _make_feed(app, clock) if isinstance(feed, FromSettings) else feed
        app[FEED] = actual
        if actual is None:
            app[CANDLES] = _candle_query(store, None)
            app[PARTS] = ()
            yield
            return

        # the Binance-compatible streams (velox.binance); in the engine role, the bus too
        taps = tuple(t for t in (app.get(MARKET_STREAMS), app.get(MARKET_TAP)) if t is not None)

        def on_candle(candle: CandleRecord) -> None:
            hub.publish_candle(candle.symbol, candle.duration, candle)
            for tap in taps:
                tap.on_candle(candle)

        def on_history(symbol: str, duration: str) -> None:
            hub.publish_history(symbol, duration)
            for tap in taps:
                tap.on_history(symbol, duration)

        retention_ms = int(app[SETTINGS].trade_retention * 1000)
        # a recording's trades are behind by design: judged on their time ahead alone
        behind_ms = None if getattr(actual, "recorded", False) else BEHIND_MS
        writer = TradeWriter(
            store, CandleAggregator(), retention_ms=retention_ms, on_candle=on_candle,
            on_history=on_history, max_behind_ms=behind_ms, clock=clock,
        )  # fmt: skip
        app[CANDLES] = _candle_query(store, writer.aggregator)
        trades = TappedTrades(writer, taps) if taps else writer
        sink = FeedSink(app[ENGINE_SERVICE], trades, clock=clock)
        feed_part = Supervisor("feed", lambda: actual.run(sink), clock=clock)
        history = _history(app, writer, clock) if isinstance(feed, FromSettings) else None
        app[PARTS] = (feed_part, writer)
        if history is not None:
            writer.on_session = history.on_session
            app[PARTS] += (history.supervisor,)
            history.start()
        writer.start()
        feed_part.start()
        try:
            yield
        finally:
            await feed_part.stop()
            if history is not None:
                await history.stop()
            await writer.stop()

    return ctx


def _candle_query(store: Store, aggregator: CandleAggregator | None):  # type: ignore[no-untyped-def]
    async def query(
        symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        return await query_candles(store, aggregator, symbol, duration, start, end, limit)

    return query


async def close_websockets(app: web.Application) -> None:
    """on_shutdown: end every socket so the server does not wait on open handlers."""
    app[HUB].close_all()
