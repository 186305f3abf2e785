"""Any OpenID Connect issuer (Google, Keycloak, Authentik, ...), found by its discovery
document (``<issuer>/.well-known/openid-configuration``).

The ID token from the token endpoint is believed only after joserfc has checked its
signature against the issuer's JWK set (with the algorithms the issuer announces, asymmetric
ones only) and Authlib's ``CodeIDToken`` its claims: ``iss`` is the issuer, ``aud`` holds our
client id (``azp`` too when there are several audiences), ``exp`` has not passed, ``iat`` is not
in the future and ``nonce`` is the flow's. A token signed with an unknown key id makes us fetch
the JWK set again once (the issuer rotated its keys).

The JWK set is kept only as long as the discovery document it was read from (an hour): a
key the issuer withdraws (rotated out after a compromise, say) must stop being believed,
and keeping the set until a restart, refreshed only for an unknown key id, let a withdrawn
key sign people in for the life of the process. Reading the discovery document again drops
the keys, so they are fetched again, from its ``jwks_uri`` (which may have changed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from velox.frozen import frozen
from velox.web.auth.oauth.flow import Flow, authorization_url
from velox.web.auth.oauth.refusals import Refusal, SignInRefused
from velox.web.auth.oauth.remote import get_json, redeem_code

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_TTL_S = 3600.0
SCOPE = "openid email"
LEEWAY_S = 60  # clock skew allowed on exp / iat / nbf
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


@frozen
class Metadata:
    """The parts of a discovery document the code flow needs."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    token_auth_method: str  # client_secret_basic or client_secret_post
    algorithms: tuple[str, ...]


def parse_metadata(document: Any, issuer: str) -> Metadata:
    """Check a discovery document: its ``issuer`` must be the one configured (OIDC Discovery
    section 4.3), else anyone serving that URL could vouch for anyone."""
    if not isinstance(document, dict):
        raise SignInRefused(Refusal.FAILED, "the discovery document is not a JSON object")
    endpoints = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    values = [document.get(name) for name in endpoints]
    for name, value in zip(endpoints, values, strict=True):
        if not isinstance(value, str) or not value:
            raise SignInRefused(Refusal.FAILED, f"the discovery document has no {name}")
    announced, authorize, token, jwks = (str(value) for value in values)
    if announced.rstrip("/") != issuer.rstrip("/"):
        raise SignInRefused(Refusal.FAILED, f"the discovery document is for {announced}")
    userinfo = document.get("userinfo_endpoint")
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if "client_secret_basic" in methods:
        auth_method = "client_secret_basic"
    elif "client_secret_post" in methods:
        auth_method = "client_secret_post"
    else:
        raise SignInRefused(Refusal.FAILED, f"no client secret method among {methods!r}")
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = tuple(a for a in offered if isinstance(a, str) and a in SIGNING_ALGORITHMS)
    if not algorithms:
        raise SignInRefused(Refusal.FAILED, f"no asymmetric ID token algorithm in {offered!r}")
    return Metadata(
        issuer=announced,
        authorization_endpoint=authorize,
        token_endpoint=token,
        jwks_uri=jwks,
        userinfo_endpoint=userinfo if isinstance(userinfo, str) and userinfo else None,
        token_auth_method=auth_method,
        algorithms=algorithms,
    )


def verified_address(claims: dict[str, Any]) -> str:
    """The email the provider vouches for: ``email_verified`` must be true (some issuers
    send the string "true")."""
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        raise SignInRefused(Refusal.FAILED, "the provider sent no email address")
    flag = claims.get("email_verified")
    if flag is not True and flag != "true":  # not ``in (True, "true")``: 1 == True
        raise SignInRefused(Refusal.UNVERIFIED, "email_verified is not true")
    return email


@frozen
class KeysAt:
    """The JWK set read from ``uri`` (the discovery document's ``jwks_uri``)."""

    uri: str
    keys: KeySet


