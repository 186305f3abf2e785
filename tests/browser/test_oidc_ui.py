"""Sign-in with an identity provider in a real browser: headless Debian Chromium clicks the
provider's button on /signin, passes the fake OIDC provider and lands on /trade.

The provider listens on ``localhost`` and Velox on ``127.0.0.1``: two sites, so the way back
is a cross-site redirect, the one a SameSite=Lax flow cookie must survive.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import new_page
from tests.fakes.oidc_provider import FakeOidcProvider
from tests.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidcProvider]:
    async with FakeOidcProvider(host="localhost") as fake:
        yield fake


@pytest.fixture
async def velox(tmp_path: Path, provider: FakeOidcProvider) -> AsyncIterator[str]:
    from aiohttp import web

    from velox.config import Settings
    from velox.web.app import create_app
    from velox.web.options import WebOptions

    port = free_port()
    settings = Settings(
        port=port,
        db=f"sqlite:///{tmp_path / 'velox.db'}",
        data_dir=str(tmp_path / "data"),
        feed="sim",
        jwt_secret="browser-test-secret-" + uuid.uuid4().hex,
        snapshot_interval=3600.0,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
        oidc_name="Club SSO",
    )
    runner = web.AppRunner(create_app(settings, options=WebOptions(bcrypt_rounds=4)))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_the_button_signs_in_and_lands_on_trade(
    velox: str, provider: FakeOidcProvider, browser: Any
) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await page.goto(velox + "/signin")
    button = page.get_by_role("link", name="Continue with Club SSO")
    await expect(button).to_have_attribute("href", "/api/v1/user/auth/oidc")
    await button.click()
    await expect(page).to_have_url(velox + "/trade")
    await expect(page.get_by_test_id("user-email")).to_have_text("ann@example.com")
    await expect(page.get_by_test_id("balance")).to_have_attribute("data-value", "1000.00000000")
    assert len(provider.authorize_requests) == 1
    assert problems == []


async def test_a_refusal_is_shown_on_signin(
    velox: str, provider: FakeOidcProvider, browser: Any
) -> None:
    from playwright.async_api import expect

    provider.person.email_verified = False
    page, problems = await new_page(browser)
    await page.goto(velox + "/register")
    await page.get_by_role("link", name="Continue with Club SSO").click()
    await expect(page).to_have_url(velox + "/signin?error=oauth_unverified&provider=oidc")
    await expect(page.get_by_test_id("provider-error")).to_have_text(
        "Your Club SSO account has no verified email address. Verify it with Club SSO, then "
        "try again."
    )
    cookies = await page.context.cookies(velox)
    assert [c["name"] for c in cookies if c["name"] == "token"] == []
    assert problems == []
