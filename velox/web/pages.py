"""Server-rendered pages of the browser UI: landing, register, sign in, the trade terminal,
the trading history, the account page, and the HTML 404 a browser gets for a page that does
not exist.

The pages are thin Jinja2 shells; the trade screen itself is plain ES modules under
``static/`` talking to the JSON API and the websocket. ``setup_pages(app)`` is called by the
app factory (``velox.web.app.create_app``).
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from velox.config import Settings
from velox.paths import resource_dir
from velox.web.auth.handlers import INVALID_LINK, VERIFY_PAGE, magic_link_email
from velox.web.auth.oauth.views import buttons, error_message
from velox.web.keys import SESSIONS, SETTINGS
from velox.web.openapi import document_for

TOKEN_COOKIE = "token"
ORDER_TYPES = web.AppKey("order_types", list[str])  # what the ticket offers (order_types)

# Defaults the order form's display-only estimates use when the app does not say otherwise
# (SPEC section 3: --mmr 0.1, --max-leverage 100).
DEFAULT_MMR = "0.1"
DEFAULT_MAX_LEVERAGE = 100

# Pages run only same-origin scripts (configuration travels in data- attributes), connect only
# to their own origin (API and websocket) and are never framed.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def _signed_in(request: web.Request) -> bool:
    """Whether the request carries a session the API accepts (a valid, unrevoked JWT in the
    ``token`` cookie). In an app without the session manager, any ``token`` cookie counts;
    the trade page's script still asks ``GET /api/v1/user/me`` and falls back to /signin on
    a 401, so a stale cookie costs one round trip, never a dead page."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return False
    sessions = request.app.get(SESSIONS)
    if sessions is None:
        return True
    return sessions.verify(token, via_cookie=True) is not None


def order_types(settings: Settings) -> list[str]:
    """The order types the ticket offers: those the API document says the server takes.
    MARKET always; LIMIT and STOP once the open request has a ``type`` (SPEC 12), OCO once
    ``/api/v1/order/oco`` is documented. So the ticket never offers what would be refused."""
    document = document_for(settings)
    request = document["components"]["schemas"].get("OpenRequest", {})
    kind = request.get("properties", {}).get("type")
    types = ["MARKET"]
    if kind is not None:
        types += [t for t in kind.get("enum", ["LIMIT", "STOP"]) if t != "MARKET"]
    if "/api/v1/order/oco" in document["paths"]:
        types.append("OCO")
    return types


def _page_settings(app: web.Application) -> dict[str, Any]:
    """The trading limits the order form shows its estimates with (from the app's settings),
    the order types it offers and the fee rates of its estimate (0 until SPEC 12's fees)."""
    settings = app.get(SETTINGS)
    if settings is None:
        return {
            "mmr": DEFAULT_MMR,
            "max_leverage": DEFAULT_MAX_LEVERAGE,
            "order_types": ["MARKET"],
            "taker_fee": "0",
            "maker_fee": "0",
        }
    return {
        "mmr": settings.mmr,
        "max_leverage": settings.max_leverage,
        "order_types": app.get(ORDER_TYPES) or ["MARKET"],
        "taker_fee": str(getattr(settings, "taker_fee", "0")),
        "maker_fee": str(getattr(settings, "maker_fee", "0")),
    }


def _render(template: str, request: web.Request, context: dict[str, Any]) -> web.Response:
    context.setdefault("signed_in", _signed_in(request))
    response = aiohttp_jinja2.render_template(template, request, context)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


async def landing(request: web.Request) -> web.StreamResponse:
    return _render("landing.html", request, {"page": "landing"})


async def register(request: web.Request) -> web.StreamResponse:
    context = {"page": "register", "providers": buttons(request.app)}
    return _render("register.html", request, context)


async def signin(request: web.Request) -> web.StreamResponse:
    tab = "magic" if request.query.get("tab") == "magic" else "password"
    invalid_link = request.query.get("error") == "invalid_link"
    context = {"page": "signin", "tab": tab, "invalid_link": invalid_link}
    context |= {"providers": buttons(request.app), "provider_error": error_message(request)}
    return _render("signin.html", request, context)


async def verify_page(request: web.Request) -> web.StreamResponse:
    """A magic link opened from another site: say whose account it signs in to, and sign in
    only when this page's button is pressed (``auth.handlers.verify``)."""
    email = await magic_link_email(request, request.query.get("token", ""))
    if email is None:
        raise web.HTTPFound(INVALID_LINK)
    return _render("verify.html", request, {"page": "verify", "email": email})


async def trade(request: web.Request) -> web.StreamResponse:
    if not _signed_in(request):
        raise web.HTTPFound(request.app.router["signin_page"].url_for())
    context: dict[str, Any] = {"page": "trade", **_page_settings(request.app)}
    return _render("trade.html", request, context)


async def history(request: web.Request) -> web.StreamResponse:
    if not _signed_in(request):
        raise web.HTTPFound(request.app.router["signin_page"].url_for())
    settings = request.app.get(SETTINGS)
    symbols = list(settings.symbols) if settings is not None else []
    return _render("history.html", request, {"page": "history", "symbols": symbols})


async def account_page(request: web.Request) -> web.StreamResponse:
    if not _signed_in(request):
        raise web.HTTPFound(request.app.router["signin_page"].url_for())
    settings = request.app.get(SETTINGS)
    context = {
        "page": "account",
        "providers": buttons(request.app),
        "initial_balance": settings.initial_balance if settings is not None else "1000",
    }
    return _render("account.html", request, context)


def _wants_page(request: web.Request) -> bool:
    """A browser navigating (Accept names text/html) outside the API and the websocket: the
    API keeps its JSON errors, whatever the client accepts."""
    if request.method not in ("GET", "HEAD"):
        return False
    if request.path.startswith(("/api/", "/ws")):
        return False
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def html_not_found(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page that does not exist, asked for by a browser: an HTML 404 with a way home
    (inside the error middleware, which turns every other 404 into the API's JSON)."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if not _wants_page(request):
            raise
    response = _render("404.html", request, {"page": "not-found"})
    response.set_status(404)
    return response


async def _static_revalidate(request: web.Request, response: web.StreamResponse) -> None:
    """Static files are revalidated (ETag / Last-Modified) so an upgrade is never half-cached:
    ES modules import each other by plain URL, without a version in the name."""
    if request.path.startswith("/static/") and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"


def setup_pages(app: web.Application) -> None:
    """Templates, ``/static/`` and the page routes (named ``*_page``) on ``app``."""
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    settings = app.get(SETTINGS)
    if settings is not None:
        app[ORDER_TYPES] = order_types(settings)
    app.router.add_get("/", landing, name="landing_page")
    app.router.add_get("/register", register, name="register_page")
    app.router.add_get("/signin", signin, name="signin_page")
    app.router.add_get(VERIFY_PAGE, verify_page, name="verify_page")
    app.router.add_get("/trade", trade, name="trade_page")
    app.router.add_get("/history", history, name="history_page")
    app.router.add_get("/account", account_page, name="account_page")
    app.router.add_static("/static/", resource_dir("static"), name="static")
    app.on_response_prepare.append(_static_revalidate)
    app.middlewares.append(html_not_found)
