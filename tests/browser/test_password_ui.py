"""The account page's password form: a wrong current password is refused with the page
still signed in; the right one changes it, this browser stays signed in (its cookie
renewed) and another browser's session ends; the new password signs in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import PASSWORD, Server, new_page, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW = "a much better passphrase"


async def _sign_in(page: Any, url: str, email: str, password: str) -> None:
    await page.goto(url + "/signin")
    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill(password)
    await page.get_by_test_id("signin-submit").click()


async def test_change_the_password(server: Server, browser: Any) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    email = await register(page, server.url)
    other, _ = await new_page(browser)  # another browser: its own session
    await _sign_in(other, server.url, email, PASSWORD)
    await expect(other).to_have_url(server.url + "/trade")

    await page.goto(server.url + "/account")
    await expect(page.locator("#account-page")).to_have_attribute("data-loaded", "true")
    await page.get_by_test_id("password-current").fill("not my password")
    await page.get_by_test_id("password-new").fill(NEW)
    await page.get_by_test_id("password-submit").click()
    await expect(page.get_by_test_id("toast").last).to_contain_text("the current password is wrong")
    await expect(page).to_have_url(server.url + "/account")  # still signed in

    await page.get_by_test_id("password-current").fill(PASSWORD)
    await page.get_by_test_id("password-new").fill(NEW)
    await page.get_by_test_id("password-submit").click()
    await expect(page.get_by_test_id("toast").last).to_contain_text("Password changed")
    await expect(page.get_by_test_id("password-new")).to_have_value("")
    me = await page.request.get(server.url + "/api/v1/user/me")
    assert me.status == 200  # this browser's cookie was renewed
    other_me = await other.request.get(server.url + "/api/v1/user/me")
    assert other_me.status == 401

    await _sign_in(other, server.url, email, PASSWORD)
    refused = other.get_by_test_id("signin-form").get_by_test_id("form-error")
    await expect(refused).to_be_visible()
    await _sign_in(other, server.url, email, NEW)
    await expect(other).to_have_url(server.url + "/trade")
    assert not problems, problems
