"""The scale-out roles (SPEC section 15) as app lifetimes: ``velox engine``, ``velox gateway``.

``engine_app``: the one writer. Store (with the writer lock), engine service, the bus server
(commands in; committed batches, trades, candles and heartbeats out), feed, trade writer and chart
history, exactly as ``velox run`` runs them; HTTP only for ``GET /healthz``. It refuses to
start when another engine answers on its bus prefix, and stops (status 1) when one shows up
later (``velox.bus.presence``).

``gateway_app``: the whole HTTP and websocket surface of ``velox run`` over a
``BusEngineClient`` (commands over NATS, reads from a mirror of the engine state) and a
``GatewayStore`` (users and sessions written, the journal never), candles read from the store
plus the newest ones heard on the bus, websocket tickets shared by all gateways. No feed:
prices arrive in the engine's batches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from velox.binance.keys import KEYRING_PEERS, LISTEN_KEYS, MARKET_STREAMS, VAULT, WEIGHTS
from velox.bus.catchup import CatchUp
from velox.bus.client import BusEngineClient
from velox.bus.connect import close, connect
from velox.bus.gateway import GatewayHub, candle_query
from velox.bus.keyring import SharedKeyRing
from velox.bus.limits import SharedLimit, SharedLimits
from velox.bus.link import Link
from velox.bus.listenkeys import SharedListenKeys
from velox.bus.presence import Presence
from velox.bus.roster import Roster
from velox.bus.server import EngineBusServer
from velox.bus.store import open_gateway_store
from velox.bus.subjects import Subjects
from velox.bus.tickets import SharedTickets, ticket_middleware
from velox.config import Settings
from velox.market.tap import MarketTap
from velox.store.factory import describe_database
from velox.store.opening import open_or_explain
from velox.web.app import create_app
from velox.web.auth.fingerprint import SessionSecret, fingerprint
from velox.web.auth.sessions import load_secret
from velox.web.badrequests import quiet_malformed_requests
from velox.web.keys import (
    AUTH_LIMIT,
    CANDLES,
    ENGINE_SERVICE,
    FEED,
    HUB,
    MAGIC_RECIPIENTS,
    MARKET_TAP,
    OPTIONS,
    ORDER_LIMIT,
    PARTS,
    PUBLIC_LIMIT,
    SERVICE,
    SESSION_FINGERPRINT,
    SESSIONS,
    SETTINGS,
    STORE,
    TICKETS,
)
from velox.web.lifecycle import FROM_SETTINGS, Upkeep, engine_service, feed_ctx, store_ctx
from velox.web.middleware import error_middleware
from velox.web.ops import healthz
from velox.web.options import WebOptions
from velox.web.secret_checks import record_fingerprints, secrets_ctx
from velox.web.ws.hub import Hub


def engine_app(settings: Settings, options: WebOptions | None = None) -> web.Application:
    quiet_malformed_requests()
    app = web.Application(middlewares=[error_middleware])
    if settings.jwt_secret:  # it signs nothing, but a configured secret must be the gateways'
        secret = load_secret(settings.jwt_secret, settings.data_dir)
        app[SESSION_FINGERPRINT] = SessionSecret(fingerprint(secret), writer=True)
    app[SETTINGS] = settings
    app[OPTIONS] = options or WebOptions()
    app.cleanup_ctx.append(store_ctx(None))
    app.cleanup_ctx.append(secrets_ctx)
    app.on_startup.append(record_fingerprints)  # after every context
    app.cleanup_ctx.append(_engine_role_ctx)
    app.cleanup_ctx.append(feed_ctx(FROM_SETTINGS))
    app.router.add_get("/healthz", healthz)
    return app


async def _engine_role_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    service = engine_service(app)
    hub = Hub(lambda: service.engine)  # no sockets here; keeps the last tick per symbol
    service.subscribe_staged(hub.stage)  # staged, like the bus server: batches overlap
    app[SERVICE], app[ENGINE_SERVICE], app[HUB] = service, service, hub
    nc = await connect(settings.bus, f"velox engine {settings.bus_prefix}")
    subjects = Subjects(settings.bus_prefix)
    server = EngineBusServer(nc, service, subjects, lambda: app.get(FEED))
    presence = Presence(nc, subjects, server.instance, describe_database(settings.db_url))
    try:  # before the journal is replayed or a command served: the prefix must be ours alone
        await presence.claim()
    except BaseException:
        await close(nc)
        raise
    app[MARKET_TAP] = server
    # and stays ours: another engine heard from now on (the replay included) stops us, before
    # the first command if it was heard by then (``start()`` then never says READY)
    presence.watch(service.give_up)
    try:
        await service.start()
        if service.failure is None:
            await server.start()
        yield
    finally:
        await presence.stop()
        await service.stop()  # answers what is queued; its batches are still published
        await server.stop()
        await close(nc)  # flushes first


def gateway_app(settings: Settings, options: WebOptions | None = None) -> web.Application:
    app = create_app(
        settings, options=options, contexts=(_gateway_store_ctx, _gateway_ctx, _market_ctx)
    )
    app.middlewares.append(ticket_middleware)
    return app


async def _gateway_store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = open_gateway_store(app[SETTINGS].db_url)
    await open_or_explain(store, app[SETTINGS].db_url, writer=False)
    app[STORE] = store
    upkeep = Upkeep(app, store)
    try:
        yield
    finally:
        await upkeep.stop()
        await store.close()


async def _gateway_ctx(app: web.Application) -> AsyncIterator[None]:
    settings, store, clock = app[SETTINGS], app[STORE], app[OPTIONS].clock
    now = clock.wall_ms()
    await store.forget_expired_auth(now)
    link = Link()  # what catches up after the link to NATS was cut (``CatchUp``)
    nc = await connect(settings.bus, f"velox gateway {settings.bus_prefix} :{settings.port}", link)
    subjects = Subjects(settings.bus_prefix)
    client = BusEngineClient(
        nc, store, settings.engine_settings(), subjects,
        timeout_s=settings.bus_timeout, clock=clock.now_ms,
    )  # fmt: skip
    roster = Roster(nc, subjects.gateways)
    hub = GatewayHub(
        lambda: client.engine, nc, subjects, roster, app[SESSIONS], settings.session_ttl * 1000,
        app[OPTIONS].ws_push_interval_s, _taps(app),
    )  # fmt: skip
    client.subscribe(hub.on_published)
    tickets = SharedTickets(app[OPTIONS].ticket_ttl_s, nc, subjects)
    listen_keys = SharedListenKeys(lambda: client.engine, clock.wall_ms, nc, subjects)
    key_peers = SharedKeyRing(nc, subjects, roster, listen_keys.forget_key_of)
    app[SERVICE], app[HUB], app[TICKETS] = client, hub, tickets
    app[LISTEN_KEYS], app[KEYRING_PEERS] = listen_keys, key_peers
    limits = SharedLimits(nc, subjects.limits, _rate_limits(app))
    catch_up = CatchUp(
        nc, link, store, app[SESSIONS], hub, roster, listen_keys,
        (hub.signouts, key_peers.bus, listen_keys.bus), lambda: app.get(VAULT),
        clock.wall_ms,
    )  # fmt: skip
    try:  # a start that fails half way leaves no heartbeat (others would wait for us) or bus
        await tickets.start()
        await listen_keys.start()
        await key_peers.start()
        await limits.start()
        await hub.start()
        # Revocations: subscribed above, so one made while we read the store reaches us
        # (read first, and one made in between would be missed here until it expires).
        await app[SESSIONS].read_sign_outs(store, clock.wall_ms())
        await roster.start()  # the others wait for our confirmations from here on
        await hub.signouts.caught_up()  # a revocation sent before they knew us is applied
        await key_peers.bus.caught_up()
        await client.start()
        yield
    finally:
        await catch_up.stop()
        await roster.stop()
        hub.close_all()
        await limits.stop()
        await client.stop()
        await close(nc)


def _rate_limits(app: web.Application) -> dict[str, SharedLimit]:
    """Every limit a client could multiply by spreading requests over the gateways."""
    limits: dict[str, SharedLimit] = {
        "auth": app[AUTH_LIMIT], "orders": app[ORDER_LIMIT], "public": app[PUBLIC_LIMIT],
        "magic-recipients": app[MAGIC_RECIPIENTS].sent,
        "magic-recipients-total": app[MAGIC_RECIPIENTS].sent_to,
    }  # fmt: skip
    weights = app.get(WEIGHTS)
    if weights is not None:
        limits["binance-weight"] = weights
    return limits


def _taps(app: web.Application) -> tuple[MarketTap, ...]:
    """The Binance-compatible streams, when this gateway serves them."""
    streams = app.get(MARKET_STREAMS)
    return () if streams is None else (streams,)


async def _market_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = app[HUB]
    assert isinstance(hub, GatewayHub)
    app[FEED] = None
    app[PARTS] = ()
    app[CANDLES] = candle_query(app[STORE], hub)
    yield
