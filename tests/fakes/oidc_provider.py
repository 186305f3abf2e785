"""A fake OpenID Connect provider and a fake GitHub, each an aiohttp app on a loopback port.

Both play the authorization server of the authorization-code flow with PKCE as the real ones
do: ``authorize`` remembers the request and sends the browser back with a one-time code (the
person is taken as already signed in and consenting), the token endpoint checks the client's
credentials, that the code is unused and was issued to this client for this ``redirect_uri``,
and that ``BASE64URL(SHA-256(code_verifier))`` equals the ``code_challenge`` (computed here
with hashlib, independently of the code under test).

``FakeOidcProvider`` (issuer ``http://HOST:PORT/realms/test``, Keycloak's shape) serves the
discovery document, its JWK set (an RSA key made when the fake is built) and ID tokens signed
RS256 with it; ``userinfo`` as well. ``FakeGitHub`` serves ``/login/oauth/authorize``,
``/login/oauth/access_token`` (form-encoded unless JSON is asked for; errors with status 200,
as GitHub does) and the REST API's ``/user/emails`` under ``/api``.

Knobs for the refusals: ``deny`` (the provider answers ``?error=``), ``id_token_claims``
(override or, with None, drop claims), ``sign_with_rogue_key``, ``email_in_id_token``,
``userinfo_sub``, ``auth_methods``, ``rotate_key()``; and for the JWK set, ``jwk_sets`` (what
each JWK set URL publishes, so a key can be withdrawn while it still signs) and ``jwks_path``
(which of them the discovery document names).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

FORM = "application/x-www-form-urlencoded"
GITHUB_ERRORS = {
    "invalid_grant": "bad_verification_code",
    "invalid_client": "incorrect_client_credentials",
}


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    scope: str
    used: bool = False


@dataclass
class Person:
    """Who is signed in at the provider."""

    sub: str = "user-1"
    email: str = "ann@example.com"
    email_verified: bool = True


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class AuthorizationServer:
    """The parts both fakes share: clients, grants, one-time codes, PKCE, a loopback site."""

    client_id: str = "velox-client"
    client_secret: str = "velox-secret"
    host: str = "127.0.0.1"
    person: Person = field(default_factory=Person)
    deny: str | None = None  # e.g. "access_denied": the person said no
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    grants: dict[str, Grant] = field(default_factory=dict)
    url: str = ""
    _runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> str:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://{self.host}:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def authorize(self, request: web.Request, *, scope_needed: str) -> web.Response:
        """Check the authorization request and redirect back with a code (or ``deny``)."""
        query = dict(request.query)
        self.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return web.Response(status=400, text="unknown client or no redirect_uri")
        state = query.get("state", "")
        if self.deny is not None:
            back = {"error": self.deny, "error_description": "The user said no", "state": state}
            raise web.HTTPFound(f"{redirect_uri}?{urlencode(back)}")
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            problems.append("pkce")
        if scope_needed not in query.get("scope", "").split():
            problems.append("scope")
        if problems:
            back = {"error": "invalid_request", "error_description": ",".join(problems)}
            raise web.HTTPFound(f"{redirect_uri}?{urlencode({**back, 'state': state})}")
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            self.client_id,
            redirect_uri,
            query["code_challenge"],
            query.get("nonce"),
            query.get("scope", ""),
        )
        raise web.HTTPFound(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    def redeem(self, form: dict[str, str], client: tuple[str, str] | None) -> Grant | str:
        """The grant for a token request, or the OAuth error code (RFC 6749 section 5.2)."""
        self.token_requests.append(form)
        if client != (self.client_id, self.client_secret):
            return "invalid_client"
        if form.get("grant_type", "authorization_code") != "authorization_code":
            return "unsupported_grant_type"
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used:
            return "invalid_grant"
        grant.used = True  # one use, even when the rest is wrong
        if grant.redirect_uri != form.get("redirect_uri"):
            return "invalid_grant"
        if s256(form.get("code_verifier", "")) != grant.challenge:
            return "invalid_grant"
        return grant


def signing_key(kid: str) -> RSAKey:
    """A fresh RS256 key: made at test time, never stored."""
    return RSAKey.generate_key(2048, {"kid": kid, "use": "sig", "alg": "RS256"})


def basic_client(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    return client_id, secret


@dataclass
class FakeOidcProvider(AuthorizationServer):
    rsa_key: RSAKey = field(default_factory=lambda: signing_key("key-1"))
    sign_with_rogue_key: bool = False  # the published key's kid on a key nobody published
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # None value: drop claim
    email_in_id_token: bool = True
    userinfo_sub: str | None = None  # answer userinfo about this subject instead
    auth_methods: tuple[str, ...] = ("client_secret_basic", "client_secret_post")
    jwks_fetches: int = 0
    access_tokens: dict[str, Person] = field(default_factory=dict)
    jwks_path: str = "jwks"  # the discovery document's jwks_uri is <issuer>/<jwks_path>
    # path -> the keys published there; None: the signing key alone, at "jwks"
    jwk_sets: dict[str, list[RSAKey]] | None = None

    @property
    def issuer(self) -> str:
        return f"{self.url}/realms/test"

    def rotate_key(self) -> None:
        """Sign with a new key under a new kid, and publish only that one."""
        self.rsa_key = signing_key(f"key-{self.jwks_fetches + 2}")

    def routes(self, app: web.Application) -> None:
        base = "/realms/test"
        app.router.add_get(f"{base}/.well-known/openid-configuration", self._discovery)
        app.router.add_get(f"{base}/{{path:jwks[a-z0-9-]*}}", self._jwks)
        app.router.add_get(f"{base}/authorize", self._authorize)
        app.router.add_post(f"{base}/token", self._token)
        app.router.add_get(f"{base}/userinfo", self._userinfo)

    async def _discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/{self.jwks_path}",
                "userinfo_endpoint": f"{self.issuer}/userinfo",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": list(self.auth_methods),
            }
        )

    async def _jwks(self, request: web.Request) -> web.Response:
        sets = {"jwks": [self.rsa_key]} if self.jwk_sets is None else self.jwk_sets
        keys = sets.get(request.match_info["path"])
        if keys is None:
            raise web.HTTPNotFound()
        self.jwks_fetches += 1
        return web.json_response(KeySet(keys).as_dict(private=False))

    async def _authorize(self, request: web.Request) -> web.Response:
        return self.authorize(request, scope_needed="openid")

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        client = basic_client(request)
        if client is None and "client_secret" in form:
            client = (form.get("client_id", ""), form["client_secret"])
        grant = self.redeem(form, client)
        if isinstance(grant, str):
            return web.json_response({"error": grant}, status=400)
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = self.person
        answer = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }
        return web.json_response(answer, headers={"Cache-Control": "no-store"})

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": self.person.sub,
            "aud": grant.client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": grant.nonce,
        }
        if self.email_in_id_token:
            claims |= {"email": self.person.email, "email_verified": self.person.email_verified}
        for name, value in self.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = signing_key(self.rsa_key.kid or "") if self.sign_with_rogue_key else self.rsa_key
        return jwt.encode({"alg": "RS256", "kid": self.rsa_key.kid}, claims, key)

    async def _userinfo(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        person = self.access_tokens.get(header.removeprefix("Bearer "))
        if person is None:
            return web.json_response({"error": "invalid_token"}, status=401)
        return web.json_response(
            {
                "sub": self.userinfo_sub or person.sub,
                "email": person.email,
                "email_verified": person.email_verified,
            }
        )


@dataclass
class FakeGitHub(AuthorizationServer):
    """``emails`` is what ``GET /user/emails`` answers (None: the person's one address)."""

    emails: list[dict[str, Any]] | None = None
    access_tokens: dict[str, Person] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/login/oauth/authorize", self._authorize)
        app.router.add_post("/login/oauth/access_token", self._token)
        app.router.add_get("/api/user/emails", self._emails)

    async def _authorize(self, request: web.Request) -> web.Response:
        return self.authorize(request, scope_needed="user:email")

    async def _token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        client = basic_client(request) or (
            form.get("client_id", ""),
            form.get("client_secret", ""),
        )
        grant = self.redeem({**form, "grant_type": "authorization_code"}, client)
        if isinstance(grant, str):
            answer = {"error": GITHUB_ERRORS.get(grant, grant)}
        else:
            access = "gho_" + secrets.token_urlsafe(24)
            self.access_tokens[access] = self.person
            answer = {"access_token": access, "token_type": "bearer", "scope": grant.scope}
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response(answer)  # GitHub answers errors with 200 too
        return web.Response(text=urlencode(answer), content_type=FORM)

    def _person(self, request: web.Request) -> Person:
        header = request.headers.get("Authorization", "")
        person = self.access_tokens.get(header.removeprefix("Bearer "))
        if person is None:
            raise web.HTTPUnauthorized(
                text='{"message": "Requires authentication"}', content_type="application/json"
            )
        return person

    async def _emails(self, request: web.Request) -> web.Response:
        person = self._person(request)
        emails = self.emails
        if emails is None:
            emails = [
                {
                    "email": person.email,
                    "primary": True,
                    "verified": person.email_verified,
                    "visibility": "private",
                }
            ]
        return web.json_response(emails)
