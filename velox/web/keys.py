"""Typed ``AppKey``s: every long-lived object the app holds, in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from velox.bus.api import EngineApi
from velox.config import Settings
from velox.feeds.base import Feed
from velox.mail import Mailer
from velox.market.tap import MarketTap
from velox.service import EngineService
from velox.store.base import Store
from velox.store.records import CandleRecord
from velox.store_probe import StoreProbe
from velox.supervisor import Part
from velox.web.auth.clientip import ClientAddresses
from velox.web.auth.fingerprint import SessionSecret
from velox.web.auth.oauth.registry import ProviderSignIn
from velox.web.auth.passwords import Passwords
from velox.web.auth.ratelimit import Every, SlidingLog
from velox.web.auth.recipients import RecipientCap
from velox.web.auth.refusal_log import PerAddressLog
from velox.web.auth.sessions import SessionManager
from velox.web.auth.tickets import TicketBook
from velox.web.options import WebOptions
from velox.web.ws.hub import Hub
from velox.web.ws.quota import SocketQuota

# symbol, duration, start, end, limit -> candles oldest first
CandleQuery = Callable[[str, str, int | None, int | None, int], Awaitable[list[CandleRecord]]]

SETTINGS = web.AppKey("settings", Settings)
ADMIN_REFUSALS = web.AppKey("admin_refusals", PerAddressLog)  # wrong admin tokens, logged
OPTIONS = web.AppKey("options", WebOptions)
STORE = web.AppKey("store", Store)
SERVICE = web.AppKey("service", EngineApi)  # in process, or a gateway's BusEngineClient
ENGINE_SERVICE = web.AppKey("engine_service", EngineService)  # where the engine runs here
HUB = web.AppKey("hub", Hub)
SESSIONS = web.AppKey("sessions", SessionManager)
SESSION_FINGERPRINT = web.AppKey("session_fingerprint", SessionSecret)  # never the secret
# the writer's (meta key, fingerprint)s, recorded once the start has gone through
FINGERPRINTS = web.AppKey("fingerprints", list[tuple[str, str]])
PASSWORDS = web.AppKey("passwords", Passwords)
TICKETS = web.AppKey("tickets", TicketBook)
AUTH_LIMIT = web.AppKey("auth_limit", SlidingLog)
ORDER_LIMIT = web.AppKey("order_limit", SlidingLog)
PUBLIC_LIMIT = web.AppKey("public_limit", SlidingLog)
SOCKET_QUOTA = web.AppKey("socket_quota", SocketQuota)  # --max-sockets-per-ip
MAGIC_RECIPIENTS = web.AppKey("magic_recipients", RecipientCap)  # --magic-links-per-recipient
PURGE_AUTH = web.AppKey("purge_auth", Every)  # when magic-link requests purge expired tokens
CLIENTS = web.AppKey("clients", ClientAddresses)
MAILER = web.AppKey("mailer", Mailer)
PROVIDER_SIGN_IN = web.AppKey("provider_sign_in", ProviderSignIn)
FEED = web.AppKey[Feed | None]("feed")
CANDLES = web.AppKey[CandleQuery]("candles")
MARKET_TAP = web.AppKey[MarketTap]("market_tap")  # the engine role: trades and candles to the bus
PARTS = web.AppKey[tuple[Part, ...]]("parts")  # supervised tasks, for /healthz
DATABASE = web.AppKey("database", StoreProbe)  # whether the store answers, for /healthz
