"""The secrets of one sign-in, bound to the browser that started it and usable once.

Starting a sign-in makes a ``state``, a ``nonce`` and a PKCE code verifier and puts them in a
cookie signed with the session secret (HS256, its own audience, so it can never pass for a
session token and no session token for it). The cookie is httpOnly, SameSite=Lax (sent on the
provider's top-level redirect back, never on a cross-site subrequest), scoped to the callback
paths and lives ten minutes. The callback must present it with the same ``state``: a callback
from another browser, for another provider or with another ``state`` is refused.

Single use: a flow's ``state`` is remembered as spent until the flow would have expired, so a
replayed callback is refused even with the cookie. Being signed rather than stored, a flow
started on one gateway finishes on any other with the same secret; the spent list is per
process, and there the provider's single-use authorization code stops a replay.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

import jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from velox.frozen import frozen
from velox.web.auth.oauth.refusals import Refusal, SignInRefused

COOKIE = "velox_oauth"
COOKIE_PATH = "/api/v1/user/auth/"
FLOW_TTL_S = 600
AUDIENCE = "velox:oauth-flow"
ALGORITHM = "HS256"
MAX_COOKIE = 4096


@frozen
class Flow:
    provider: str
    state: str
    nonce: str
    verifier: str  # PKCE code_verifier (RFC 7636): 64 characters of [A-Za-z0-9]
    expires: int  # epoch seconds

    @property
    def challenge(self) -> str:
        """The S256 ``code_challenge`` sent with the authorization request."""
        challenge: str = create_s256_code_challenge(self.verifier)
        return challenge


def authorization_url(
    endpoint: str, client_id: str, redirect_uri: str, scope: str, flow: Flow, *, oidc: bool
) -> str:
    """The authorization request (RFC 6749 section 4.1.1) carrying the flow's ``state``, its
    PKCE challenge (RFC 7636 section 4.3) and, for OpenID Connect, its ``nonce``."""
    url: str = prepare_grant_uri(
        endpoint,
        client_id,
        "code",
        redirect_uri,
        scope=scope,
        state=flow.state,
        nonce=flow.nonce if oidc else None,
        code_challenge=flow.challenge,
        code_challenge_method="S256",
    )
    return url


class FlowCookies:
    """Issues flow cookies and redeems each one once."""

    def __init__(
        self, secret: str, ttl_s: int = FLOW_TTL_S, clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock
        self._spent: dict[str, int] = {}  # state -> the flow's expiry (epoch s)
        self._sweep_at = 0.0

    def begin(self, provider: str) -> tuple[Flow, str]:
        """A new flow for ``provider`` and the cookie value that carries it."""
        expires = int(self._clock()) + self.ttl_s
        flow = Flow(provider, generate_token(43), generate_token(43), generate_token(64), expires)
        claims = {
            "aud": AUDIENCE,
            "exp": expires,
            "provider": flow.provider,
            "state": flow.state,
            "nonce": flow.nonce,
            "verifier": flow.verifier,
        }
        return flow, jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def finish(self, cookie: str | None, provider: str, state: str | None) -> Flow:
        """The flow this browser started for ``provider`` with this ``state``, once.

        Raises ``SignInRefused(EXPIRED)`` for a missing, forged, expired, mismatched or
        already used flow.
        """
        flow = self._open(cookie)
        if flow.provider != provider:
            raise SignInRefused(Refusal.EXPIRED, f"the flow was started for {flow.provider}")
        if not state or not hmac.compare_digest(state.encode(), flow.state.encode()):
            raise SignInRefused(Refusal.EXPIRED, "the state does not match the flow's")
        now = self._clock()
        if flow.expires <= now:
            raise SignInRefused(Refusal.EXPIRED, "the flow has expired")
        self._sweep(now)
        if flow.state in self._spent:
            raise SignInRefused(Refusal.EXPIRED, "the flow was already used (replay)")
        self._spent[flow.state] = flow.expires
        return flow

    def _open(self, cookie: str | None) -> Flow:
        if not cookie or len(cookie) > MAX_COOKIE:
            raise SignInRefused(Refusal.EXPIRED, "no flow cookie (another browser, or expired)")
        try:
            claims: dict[str, Any] = jwt.decode(
                cookie,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                # expiry is checked against the injected clock, in finish()
                options={"require": ["aud", "exp"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise SignInRefused(Refusal.EXPIRED, f"the flow cookie is invalid ({exc})") from exc
        fields = [claims.get(name) for name in ("provider", "state", "nonce", "verifier")]
        expires = claims.get("exp")
        if not all(isinstance(value, str) for value in fields) or not isinstance(expires, int):
            raise SignInRefused(Refusal.EXPIRED, "the flow cookie lacks a field")
        provider, state, nonce, verifier = (str(value) for value in fields)
        return Flow(provider, state, nonce, verifier, expires)

    def _sweep(self, now: float) -> None:
        """Forget spent flows once they would have expired anyway."""
        if now < self._sweep_at:
            return
        self._sweep_at = now + self.ttl_s
        for state in [s for s, expires in self._spent.items() if expires <= now]:
            del self._spent[state]
