"""Which providers are configured: a provider exists when its client id and secret are set.

GitHub is plain OAuth 2.0; Google is an OpenID Connect issuer like any other, at a fixed
address, so it shares the ``--oidc-*`` code path. Setting only one of an id / secret pair is
a configuration mistake and stops the start with a message naming the missing setting.
"""

from __future__ import annotations

from collections.abc import Mapping

from velox.clock import SYSTEM_CLOCK, Clock
from velox.config import Settings
from velox.frozen import frozen
from velox.web.auth.oauth.flow import FlowCookies
from velox.web.auth.oauth.github import GitHubProvider
from velox.web.auth.oauth.oidc import OidcProvider
from velox.web.auth.oauth.provider import Provider

SLUGS = ("github", "google", "oidc")  # also the button order
SLUG_PATTERN = "|".join(SLUGS)


@frozen
class ProviderSignIn:
    """The configured providers by slug (possibly none) and the flow cookies they share."""

    providers: Mapping[str, Provider]
    flows: FlowCookies


def _client(settings: Settings, prefix: str) -> tuple[str, str] | None:
    client_id = getattr(settings, f"{prefix}_client_id")
    secret = getattr(settings, f"{prefix}_client_secret")
    if not client_id and not secret:
        return None
    flag = f"--{prefix}-client-" + ("secret" if client_id else "id")
    if not client_id or not secret:
        raise SystemExit(f"velox: sign-in with {prefix} also needs {flag}")
    return client_id, secret


def configured_providers(settings: Settings, clock: Clock = SYSTEM_CLOCK) -> dict[str, Provider]:
    """``clock`` (the app's) times what the OpenID Connect providers cache."""

    def seconds() -> float:
        return clock.now_ms() / 1000

    providers: dict[str, Provider] = {}
    github = _client(settings, "github")
    if github is not None:
        providers["github"] = GitHubProvider(*github, settings.github_url, settings.github_api_url)
    google = _client(settings, "google")
    if google is not None:
        providers["google"] = OidcProvider(
            "google", "Google", settings.google_issuer, *google, clock=seconds
        )
    oidc = _client(settings, "oidc")
    if (oidc is None) != (not settings.oidc_issuer):
        raise SystemExit(
            "velox: sign-in with an OIDC issuer needs --oidc-issuer, --oidc-client-id and "
            "--oidc-client-secret"
        )
    if oidc is not None and settings.oidc_issuer:
        providers["oidc"] = OidcProvider(
            "oidc", settings.oidc_name, settings.oidc_issuer, *oidc, clock=seconds
        )
    return providers


def provider_sign_in(
    settings: Settings, secret: str, clock: Clock = SYSTEM_CLOCK
) -> ProviderSignIn:
    """What ``create_app`` keeps under ``PROVIDER_SIGN_IN``; ``secret`` signs flow cookies."""
    return ProviderSignIn(configured_providers(settings, clock), FlowCookies(secret))
