"""The two routes of a provider sign-in, and what the sign-in pages show of it.

``GET /api/v1/user/auth/<slug>`` (the button's link) starts a flow and redirects to the
provider; ``GET /api/v1/user/auth/<slug>/callback`` is where the provider sends the browser
back. The start counts against ``--rate-limit-auth`` like signup, signin and magic links, and
is refused (403) when the browser says another site sent it there: starting a sign-in is a
state change, so it obeys the CSRF rule even though a link makes it a GET. The callback is
protected by the flow cookie and ``state`` (RFC 6749 section 10.12) instead; without them it
does no work, so it needs no rate limit of its own (a magic link's verify has none either).

Success signs in exactly as a magic link does (``sign_in_by_email``). Every refusal ends on
``/signin?error=<refusal>&provider=<slug>`` without a session; the flow cookie is cleared
either way.
"""

from __future__ import annotations

import logging

from aiohttp import web

from velox.web import validate
from velox.web.auth.handlers import base_url, sign_in_by_email
from velox.web.auth.oauth.flow import COOKIE, COOKIE_PATH
from velox.web.auth.oauth.provider import Provider
from velox.web.auth.oauth.refusals import Refusal, SignInRefused, message
from velox.web.auth.oauth.remote import client
from velox.web.auth.security import client_key, is_https, navigated_from_here
from velox.web.errors import ApiError
from velox.web.keys import AUTH_LIMIT, PROVIDER_SIGN_IN

log = logging.getLogger(__name__)
MAX_CODE = 2048


def _provider(request: web.Request) -> Provider:
    provider = request.app[PROVIDER_SIGN_IN].providers.get(request.match_info["provider"])
    if provider is None:
        raise ApiError("NOT_FOUND", "this sign-in provider is not configured")
    return provider


def _callback_url(request: web.Request, provider: Provider) -> str:
    """The redirect URI registered at the provider: ``--public-url`` (else the listen
    address) and the callback path, never the request's Host header."""
    path = request.app.router["oauth_callback"].url_for(provider=provider.slug)
    return f"{base_url(request)}{path}"


def _redirect(location: str) -> web.Response:
    return web.Response(status=302, headers={"Location": location, "Cache-Control": "no-store"})


def _refused(request: web.Request, provider: Provider, refusal: SignInRefused) -> web.Response:
    log.warning("sign-in with %s refused: %s", provider.slug, refusal)
    query = {"error": refusal.refusal.value, "provider": provider.slug}
    return _redirect(str(request.app.router["signin_page"].url_for().with_query(query)))


async def start(request: web.Request) -> web.Response:
    app = request.app
    app[AUTH_LIMIT].check(client_key(request))
    provider = _provider(request)
    if not navigated_from_here(request):
        raise ApiError("FORBIDDEN", "a sign-in must be started from this site")
    flows = app[PROVIDER_SIGN_IN].flows
    flow, cookie = flows.begin(provider.slug)
    try:
        async with client() as http:
            url = await provider.authorization_url(http, _callback_url(request, provider), flow)
    except SignInRefused as refusal:
        return _refused(request, provider, refusal)
    response = _redirect(url)
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=flows.ttl_s,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )
    return response


async def callback(request: web.Request) -> web.Response:
    provider = _provider(request)
    query = request.query
    try:
        flow = request.app[PROVIDER_SIGN_IN].flows.finish(
            request.cookies.get(COOKIE), provider.slug, query.get("state")
        )
        if "error" in query:
            raise SignInRefused(Refusal.DENIED, f"the provider answered {query['error'][:100]!r}")
        code = query.get("code", "")
        if not code or len(code) > MAX_CODE:
            raise SignInRefused(Refusal.FAILED, "the callback has no usable code")
        async with client() as http:
            redirect_uri = _callback_url(request, provider)
            address = await provider.verified_email(http, code, redirect_uri, flow)
        try:
            email = validate.email(address)
        except ApiError:
            raise SignInRefused(Refusal.FAILED, "the provider's address is not valid") from None
    except SignInRefused as refusal:
        response = _refused(request, provider, refusal)
    else:
        response = await sign_in_by_email(request, email)
    response.del_cookie(COOKIE, path=COOKIE_PATH, secure=is_https(request), httponly=True)
    return response


def buttons(app: web.Application) -> list[dict[str, str]]:
    """One ``{slug, label, url}`` per configured provider, for /signin and /register."""
    sign_in = app.get(PROVIDER_SIGN_IN)
    if sign_in is None:
        return []
    route = app.router["oauth_start"]
    return [
        {"slug": slug, "label": p.label, "url": str(route.url_for(provider=slug))}
        for slug, p in sign_in.providers.items()
    ]


def error_message(request: web.Request) -> str | None:
    """The text for ``/signin?error=oauth_...&provider=<slug>``; None for any other error."""
    code = request.query.get("error")
    if code is None:
        return None
    sign_in = request.app.get(PROVIDER_SIGN_IN)
    providers = sign_in.providers if sign_in is not None else {}
    provider = providers.get(request.query.get("provider", ""))
    return message(code, provider.label if provider is not None else "the provider")
