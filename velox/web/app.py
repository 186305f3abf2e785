"""The app factory: ``create_app(settings)`` builds the whole HTTP + websocket server.

Objects without I/O are created here; everything with a lifetime (store, engine service,
hub, feed, trade writer) is a ``cleanup_ctx`` generator in ``lifecycle.py``. Tests inject a
store and pass ``feed=None`` so they drive prices themselves through ``offer_tick``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from velox.binance.setup import setup_binance
from velox.config import Settings
from velox.feeds.base import Feed
from velox.mail import Mailer
from velox.store.base import Store
from velox.web.auth.clientip import ClientAddresses
from velox.web.auth.fingerprint import SessionSecret, fingerprint
from velox.web.auth.oauth.registry import provider_sign_in
from velox.web.auth.passwords import Passwords
from velox.web.auth.ratelimit import Every, SlidingLog
from velox.web.auth.recipients import RecipientCap
from velox.web.auth.refusal_log import PerAddressLog
from velox.web.auth.sessions import SessionManager, load_secret
from velox.web.auth.tickets import TicketBook
from velox.web.badrequests import quiet_malformed_requests
from velox.web.jsonio import MAX_BODY
from velox.web.keys import (
    ADMIN_REFUSALS,
    AUTH_LIMIT,
    CLIENTS,
    MAGIC_RECIPIENTS,
    MAILER,
    OPTIONS,
    ORDER_LIMIT,
    PASSWORDS,
    PROVIDER_SIGN_IN,
    PUBLIC_LIMIT,
    PURGE_AUTH,
    SESSION_FINGERPRINT,
    SESSIONS,
    SETTINGS,
    SOCKET_QUOTA,
    TICKETS,
)
from velox.web.lifecycle import (
    FROM_SETTINGS,
    Ctx,
    FromSettings,
    close_websockets,
    engine_ctx,
    feed_ctx,
    store_ctx,
)
from velox.web.middleware import error_middleware
from velox.web.options import WebOptions
from velox.web.pages import setup_pages
from velox.web.routes import setup_routes
from velox.web.secret_checks import record_fingerprints, secrets_ctx
from velox.web.ws.quota import SocketQuota

AUTH_WINDOW_S = 60.0  # SPEC section 10: --rate-limit-auth N per sliding 60 s per client IP
ORDER_WINDOW_S = 1.0  # --rate-limit-orders N per sliding 1 s per user
PUBLIC_WINDOW_S = 1.0  # --rate-limit-public N per sliding 1 s per client IP
PURGE_INTERVAL_S = 60.0  # magic-link requests purge expired auth tokens at most this often


def create_app(
    settings: Settings,
    *,
    feed: Feed | FromSettings | None = FROM_SETTINGS,
    store: Store | None = None,
    options: WebOptions | None = None,
    contexts: Sequence[Ctx] | None = None,
) -> web.Application:
    """The application. ``feed`` defaults to the one ``settings.feed`` names (``None``: no
    feed); ``store`` defaults to ``settings.db_url``'s (an injected one must be open).
    ``contexts`` replaces the store, engine and feed lifetimes (a gateway's: ``roles.py``)."""
    options = options or WebOptions(bcrypt_rounds=settings.bcrypt_rounds)
    quiet_malformed_requests()
    app = web.Application(client_max_size=MAX_BODY, middlewares=[error_middleware])
    app[SETTINGS] = settings
    app[OPTIONS] = options
    app[PASSWORDS] = Passwords(options.bcrypt_rounds)
    app[TICKETS] = TicketBook(options.ticket_ttl_s)
    app[AUTH_LIMIT] = SlidingLog(settings.rate_limit_auth, AUTH_WINDOW_S)
    app[ADMIN_REFUSALS] = PerAddressLog(
        what="admin ledger refused to", logger=logging.getLogger("velox.web.admin")
    )
    app[ORDER_LIMIT] = SlidingLog(settings.rate_limit_orders, ORDER_WINDOW_S)
    app[PUBLIC_LIMIT] = SlidingLog(settings.rate_limit_public, PUBLIC_WINDOW_S)
    app[SOCKET_QUOTA] = SocketQuota(settings.max_sockets_per_ip)
    app[PURGE_AUTH] = Every(PURGE_INTERVAL_S)
    app[MAGIC_RECIPIENTS] = RecipientCap(settings.magic_links_per_recipient)
    app[CLIENTS] = ClientAddresses(settings.trusted_proxies)
    app[MAILER] = Mailer(settings.smtp_url, settings.mail_from, settings.data_dir)
    secret = load_secret(settings.jwt_secret, settings.data_dir)
    app[SESSIONS] = SessionManager(secret, settings.session_ttl)
    # the default contexts are the single process's, the database's one writer
    app[SESSION_FINGERPRINT] = SessionSecret(fingerprint(secret), writer=contexts is None)
    app[PROVIDER_SIGN_IN] = provider_sign_in(settings, secret, options.clock)

    if contexts is None:
        contexts = (store_ctx(store), engine_ctx, feed_ctx(feed))
    app.cleanup_ctx.extend(contexts)
    # right after the store's context (the first): a secret the database's other processes
    # do not share stops the start before the engine, the feed or the trade writer begin
    app.cleanup_ctx.insert(1, secrets_ctx)
    app.on_startup.append(record_fingerprints)  # after every context
    app.on_shutdown.append(close_websockets)

    setup_routes(app, dev=settings.dev)
    setup_binance(app)  # API keys, /fapi, Binance streams (after the store and engine)
    setup_pages(app)
    return app
