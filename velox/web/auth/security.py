"""Who is asking: session from ``Authorization: Bearer`` or the ``token`` cookie; the CSRF
origin check; the session cookie itself.

CSRF: the cookie is SameSite=Lax, so browsers do not send it on cross-site POST/PATCH/DELETE.
As a second line, a state-changing request that carries the cookie (and no Bearer header) must
come with an Origin (or, failing that, a Referer) whose host is this server's; otherwise 403.
A request with neither header is let through: every current browser sends Origin on such
requests, so it comes from a non-browser client (curl with a cookie jar), which no other
site can drive. Bearer requests are exempt: a page on another origin cannot set that header
without a CORS preflight, which this server never grants.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from velox.web.auth.sessions import Session
from velox.web.errors import ApiError, unauthorized
from velox.web.keys import SESSIONS, SETTINGS

COOKIE = "token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def client_ip(request: web.Request) -> str:
    return request.remote or "unknown"


def session_of(request: web.Request) -> Session | None:
    """The request's session; None without credentials; 401 for presented-but-invalid ones."""
    sessions = request.app[SESSIONS]
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("the Authorization header must be 'Bearer <token>'")
        session = sessions.verify(token.strip())
        if session is None:
            raise unauthorized("the session is invalid or has expired")
        return session
    cookie = request.cookies.get(COOKIE)
    if cookie:
        session = sessions.verify(cookie, via_cookie=True)
        if session is None:
            raise unauthorized("the session is invalid or has expired")
        return session
    return None


def require_session(request: web.Request) -> Session:
    session = session_of(request)
    if session is None:
        raise unauthorized()
    return session


def is_https(request: web.Request) -> bool:
    """HTTPS here, or behind a TLS-terminating proxy announced by an https ``--public-url``."""
    public = request.app[SETTINGS].public_url or ""
    return request.secure or public.lower().startswith("https://")


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=request.app[SETTINGS].session_ttl,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=is_https(request),
    )


def clear_session_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", secure=is_https(request), httponly=True, samesite="Lax")


def _netloc(scheme: str, host: str) -> str:
    host = host.strip().lower()
    name, sep, port = host.rpartition(":")
    if sep and port == _DEFAULT_PORTS.get(scheme.lower()):
        return name
    return host


def _allowed_hosts(request: web.Request) -> set[str]:
    allowed = {_netloc(request.scheme, request.host)}
    public = request.app[SETTINGS].public_url
    if public:
        url = urlsplit(public)
        allowed.add(_netloc(url.scheme, url.netloc))
    return allowed


def same_origin(request: web.Request) -> bool:
    """False when Origin (else Referer) names another host; True when neither is sent."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return True
    url = urlsplit(source)
    if not url.scheme or not url.netloc:
        return False  # "Origin: null" (sandboxed frames, file: pages) is never ours
    return _netloc(url.scheme, url.netloc) in _allowed_hosts(request)


def cookie_only(request: web.Request) -> bool:
    """The request would authenticate by the session cookie (no Bearer header)."""
    return COOKIE in request.cookies and "Authorization" not in request.headers


def check_origin(request: web.Request) -> None:
    """403 FORBIDDEN for a cookie-authenticated state change from another origin."""
    if request.method in UNSAFE_METHODS and cookie_only(request) and not same_origin(request):
        raise ApiError("FORBIDDEN", "cross-origin request refused")