class OidcProvider:
    """One issuer and Velox's client registration there. Discovery is fetched on first use
    (the issuer need not be up when Velox starts) and kept for an hour, the JWK set with it.
    ``clock``: seconds, monotonic (the app's clock)."""

    def __init__(
        self,
        slug: str,
        label: str,
        issuer: str,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slug = slug
        self.label = label
        self.issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self._clock = clock
        self._metadata: tuple[Metadata, float] | None = None
        self._keys: KeysAt | None = None  # dropped whenever the discovery is read again

    async def metadata(self, http: aiohttp.ClientSession) -> Metadata:
        cached = self._metadata
        if cached is not None and self._clock() < cached[1]:
            return cached[0]
        url = self.issuer.rstrip("/") + DISCOVERY_PATH
        metadata = parse_metadata(await get_json(http, url), self.issuer)
        self._metadata = (metadata, self._clock() + DISCOVERY_TTL_S)
        self._keys = None  # expired with the document: a withdrawn key goes within the hour
        return metadata

    async def authorization_url(
        self, http: aiohttp.ClientSession, redirect_uri: str, flow: Flow
    ) -> str:
        metadata = await self.metadata(http)
        endpoint = metadata.authorization_endpoint
        return authorization_url(endpoint, self.client_id, redirect_uri, SCOPE, flow, oidc=True)

    async def verified_email(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, flow: Flow
    ) -> str:
        metadata = await self.metadata(http)
        token = await self._redeem(http, metadata, code, redirect_uri, flow)
        claims = await self._id_token_claims(http, metadata, token, flow)
        if "email" not in claims and metadata.userinfo_endpoint:
            claims = await self._userinfo(http, metadata.userinfo_endpoint, token, claims)
        return verified_address(claims)

    async def _redeem(
        self,
        http: aiohttp.ClientSession,
        metadata: Metadata,
        code: str,
        redirect_uri: str,
        flow: Flow,
    ) -> dict[str, Any]:
        client = (self.client_id, self._client_secret, metadata.token_auth_method)
        url = metadata.token_endpoint
        token = await redeem_code(http, url, client, code, redirect_uri, flow.verifier)
        for name in ("access_token", "id_token"):
            if not isinstance(token.get(name), str):
                raise SignInRefused(Refusal.FAILED, f"the token answer has no {name}")
        return token

    async def _id_token_claims(
        self,
        http: aiohttp.ClientSession,
        metadata: Metadata,
        token: dict[str, Any],
        flow: Flow,
    ) -> dict[str, Any]:
        try:
            decoded = await self._check_signature(http, metadata, token["id_token"])
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": metadata.issuer},
                    "aud": {"essential": True, "value": self.client_id},
                },
                {
                    "nonce": flow.nonce,
                    "client_id": self.client_id,
                    "access_token": token["access_token"],
                },
            )
            claims.validate(leeway=LEEWAY_S)
        except (JoseError, ValueError) as exc:
            raise SignInRefused(Refusal.FAILED, f"the ID token is not valid: {exc!r}") from exc
        return dict(claims)

    async def _check_signature(
        self, http: aiohttp.ClientSession, metadata: Metadata, id_token: str
    ) -> jwt.Token:
        try:
            return jwt.decode(id_token, await self._key_set(http, metadata), metadata.algorithms)
        except InvalidKeyIdError:
            self._keys = None  # the issuer rotated its keys: fetch the set again, once
            return jwt.decode(id_token, await self._key_set(http, metadata), metadata.algorithms)

    async def _key_set(self, http: aiohttp.ClientSession, metadata: Metadata) -> KeySet:
        """The keys at ``metadata.jwks_uri``: those kept, unless read from another address
        (a sign-in that began before the discovery document was read again)."""
        kept = self._keys
        if kept is not None and kept.uri == metadata.jwks_uri:
            return kept.keys
        document = await get_json(http, metadata.jwks_uri)
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise SignInRefused(Refusal.FAILED, f"the JWK set is not valid: {exc!r}") from exc
        self._keys = KeysAt(metadata.jwks_uri, keys)
        return keys

    async def _userinfo(
        self,
        http: aiohttp.ClientSession,
        endpoint: str,
        token: dict[str, Any],
        id_claims: dict[str, Any],
    ) -> dict[str, Any]:
        """Issuers that leave the email out of the ID token give it here; the answer must be
        about the ID token's subject (OIDC Core section 5.3.2)."""
        info = await get_json(http, endpoint, {"Authorization": f"Bearer {token['access_token']}"})
        if not isinstance(info, dict) or info.get("sub") != id_claims.get("sub"):
            raise SignInRefused(Refusal.FAILED, "the userinfo answer is about someone else")
        return info
