"""What every identity provider offers the sign-in routes: two steps of one flow."""

from __future__ import annotations

from typing import Protocol

import aiohttp

from velox.web.auth.oauth.flow import Flow


class Provider(Protocol):
    """An identity provider Velox is registered with.

    ``slug`` names it in URLs (``/api/v1/user/auth/<slug>``) and ``label`` on its button.
    Both steps raise ``SignInRefused`` rather than return a doubtful answer.
    """

    @property
    def slug(self) -> str: ...

    @property
    def label(self) -> str: ...

    async def authorization_url(
        self, http: aiohttp.ClientSession, redirect_uri: str, flow: Flow
    ) -> str:
        """Where to send the browser: the provider's authorization endpoint with the flow's
        ``state``, PKCE challenge and (OIDC) ``nonce``."""
        ...

    async def verified_email(
        self, http: aiohttp.ClientSession, code: str, redirect_uri: str, flow: Flow
    ) -> str:
        """Redeem the authorization code (with the PKCE verifier) and return the email
        address the provider vouches for; ``SignInRefused(UNVERIFIED)`` if it does not."""
        ...
