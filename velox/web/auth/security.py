"""Who is asking: session from ``Authorization: Bearer`` or the ``token`` cookie; the CSRF
origin check; the session cookie itself.

Credentials: a Bearer header and the cookie may both come; each one presented must be valid
(else 401), so a bad credential is never papered over by another (SPEC section 8's rule for
the websocket, here for every route).

CSRF: the cookie is SameSite=Lax, so browsers do not send it on cross-site POST/PATCH/DELETE.
As a second line, every state-changing request without a Bearer header must come with an
Origin (or, failing that, a Referer) whose host is this server's; otherwise 403. That covers
the cookie and also signin, signup and magic links, which carry no credential but set one
(login CSRF: another site signing a visitor into the attacker's account). A request with
neither header is let through: every current browser sends Origin on such requests, so it
comes from a non-browser client (curl with a cookie jar), which no other site can drive.
Bearer requests are exempt: a page on another origin cannot set that header without a CORS
preflight, which this server never grants. JSON bodies must also be declared as such
(``jsonio.require_json_type``), which a cross-site form cannot do.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from velox.web.auth.clientip import bucket_of, parse_address
from velox.web.auth.sessions import Session
from velox.web.errors import ApiError, unauthorized
from velox.web.keys import AUTH_LIMIT, CLIENTS, PUBLIC_LIMIT, SESSIONS, SETTINGS

COOKIE = "token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


FORWARDED_HEADERS = ("X-Forwarded-For", "Forwarded")


def client_ip(request: web.Request) -> str:
    """The client's address, through ``--trusted-proxies`` (see clientip.py)."""
    return request.app[CLIENTS].client_of(
        request.remote, request.headers.getall("X-Forwarded-For", ())
    )


def client_key(request: web.Request) -> str:
    """What every per-address limit counts the request under: its client's address, an IPv6
    client's /64 (``clientip.bucket_of``)."""
    return bucket_of(client_ip(request))


def is_local(request: web.Request) -> bool:
    """The client is on this machine. A request forwarded by a proxy we were not told to
    trust is not: such a proxy on this machine would make every client look local."""
    clients = request.app[CLIENTS]
    forwarded = any(name in request.headers for name in FORWARDED_HEADERS)
    if forwarded and not clients.trusts(parse_address(request.remote)):
        return False
    address = parse_address(client_ip(request))
    return address is not None and address.is_loopback


def check_credential_change(request: web.Request, user_id: str) -> None:
    """--rate-limit-auth, per user, for API-key creates and deletes and webhook-token
    rotations: each is a write to the store, whose one writer the journal shares."""
    request.app[AUTH_LIMIT].check("user:" + user_id)  # never an address: keys apart


def check_public_limit(request: web.Request) -> None:
    """--rate-limit-public: 429 RATE_LIMITED past N anonymous requests per IP per second."""
    request.app[PUBLIC_LIMIT].check(client_key(request))


def session_of(request: web.Request) -> Session | None:
    """The request's session; None without credentials; 401 if any presented one is invalid.

    With both a Bearer header and the cookie, both must be valid and the Bearer one is used.
    """
    sessions = request.app[SESSIONS]
    by_cookie: Session | None = None
    if COOKIE in request.cookies:
        by_cookie = sessions.verify(request.cookies[COOKIE], via_cookie=True)
        if by_cookie is None:
            raise unauthorized("the session cookie is invalid or has expired")
    header = request.headers.get("Authorization")
    if header is None:
        return by_cookie
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("the Authorization header must be 'Bearer <token>'")
    session = sessions.verify(token.strip())
    if session is None:
        raise unauthorized("the session is invalid or has expired")
    return session


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


def names_this_machine(request: web.Request) -> bool:
    """The request's Host is localhost, a loopback address, or --public-url's host: a page
    of another name that its owner made resolve to 127.0.0.1 (DNS rebinding) is not, though
    its requests come from this machine's browser and look same-origin to themselves."""
    host = urlsplit("//" + request.host).hostname or ""
    if host == "localhost":
        return True
    address = parse_address(host)
    if address is not None:
        return address.is_loopback
    public = request.app[SETTINGS].public_url
    return bool(public) and urlsplit(public).hostname == host


# Sec-Fetch-Site of a navigation the person started here: a link on Velox's own pages, or an
# address typed, bookmarked or opened from a mail program ("none").
OWN_NAVIGATION = frozenset({"none", "same-origin"})


def navigated_from_here(request: web.Request) -> bool:
    """A GET that starts a sign-in came from this site or from the person themselves:
    ``same_origin``, and ``Sec-Fetch-Site`` when the browser sends it (it does even where a
    page's ``Referrer-Policy: no-referrer`` strips Origin and Referer)."""
    site = request.headers.get("Sec-Fetch-Site")
    return (site is None or site in OWN_NAVIGATION) and same_origin(request)


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
    """403 FORBIDDEN for a state change from another origin, unless it carries a Bearer header."""
    if (
        request.method in UNSAFE_METHODS
        and "Authorization" not in request.headers
        and not same_origin(request)
    ):
        raise ApiError("FORBIDDEN", "cross-origin request refused")
