"""Sign-in with an OpenID Connect issuer (SPEC section 14), end to end over real HTTP against
the fake provider of tests/fakes/oidc_provider.py: the flow, each refusal, the pages."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from tests.fakes.oidc_provider import FakeOidcProvider, s256
from tests.ports import free_port
from tests.web.helpers import PASSWORD, assert_error, signup
from tests.web.oidc_flow import (
    FLOW_COOKIE,
    AppClient,
    app_client,
    assert_refused,
    at_provider,
    back_at_velox,
    flow_cookie,
    me,
    query_of,
    sign_in,
    start,
    to_callback,
)
from velox.config import Settings
from velox.web.keys import SERVICE, STORE

TOKEN_CHARS = re.compile(r"[A-Za-z0-9]+")


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidcProvider]:
    async with FakeOidcProvider() as fake:
        yield fake


@pytest.fixture
def make(aiohttp_client: Any, settings: Settings) -> AppClient:
    return app_client(aiohttp_client, settings)


def oidc_settings(provider: FakeOidcProvider, **changes: Any) -> dict[str, Any]:
    return {
        "oidc_issuer": provider.issuer,
        "oidc_client_id": provider.client_id,
        "oidc_client_secret": provider.client_secret,
        "oidc_name": "Test SSO",
        **changes,
    }


@pytest.fixture
async def velox(make: AppClient, provider: FakeOidcProvider) -> TestClient[Any, Any]:
    return await make(**oidc_settings(provider))


async def balance(client: TestClient[Any, Any]) -> str:
    response = await client.get("/api/v1/order/user/balance")
    assert response.status == 200
    value: str = (await response.json())["balance"]
    return value


async def test_sign_in_creates_the_user_with_its_first_account(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    started = await start(velox, "oidc")
    assert started.status == 302
    assert started.headers["Cache-Control"] == "no-store"
    location = started.headers["Location"]
    assert location.startswith(f"{provider.issuer}/authorize?")
    asked = query_of(location)
    callback = f"http://127.0.0.1:{velox.server.port}/api/v1/user/auth/oidc/callback"
    assert {k: asked[k] for k in ("response_type", "client_id", "redirect_uri", "scope")} == {
        "response_type": "code",
        "client_id": "velox-client",
        "redirect_uri": callback,
        "scope": "openid email",
    }
    assert asked["code_challenge_method"] == "S256"
    for name in ("state", "nonce"):
        assert len(asked[name]) == 43 and TOKEN_CHARS.fullmatch(asked[name])
    assert asked["state"] != asked["nonce"]
    cookie = started.cookies[FLOW_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/api/v1/user/auth/"
    assert cookie["max-age"] == "600"
    assert not cookie["secure"]  # plain http here

    back = await at_provider(velox, location)
    assert back.startswith(f"{callback}?")
    done = await back_at_velox(velox, back)
    assert done.status == 302
    assert done.headers["Location"] == "/trade"
    assert done.cookies["token"]["httponly"] is True
    assert done.cookies[FLOW_COOKIE]["max-age"] == "0"  # the flow cookie is cleared

    (token_request,) = provider.token_requests
    assert token_request["grant_type"] == "authorization_code"
    assert token_request["redirect_uri"] == callback
    assert s256(token_request["code_verifier"]) == asked["code_challenge"]
    assert "client_secret" not in token_request  # client_secret_basic, the OIDC default
    status, body = await me(velox)
    assert status == 200
    assert body["user"]["email"] == "ann@example.com"
    assert await balance(velox) == "1000.00000000"  # its first paper account
    deposits = await velox.app[SERVICE].read(lambda e: e.deposits)
    assert deposits == 1000 * 10**8


async def test_behind_https_the_callback_is_the_public_url(
    make: AppClient, provider: FakeOidcProvider
) -> None:
    velox = await make(**oidc_settings(provider, public_url="https://velox.example.org/"))
    started = await start(velox, "oidc")
    redirect_uri = query_of(started.headers["Location"])["redirect_uri"]
    assert redirect_uri == "https://velox.example.org/api/v1/user/auth/oidc/callback"
    assert started.cookies[FLOW_COOKIE]["secure"] is True


async def test_sign_in_links_the_existing_user(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    user = await signup(velox, "ann@example.com")
    provider.person.email = "Ann@Example.COM"  # addresses are case-insensitive
    done = await sign_in(velox, "oidc")
    assert done.headers["Location"] == "/trade"
    assert (await me(velox)) == (200, {"user": {"id": user.id, "email": "ann@example.com"}})
    assert await balance(velox) == "1000.00000000"  # still the one account, not two deposits
    assert await velox.app[SERVICE].read(lambda e: e.deposits) == 1000 * 10**8
    password = await velox.post(
        "/api/v1/user/signin", json={"email": "ann@example.com", "password": PASSWORD}
    )
    # the signup never proved the address: this first proof ended its password (and all
    # else it handed out, test_address_proof.py)
    assert password.status == 401
    assert_error(await password.json(), "INVALID_CREDENTIALS")


async def test_unverified_email_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    provider.person.email_verified = False
    done = await sign_in(velox, "oidc")
    await assert_refused(velox, done, "oauth_unverified", "oidc")
    assert await velox.app[STORE].user_by_email("ann@example.com") is None


async def test_unverified_email_does_not_reach_an_existing_user(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    await signup(velox, "ann@example.com")
    provider.person.email_verified = False
    await assert_refused(velox, await sign_in(velox, "oidc"), "oauth_unverified", "oidc")


async def test_provider_error_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    provider.deny = "access_denied"
    done = await sign_in(velox, "oidc")
    await assert_refused(velox, done, "oauth_denied", "oidc")
    assert provider.token_requests == []


async def test_replayed_callback_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    back = await to_callback(velox, "oidc")
    cookie = flow_cookie(velox)
    first = await back_at_velox(velox, back)
    assert first.headers["Location"] == "/trade"
    velox.session.cookie_jar.clear()
    # the same callback with the same flow cookie, as a replaying attacker would send it
    velox.session.cookie_jar.update_cookies(
        {FLOW_COOKIE: cookie}, URL(str(velox.make_url("/api/v1/user/auth/")))
    )
    again = await back_at_velox(velox, back)
    await assert_refused(velox, again, "oauth_expired", "oidc")
    assert len(provider.token_requests) == 1  # refused before the code was spent again
    # and a browser going back to the callback (its flow cookie is gone) is refused too
    await assert_refused(velox, await back_at_velox(velox, back), "oauth_expired", "oidc")


async def test_mismatched_state_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    back = await to_callback(velox, "oidc")
    state = query_of(back)["state"]
    forged = back.replace(f"state={state}", "state=" + "x" * 43)
    await assert_refused(velox, await back_at_velox(velox, forged), "oauth_expired", "oidc")
    missing = back.replace(f"&state={state}", "")
    assert "state=" not in missing
    await assert_refused(velox, await back_at_velox(velox, missing), "oauth_expired", "oidc")
    assert provider.token_requests == []


async def test_callback_in_another_browser_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    """Login CSRF: an attacker's code and state, delivered to a victim's browser, which never
    started that flow."""
    back = await to_callback(velox, "oidc")
    velox.session.cookie_jar.clear()
    await assert_refused(velox, await back_at_velox(velox, back), "oauth_expired", "oidc")
    assert provider.token_requests == []


async def test_a_flow_finishes_only_at_its_own_provider(
    make: AppClient, provider: FakeOidcProvider
) -> None:
    google = {
        "google_client_id": provider.client_id,
        "google_client_secret": provider.client_secret,
        "google_issuer": provider.issuer,
    }
    velox = await make(**oidc_settings(provider, **google))
    back = await to_callback(velox, "google")
    elsewhere = back.replace("/auth/google/callback", "/auth/oidc/callback")
    await assert_refused(velox, await back_at_velox(velox, elsewhere), "oauth_expired", "oidc")
    assert provider.token_requests == []


# Claims the fake puts in the ID token instead of the right ones (None: leaves it out), as
# functions of the time now.
ID_TOKEN_FAULTS: dict[str, Callable[[int], dict[str, Any]]] = {
    "another issuer": lambda now: {"iss": "https://evil.example/realms/test"},
    "another audience": lambda now: {"aud": "someone-else"},
    "another audience, for us": lambda now: {"aud": "someone-else", "azp": "velox-client"},
    "audiences without us": lambda now: {"aud": ["someone-else", "another"]},
    "expired": lambda now: {"exp": now - 120},  # past the 60 s leeway
    "no expiry": lambda now: {"exp": None},
    "issued in the future": lambda now: {"iat": now + 3600},
    "another nonce": lambda now: {"nonce": "n" * 43},
    "no nonce": lambda now: {"nonce": None},
    "no subject": lambda now: {"sub": None},
    "another party": lambda now: {"aud": ["velox-client", "other"], "azp": "other"},
}


@pytest.mark.parametrize("fault", sorted(ID_TOKEN_FAULTS))
async def test_id_token_claims_are_checked(
    velox: TestClient[Any, Any], provider: FakeOidcProvider, fault: str
) -> None:
    provider.id_token_claims = ID_TOKEN_FAULTS[fault](int(time.time()))
    done = await sign_in(velox, "oidc")
    await assert_refused(velox, done, "oauth_failed", "oidc")
    assert await velox.app[STORE].user_by_email("ann@example.com") is None


async def test_id_token_signature_is_checked(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    provider.sign_with_rogue_key = True  # same kid, a key the issuer never published
    done = await sign_in(velox, "oidc")
    await assert_refused(velox, done, "oauth_failed", "oidc")
    assert await velox.app[STORE].user_by_email("ann@example.com") is None


async def test_keys_are_fetched_again_for_an_unknown_key_id(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    assert (await sign_in(velox, "oidc")).headers["Location"] == "/trade"
    assert provider.jwks_fetches == 1
    velox.session.cookie_jar.clear()
    assert (await sign_in(velox, "oidc")).headers["Location"] == "/trade"
    assert provider.jwks_fetches == 1  # cached
    provider.rotate_key()
    velox.session.cookie_jar.clear()
    assert (await sign_in(velox, "oidc")).headers["Location"] == "/trade"
    assert provider.jwks_fetches == 2


async def test_email_from_userinfo_when_the_id_token_has_none(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    provider.email_in_id_token = False
    assert (await sign_in(velox, "oidc")).headers["Location"] == "/trade"
    assert (await me(velox))[1]["user"]["email"] == "ann@example.com"
    velox.session.cookie_jar.clear()
    provider.person.email_verified = False
    await assert_refused(velox, await sign_in(velox, "oidc"), "oauth_unverified", "oidc")
    provider.person.email_verified = True
    provider.userinfo_sub = "someone-else"  # an answer about another person is not believed
    await assert_refused(velox, await sign_in(velox, "oidc"), "oauth_failed", "oidc")


async def test_wrong_client_secret_is_refused(make: AppClient, provider: FakeOidcProvider) -> None:
    velox = await make(**oidc_settings(provider, oidc_client_secret="not-the-secret"))
    await assert_refused(velox, await sign_in(velox, "oidc"), "oauth_failed", "oidc")
    assert len(provider.token_requests) == 1


async def test_client_secret_post_when_basic_is_not_offered(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    provider.auth_methods = ("client_secret_post",)
    assert (await sign_in(velox, "oidc")).headers["Location"] == "/trade"
    (token_request,) = provider.token_requests
    assert token_request["client_id"] == "velox-client"
    assert token_request["client_secret"] == "velox-secret"


async def test_unreachable_provider_is_refused(make: AppClient) -> None:
    issuer = f"http://127.0.0.1:{free_port()}/realms/gone"
    velox = await make(oidc_issuer=issuer, oidc_client_id="a", oidc_client_secret="b")
    started = await start(velox, "oidc")
    await assert_refused(velox, started, "oauth_failed", "oidc")
    assert FLOW_COOKIE not in started.cookies


async def test_a_start_sent_by_another_site_is_refused(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    for header in ("Referer", "Origin"):
        response = await start(velox, "oidc", {header: "https://evil.example/page"})
        assert response.status == 403
        assert_error(await response.json(), "FORBIDDEN")
        assert FLOW_COOKIE not in response.cookies
    typed = await velox.get("/api/v1/user/auth/oidc", allow_redirects=False)  # no Referer
    assert typed.status == 302
    assert provider.authorize_requests == []


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_a_start_from_another_site_without_a_referer_is_refused(
    velox: TestClient[Any, Any], site: str
) -> None:
    """A link on a page with ``Referrer-Policy: no-referrer`` sends neither Origin nor
    Referer, but the browser still says where the navigation came from: another site's link
    must not sign its visitors in with their provider identity (an outside review)."""
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"}
    response = await velox.get("/api/v1/user/auth/oidc", headers=headers, allow_redirects=False)
    assert response.status == 403
    assert_error(await response.json(), "FORBIDDEN")
    assert FLOW_COOKIE not in response.cookies
    for own in ("same-origin", "none"):  # the /signin button; a typed or bookmarked address
        headers = {"Sec-Fetch-Site": own, "Sec-Fetch-Mode": "navigate"}
        response = await velox.get("/api/v1/user/auth/oidc", headers=headers,
                                   allow_redirects=False)  # fmt: skip
        assert response.status == 302 and FLOW_COOKIE in response.cookies


async def test_starts_are_rate_limited_with_the_other_auth_routes(
    make: AppClient, provider: FakeOidcProvider
) -> None:
    velox = await make(**oidc_settings(provider, rate_limit_auth=3))
    wrong = await velox.post(
        "/api/v1/user/signin", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert wrong.status == 401
    magic = await velox.post("/api/v1/user/magic-link", json={"email": "ann@example.com"})
    assert magic.status == 202
    assert (await start(velox, "oidc")).status == 302
    limited = await start(velox, "oidc")
    assert limited.status == 429
    assert_error(await limited.json(), "RATE_LIMITED")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert FLOW_COOKIE not in limited.cookies
    again = await velox.post(
        "/api/v1/user/signin", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert again.status == 429  # one budget for all of them


async def test_unconfigured_providers_are_not_found(velox: TestClient[Any, Any]) -> None:
    for path in ("/api/v1/user/auth/github", "/api/v1/user/auth/google/callback?state=x"):
        response = await velox.get(path, allow_redirects=False)
        assert response.status == 404
        assert_error(await response.json(), "NOT_FOUND")
    response = await velox.get("/api/v1/user/auth/facebook", allow_redirects=False)
    assert response.status == 404


async def test_google_uses_the_oidc_path(make: AppClient, provider: FakeOidcProvider) -> None:
    velox = await make(
        google_client_id=provider.client_id,
        google_client_secret=provider.client_secret,
        google_issuer=provider.issuer,
    )
    started = await start(velox, "google")
    redirect_uri = query_of(started.headers["Location"])["redirect_uri"]
    assert redirect_uri.endswith("/api/v1/user/auth/google/callback")
    back = await at_provider(velox, started.headers["Location"])
    assert (await back_at_velox(velox, back)).headers["Location"] == "/trade"
    assert (await me(velox))[1]["user"]["email"] == "ann@example.com"


BUTTON = re.compile(r'<a class="btn btn-block" href="([^"]+)"[^>]*>Continue with ([^<]+)</a>')


def _buttons(html: str) -> list[tuple[str, str]]:
    return BUTTON.findall(html)


async def test_buttons_on_signin_and_register_for_each_provider(
    make: AppClient, provider: FakeOidcProvider
) -> None:
    velox = await make(
        **oidc_settings(provider),
        github_client_id="gh-id",
        github_client_secret="gh-secret",
        google_client_id="g-id",
        google_client_secret="g-secret",
    )
    for page in ("/signin", "/register"):
        html = await (await velox.get(page)).text()
        assert _buttons(html) == [
            ("/api/v1/user/auth/github", "GitHub"),
            ("/api/v1/user/auth/google", "Google"),
            ("/api/v1/user/auth/oidc", "Test SSO"),
        ]
    only_google = await make(google_client_id="g-id", google_client_secret="g-secret")
    html = await (await only_google.get("/signin")).text()
    assert _buttons(html) == [("/api/v1/user/auth/google", "Google")]


async def test_no_buttons_without_providers(make: AppClient) -> None:
    velox = await make()
    for page in ("/signin", "/register"):
        html = await (await velox.get(page)).text()
        assert "Continue with" not in html
        assert 'data-testid="providers"' not in html


REFUSAL_TEXT = {
    "oauth_denied": "Sign-in with Test SSO was cancelled or refused.",
    "oauth_failed": "Sign-in with Test SSO failed: its answer could not be verified. Try again.",
    "oauth_unverified": (
        "Your Test SSO account has no verified email address. Verify it with Test SSO, then "
        "try again."
    ),
    "oauth_expired": "That sign-in attempt has expired or was already used. Try again.",
}


async def test_signin_page_says_why(velox: TestClient[Any, Any]) -> None:
    for code, text in REFUSAL_TEXT.items():
        html = await (await velox.get(f"/signin?error={code}&provider=oidc")).text()
        (shown,) = re.findall(r'data-testid="provider-error" role="alert">([^<]*)</p>', html)
        assert shown == text
    for other in ("/signin", "/signin?error=invalid_link", "/signin?error=nonsense"):
        html = await (await velox.get(other)).text()
        assert 'data-testid="provider-error"' not in html
