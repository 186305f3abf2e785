"""The issuer's JWK set is believed only as long as its discovery document (an hour), over
real HTTP against the fake provider, on the app's clock (moved by the test, no sleeping).

An outside review found the keys were fetched once and kept until a restart: only an ID
token naming an unknown key id fetched them again, and a changed ``jwks_uri`` was never
read. So a signing key the issuer had withdrawn (rotated out after a compromise, say) went
on signing people in for the life of the process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.fakes.oidc_provider import FakeOidcProvider, signing_key
from tests.web.conftest import FAST
from tests.web.oidc_flow import app_client, assert_refused, sign_in
from velox.clock import ManualClock
from velox.config import Settings
from velox.web.auth.oauth.oidc import DISCOVERY_TTL_S
from velox.web.options import WebOptions

TTL_MS = int(DISCOVERY_TTL_S * 1000)


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidcProvider]:
    async with FakeOidcProvider() as fake:
        yield fake


@pytest.fixture
async def velox(
    aiohttp_client: Any, settings: Settings, provider: FakeOidcProvider, clock: ManualClock
) -> TestClient[Any, Any]:
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, clock=clock, clock_tick_s=None)
    return await app_client(aiohttp_client, settings)(
        options,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
    )


async def _signs_in(velox: TestClient[Any, Any]) -> bool:
    velox.session.cookie_jar.clear()
    done = await sign_in(velox, "oidc")
    if done.headers["Location"] == "/trade":
        return True
    await assert_refused(velox, done, "oauth_failed", "oidc")
    return False


async def test_a_withdrawn_key_is_refused_once_the_discovery_is_read_again(
    velox: TestClient[Any, Any], provider: FakeOidcProvider, clock: ManualClock
) -> None:
    rotated_in = signing_key("key-2")  # key-1, the one signing, is withdrawn below
    assert await _signs_in(velox)
    assert provider.jwks_fetches == 1
    provider.jwk_sets = {"jwks": [rotated_in]}  # key-1 withdrawn; still signs (stolen)
    clock.advance(TTL_MS - 1)
    assert await _signs_in(velox)  # the keys are kept as long as the discovery document
    assert provider.jwks_fetches == 1
    clock.advance(1)
    assert not await _signs_in(velox)
    assert provider.jwks_fetches == 3  # with the discovery, then once for the unknown kid
    provider.rsa_key = rotated_in
    assert await _signs_in(velox)
    assert provider.jwks_fetches == 3  # the rotated-in key was among those fetched


async def test_a_new_jwks_uri_is_read_with_the_discovery_document(
    velox: TestClient[Any, Any], provider: FakeOidcProvider, clock: ManualClock
) -> None:
    """The old address still publishes the old key: only keys read from the new one count."""
    old_key, new_key = provider.rsa_key, signing_key("key-2")
    assert await _signs_in(velox)
    provider.jwk_sets = {"jwks": [old_key], "jwks-2": [new_key]}
    provider.jwks_path = "jwks-2"
    clock.advance(TTL_MS)
    assert not await _signs_in(velox)
    provider.rsa_key = new_key
    assert await _signs_in(velox)


async def test_an_unknown_key_id_still_fetches_the_keys_at_once(
    velox: TestClient[Any, Any], provider: FakeOidcProvider
) -> None:
    """Within the hour too: the issuer rotated in a key Velox has not seen."""
    assert await _signs_in(velox)
    provider.rotate_key()
    assert await _signs_in(velox)
    assert provider.jwks_fetches == 2
