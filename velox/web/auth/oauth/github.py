"""GitHub: plain OAuth 2.0 (no ID token), so the address comes from its REST API.

The code is redeemed at ``<github>/login/oauth/access_token`` (with the PKCE verifier, which
GitHub checks since 2025) and the access token reads ``GET <api>/user/emails``: the account's
primary address is used, and only if GitHub marks it ``verified``. The two base URLs are
settings, so GitHub Enterprise Server works too (``https://HOST`` and ``https://HOST/api/v3``).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from velox.web.auth.oauth.flow import Flow, authorization_url
from velox.web.auth.oauth.refusals import Refusal, SignInRefused
from velox.web.auth.oauth.remote import get_json, redeem_code

SCOPE = "user:email"
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def primary_address(emails: Any) -> str:
    """The primary address of a ``/user/emails`` answer, if GitHub has verified it."""
    if not isinstance(emails, list):
        raise SignInRefused(Refusal.FAILED, "/user/emails did not answer a list")
    primary = [e for e in emails if isinstance(e, dict) and e.get("primary") is True]
    if len(primary) != 1 or not isinstance(primary[0].get("email"), str):
        raise SignInRefused(Refusal.FAILED, "/user/emails has no single primary address")
    if primary[0].get("verified") is not True:
        raise SignInRefused(Refusal.UNVERIFIED, "the primary address is not verified")
    address: str = primary[0]["email"]
    return address


class GitHubProvider:
    slug = "github"
    label = "GitHub"

    def __init__(self, client_id: str, client_secret: str, web_url: str, api_url: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self.authorize_url = web_url.rstrip("/") + "/login/oauth/authorize"
        self.token_url = web_url.rstrip("/") + "/login/oauth/access_token"
        self.emails_url = api_url.rstrip("/") + "/user/emails"

    async def authorization_url(
        self, http: aiohttp.ClientSession, redirect_uri: str, flow: Flow
    ) -> str:
        return authorization_url(
            self.authorize_url, self.client_id, redirect_uri, SCOPE, flow, oidc=False
        )

    async def verified_email(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, flow: Flow
    ) -> str:
        client = (self.client_id, self._client_secret, "client_secret_post")
        token = await redeem_code(http, self.token_url, client, code, redirect_uri, flow.verifier)
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise SignInRefused(Refusal.FAILED, "the token answer has no access_token")
        headers = {**API_HEADERS, "Authorization": f"Bearer {access}"}
        return primary_address(await get_json(http, self.emails_url, headers))
