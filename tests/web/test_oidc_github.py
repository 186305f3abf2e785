"""Sign-in with GitHub (plain OAuth 2.0: the address comes from ``/user/emails``), over real
HTTP against the fake GitHub of tests/fakes/oidc_provider.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.oidc_provider import FakeGitHub, s256
from tests.web.helpers import signup
from tests.web.oidc_flow import (
    AppClient,
    app_client,
    assert_refused,
    at_provider,
    back_at_velox,
    me,
    query_of,
    sign_in,
    start,
)
from velox.config import Settings
from velox.web.keys import STORE


@pytest.fixture
async def github() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub() as fake:
        yield fake


@pytest.fixture
def make(aiohttp_client: Any, settings: Settings) -> AppClient:
    return app_client(aiohttp_client, settings)


def github_settings(github: FakeGitHub, **changes: Any) -> dict[str, Any]:
    return {
        "github_client_id": github.client_id,
        "github_client_secret": github.client_secret,
        "github_url": github.url,
        "github_api_url": github.api_url,
        **changes,
    }


@pytest.fixture
async def velox(make: AppClient, github: FakeGitHub) -> TestClient[Any, Any]:
    return await make(**github_settings(github))


def address(email: str, *, primary: bool, verified: bool) -> dict[str, Any]:
    return {"email": email, "primary": primary, "verified": verified, "visibility": None}


async def test_sign_in_with_github(velox: TestClient[Any, Any], github: FakeGitHub) -> None:
    started = await start(velox, "github")
    location = started.headers["Location"]
    assert location.startswith(f"{github.url}/login/oauth/authorize?")
    asked = query_of(location)
    callback = f"http://127.0.0.1:{velox.server.port}/api/v1/user/auth/github/callback"
    assert asked["client_id"] == "velox-client"
    assert asked["redirect_uri"] == callback
    assert asked["scope"] == "user:email"
    assert asked["code_challenge_method"] == "S256"
    assert "nonce" not in asked  # plain OAuth: no ID token to carry one
    done = await back_at_velox(velox, await at_provider(velox, location))
    assert done.headers["Location"] == "/trade"
    (token_request,) = github.token_requests
    assert token_request["client_id"] == "velox-client"
    assert token_request["client_secret"] == "velox-secret"
    assert token_request["redirect_uri"] == callback
    assert s256(token_request["code_verifier"]) == asked["code_challenge"]
    assert (await me(velox))[1]["user"]["email"] == "ann@example.com"
    balance = await (await velox.get("/api/v1/order/user/balance")).json()
    assert balance["balance"] == "1000.00000000"


async def test_the_verified_primary_address_is_used(
    velox: TestClient[Any, Any], github: FakeGitHub
) -> None:
    user = await signup(velox, "work@example.com")
    github.emails = [
        address("old@example.com", primary=False, verified=True),
        address("Work@Example.com", primary=True, verified=True),
        address("new@example.com", primary=False, verified=False),
    ]
    assert (await sign_in(velox, "github")).headers["Location"] == "/trade"
    assert (await me(velox)) == (200, {"user": {"id": user.id, "email": "work@example.com"}})


async def test_an_unverified_primary_address_is_refused(
    velox: TestClient[Any, Any], github: FakeGitHub
) -> None:
    await signup(velox, "work@example.com")
    github.emails = [
        address("work@example.com", primary=True, verified=False),
        address("old@example.com", primary=False, verified=True),
    ]
    await assert_refused(velox, await sign_in(velox, "github"), "oauth_unverified", "github")
    assert await velox.app[STORE].user_by_email("old@example.com") is None


async def test_no_primary_address_is_refused(
    velox: TestClient[Any, Any], github: FakeGitHub
) -> None:
    github.emails = [address("old@example.com", primary=False, verified=True)]
    await assert_refused(velox, await sign_in(velox, "github"), "oauth_failed", "github")


async def test_github_refusals(make: AppClient, github: FakeGitHub) -> None:
    github.deny = "access_denied"
    velox = await make(**github_settings(github))
    await assert_refused(velox, await sign_in(velox, "github"), "oauth_denied", "github")
    assert github.token_requests == []
    github.deny = None
    wrong = await make(**github_settings(github, github_client_secret="not-the-secret"))
    # GitHub answers a bad secret with 200 {"error": "incorrect_client_credentials"}
    await assert_refused(wrong, await sign_in(wrong, "github"), "oauth_failed", "github")
    assert len(github.token_requests) == 1
