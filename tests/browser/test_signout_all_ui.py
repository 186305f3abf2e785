"""The account page's "Sign out everywhere": after a confirmation, every session of the user
ends (this browser's and another's, whose /trade goes to /signin), while API keys stay listed
(they are revoked one by one, on the same page)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import PASSWORD, Server, new_page, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_sign_out_everywhere(server: Server, browser: Any) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    email = await register(page, server.url)
    other, other_problems = await new_page(browser)  # another browser: its own session
    await other.goto(server.url + "/signin")
    await other.get_by_test_id("signin-email").fill(email)
    await other.get_by_test_id("signin-password").fill(PASSWORD)
    await other.get_by_test_id("signin-submit").click()
    await expect(other).to_have_url(server.url + "/trade")
    await expect(other.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")

    await page.goto(server.url + "/account")
    await expect(page.locator("#account-page")).to_have_attribute("data-loaded", "true")
    await page.get_by_test_id("key-name").fill("kept bot")
    await page.get_by_test_id("key-create").click()
    await expect(page.get_by_test_id("key-row")).to_have_count(1)

    await page.get_by_test_id("signout-all").click()
    dialog = page.get_by_test_id("signout-all-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()  # asks first: nothing happens
    await expect(dialog).to_be_hidden()
    me = await page.request.get(server.url + "/api/v1/user/me")
    assert me.status == 200
    await page.get_by_test_id("signout-all").click()
    await page.get_by_test_id("signout-all-confirm").click()
    await expect(page).to_have_url(server.url + "/signin")

    # the other browser's socket was closed; reconnecting finds the session gone
    await expect(other).to_have_url(server.url + "/signin")
    await other.goto(server.url + "/trade")
    await expect(other).to_have_url(server.url + "/signin")

    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page).to_have_url(server.url + "/trade")
    await page.goto(server.url + "/account")
    await expect(page.get_by_test_id("key-row")).to_have_count(1)  # keys are not revoked
    assert not problems, problems
    assert not other_problems, other_problems
