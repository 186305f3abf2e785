"""HTTP to identity providers: JSON in, and any failure becomes ``SignInRefused(FAILED)``.

A sign-in is rare next to trading, so each one opens its own short-lived client session
(``client()``) rather than holding a pool for the life of the process. Every call has a
deadline; a provider that hangs costs the person a message, never a stuck handler.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from velox import __version__
from velox.web.auth.oauth.refusals import Refusal, SignInRefused

TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_ANSWER = 1 << 20  # a discovery document, a JWK set or a token answer is a few kB


def client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=TIMEOUT, headers={"User-Agent": f"Velox/{__version__}"})


async def get_json(
    http: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> Any:
    return await _json(http, "GET", url, headers=headers)


async def post_form(
    http: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str]
) -> dict[str, Any]:
    """POST an ``application/x-www-form-urlencoded`` body; the answer must be a JSON object.

    An OAuth error answer (RFC 6749 section 5.2, 400 with ``{"error": ...}``; GitHub sends
    it with 200) is returned as it is, for the caller to refuse with its ``error`` code.
    """
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/x-www-form-urlencoded",
        **headers,
    }
    answer = await _json(http, "POST", url, headers=headers, data=body, error_ok=True)
    if not isinstance(answer, dict):
        raise SignInRefused(Refusal.FAILED, f"{url} did not answer a JSON object")
    if "error" in answer:
        raise SignInRefused(Refusal.FAILED, f"{url} refused: {str(answer['error'])[:100]}")
    return answer


async def redeem_code(
    http: aiohttp.ClientSession,
    token_url: str,
    client: tuple[str, str, str],
    code: str,
    redirect_uri: str,
    verifier: str,
) -> dict[str, Any]:
    """The token request of the authorization-code grant with PKCE (RFC 6749 section 4.1.3,
    RFC 7636 section 4.5). ``client`` is (id, secret, authentication method)."""
    client_id, client_secret, auth_method = client
    body = prepare_token_request(
        "authorization_code", code=code, redirect_uri=redirect_uri, code_verifier=verifier
    )
    auth = ClientAuth(client_id, client_secret, auth_method)
    _uri, headers, body = auth.prepare("POST", token_url, {}, body)
    return await post_form(http, token_url, body, headers)


async def _json(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    data: str | None = None,
    error_ok: bool = False,
) -> Any:
    try:
        async with http.request(method, url, headers=headers, data=data) as response:
            body = await response.content.read(MAX_ANSWER + 1)
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SignInRefused(Refusal.FAILED, f"{method} {url}: {exc!r}") from exc
    if len(body) > MAX_ANSWER:
        raise SignInRefused(Refusal.FAILED, f"{method} {url}: answer larger than 1 MiB")
    if status != 200 and not (error_ok and status == 400):
        raise SignInRefused(Refusal.FAILED, f"{method} {url}: HTTP {status}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise SignInRefused(Refusal.FAILED, f"{method} {url}: not JSON") from exc
