"""The sign-in pages end to end: redirects, the API's refusals, the magic-link tab."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.harness import PASSWORD, Server, new_page, register, unlabelled

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_auth_pages(server: Server, browser: Any) -> None:
    """Signed out /trade goes to /signin; a wrong password shows the API's message; the
    magic-link tab says to check the email; signing in lands on /trade."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    for path in ("/", "/register", "/signin"):
        await page.goto(server.url + path)
        assert await unlabelled(page) == [], path
    email = await register(page, server.url)
    await page.get_by_test_id("signout").click()
    await expect(page).to_have_url(server.url + "/")
    await page.goto(server.url + "/trade")
    await expect(page).to_have_url(server.url + "/signin")

    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill("not the password")
    await page.get_by_test_id("signin-submit").click()
    error = page.get_by_test_id("signin-form").get_by_test_id("form-error")
    await expect(error).to_be_visible()
    await expect(error).not_to_be_empty()

    await page.get_by_test_id("tab-magic").click()
    await expect(page.get_by_test_id("magic-email")).to_have_value(email)
    await page.get_by_test_id("magic-submit").click()
    await expect(page.get_by_test_id("magic-sent")).to_contain_text("Check your email")
    await expect(page.get_by_test_id("magic-sent")).to_contain_text(email)

    await page.get_by_test_id("tab-password").click()
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page).to_have_url(server.url + "/trade")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    assert not problems, problems


async def test_next_never_leaves_the_site(server: Server, browser: Any) -> None:
    """A link to /register?next=/\\host/... signed the new user in and sent them to that
    host (browsers read the backslash as a slash): an outside review. They land on /trade."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await page.goto(server.url + "/register?next=/%5Cexample.org/phish")
    await page.get_by_label("Email").fill("next-check@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("register-submit").click()
    await expect(page).to_have_url(server.url + "/trade")
    await page.goto(server.url + "/signin?next=/history")  # a page of the site is kept
    await page.get_by_test_id("signin-email").fill("next-check@example.com")
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page).to_have_url(server.url + "/history")
    assert problems == []


async def test_a_magic_link_from_another_site_asks_first(server: Server, browser: Any) -> None:
    """Followed from another page, a magic link no longer signs the browser in to the link's
    account at once (login CSRF, an outside review): /signin/verify names the account and
    signs in only when its button is pressed."""
    from pathlib import Path

    from playwright.async_api import expect

    from tests.web.helpers import outbox_link
    from velox.web.keys import SETTINGS

    page, problems = await new_page(browser)
    victim = await register(page, server.url)
    asked = await page.request.post(server.url + "/api/v1/user/magic-link",
                                    data={"email": "link-owner@example.com"})  # fmt: skip
    assert asked.status == 202
    link = (
        server.url
        + "/api/v1/user/auth/verify?token="
        + outbox_link(Path(server.app[SETTINGS].data_dir))
    )
    elsewhere = f'<a data-testid="elsewhere" href="{link}">a prize</a>'  # another site
    await page.route("http://elsewhere.example/", lambda route: route.fulfill(
        status=200, content_type="text/html", body=elsewhere))  # fmt: skip
    await page.goto("http://elsewhere.example/")
    await page.get_by_test_id("elsewhere").click()
    await expect(page).to_have_url(re.compile(r"/signin/verify\?token="))
    await expect(page.get_by_test_id("verify-email")).to_have_text("link-owner@example.com")
    me = await page.request.get(server.url + "/api/v1/user/me")
    assert (await me.json())["user"]["email"] == victim  # still the victim's session
    await page.get_by_test_id("verify-submit").click()
    await expect(page).to_have_url(server.url + "/trade")
    await expect(page.get_by_test_id("user-email")).to_have_text("link-owner@example.com")
    assert problems == []


@pytest.mark.parametrize("path", ["/register", "/signin"])
async def test_a_form_sent_before_its_script_runs_never_puts_the_password_in_the_url(
    server: Server, browser: Any, path: str
) -> None:
    """Regression (a flaky CI run): on a slow load, a click on "Create account" before
    auth.js had bound the form submitted it the browser's way, a GET with the email and
    password in the URL (history, proxies, Referer). The buttons are disabled until the
    script binds them, and the forms post."""
    page, _ = await new_page(browser)
    await page.route("**/static/auth.js", lambda route: route.abort())  # never loads
    await page.goto(server.url + path)
    form = page.locator("form").filter(has=page.get_by_label("Password"))
    await form.get_by_label("Email").fill("slow@example.com")
    await form.get_by_label("Password").fill(PASSWORD)
    await form.get_by_label("Password").press("Enter")
    await page.wait_for_timeout(500)
    assert PASSWORD.replace(" ", "+") not in page.url and "password" not in page.url, page.url
    for button in await page.locator("button[type=submit]").all():
        assert await button.is_disabled()
