"""Defects an outside review of the account page reproduced with Playwright, each checked in
the browser."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register
from tests.browser.page_api import page_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _account_page(server: Server, browser: Any) -> tuple[Any, list[str]]:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.goto(server.url + "/account")
    await expect(page.locator("#account-page")).to_have_attribute("data-loaded", "true")
    return page, problems


async def _new_webhook_token(page: Any) -> tuple[Any, str]:
    """The first row's webhook button, and the new token its box shows."""
    from playwright.async_api import expect

    opener = page.get_by_test_id("account-row").first.get_by_test_id("account-webhook")
    await opener.click()
    await page.get_by_test_id("webhook-confirm").click()
    value = page.get_by_test_id("webhook-value")
    await expect(value).not_to_be_empty()
    return opener, await value.text_content() or ""


async def test_accounts_of_the_same_name_are_told_apart_by_their_mode(
    server: Server, browser: Any
) -> None:
    """Two accounts named "Main" (HEDGING, NETTING) were both "Main" in the key form's
    Account menu and the keys' table. Both now name the mode, as the trade screen's switcher
    does; a HEDGING account's key cannot be given "trade" (disabled, with a visible note)."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    (hedging,) = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"]
    netting = await page_api(page, "POST", "/api/v1/accounts", {"name": "Main", "mode": "NETTING"})
    for account in (hedging, netting):
        body = {
            "name": "bot",
            "accountId": account["accountId"],
            "permissions": ["read"],
        }
        await page_api(page, "POST", "/api/v1/api-keys", body)
    await page.reload()
    await expect(page.get_by_test_id("key-row")).to_have_count(2)

    menu = page.get_by_test_id("key-account")
    await expect(menu.locator("option")).to_have_text(["Main · Hedging", "Main · Netting"])
    keys = (await page_api(page, "GET", "/api/v1/api-keys"))["apiKeys"]
    for key in keys:
        label = "Main · Netting" if key["accountId"] == netting["accountId"] else "Main · Hedging"
        cell = page.locator(f'[data-testid="key-row"][data-key-id="{key["keyId"]}"] td')
        await expect(cell.nth(1)).to_have_text(label)

    trade = page.get_by_test_id("key-permissions").locator('option[value="read,trade"]')
    note = page.get_by_test_id("key-permissions-note")
    await menu.select_option(hedging["accountId"])
    await expect(trade).to_be_disabled()
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("Netting")
    await menu.select_option(netting["accountId"])
    await expect(trade).to_be_enabled()
    await expect(note).to_be_hidden()
    assert not problems, problems


async def test_the_webhook_token_box_has_copy(server: Server, browser: Any) -> None:
    """The webhook token box had only Done, though the token must be pasted into
    TradingView: it has Copy, as the API secret's box."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _, token = await _new_webhook_token(page)
    copy = page.get_by_test_id("webhook-box").get_by_role("button", name="Copy")
    await expect(copy).to_be_visible()
    await copy.click()
    await expect(page.get_by_test_id("toast").filter(has_text="Token copied")).to_be_visible()
    assert await page.evaluate("() => navigator.clipboard.readText()") == token
    assert not problems, problems


async def test_done_gives_the_focus_back_to_the_boxs_opener(server: Server, browser: Any) -> None:
    """Done in the webhook token box dropped the focus on the page's body: it goes back to
    the button that opened the box (the secret box's Done likewise, to Create key)."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    opener, _ = await _new_webhook_token(page)
    await page.get_by_test_id("webhook-done").click()
    await expect(page.get_by_test_id("webhook-box")).to_be_hidden()
    await expect(opener).to_be_focused()

    await page.get_by_test_id("key-name").fill("bot")
    await page.get_by_test_id("key-create").click()
    await expect(page.get_by_test_id("secret-value")).not_to_be_empty()
    await page.get_by_test_id("secret-done").click()
    await expect(page.get_by_test_id("secret-box")).to_be_hidden()
    await expect(page.get_by_test_id("key-create")).to_be_focused()
    assert not problems, problems


class Held:
    """A route that counts its requests that change something (not GET) and holds each
    until ``release()``."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self._gate = asyncio.Event()

    async def __call__(self, route: Any) -> None:
        if route.request.method == "GET":
            await route.continue_()
            return
        self.seen.append(f"{route.request.method} {route.request.url}")
        await self._gate.wait()
        await route.continue_()

    def release(self) -> None:
        self._gate.set()


async def test_a_dialog_button_sends_its_request_once(server: Server, browser: Any) -> None:
    """A double click on the reset's confirm sent two POST .../reset (the button stayed
    enabled while the request ran). Reset, rename's Save, the webhook token's confirm and
    Create key (and Create account) are disabled while their request runs: one request."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    (main,) = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"]
    row = page.get_by_test_id("account-row")
    toasts = page.get_by_test_id("toast")

    async def once(pattern: str, button: Any, done: Any) -> None:
        held = Held()
        await page.route(pattern, held)
        await button.dblclick()
        await expect(button).to_be_disabled()
        held.release()
        await done()
        await page.unroute(pattern, held)
        assert len(held.seen) == 1, held.seen
        await expect(button).to_be_enabled()

    await row.get_by_test_id("account-reset").click()
    reset = page.get_by_test_id("reset-dialog")

    async def reset_done() -> None:
        await expect(reset).to_be_hidden()
        await expect(toasts.filter(has_text="Account reset: Main")).to_be_visible()

    await once("**/api/v1/accounts/*/reset", page.get_by_test_id("reset-confirm"), reset_done)

    await row.get_by_role("button", name="Rename Main").click()
    await page.get_by_test_id("rename-name").fill("Swing")

    async def rename_done() -> None:
        await expect(page.get_by_test_id("rename-dialog")).to_be_hidden()
        await expect(row.get_by_test_id("account-row-name")).to_have_text("Swing")

    await once(
        f"**/api/v1/accounts/{main['accountId']}",
        page.get_by_test_id("rename-save"),
        rename_done,
    )

    await row.get_by_test_id("account-webhook").click()

    async def webhook_done() -> None:
        await expect(page.get_by_test_id("webhook-dialog")).to_be_hidden()
        await expect(page.get_by_test_id("webhook-value")).not_to_be_empty()

    await once(
        "**/api/v1/accounts/*/webhook",
        page.get_by_test_id("webhook-confirm"),
        webhook_done,
    )

    await page.get_by_test_id("key-name").fill("bot")

    async def key_done() -> None:
        await expect(page.get_by_test_id("key-row")).to_have_count(1)
        await expect(page.get_by_test_id("secret-value")).not_to_be_empty()

    await once("**/api/v1/api-keys", page.get_by_test_id("key-create"), key_done)

    await page.get_by_test_id("account-name").fill("Scalping")

    async def account_done() -> None:
        await expect(page.get_by_test_id("account-row")).to_have_count(2)

    await once("**/api/v1/accounts", page.get_by_test_id("account-create"), account_done)
    assert len((await page_api(page, "GET", "/api/v1/api-keys"))["apiKeys"]) == 1
    assert len((await page_api(page, "GET", "/api/v1/accounts"))["accounts"]) == 2
    assert not problems, problems


FOCUS_IN_OPEN_DIALOG = "() => !!document.activeElement?.closest('dialog[open]')"


async def test_an_error_from_a_dialog_shows_in_the_dialog(server: Server, browser: Any) -> None:
    """Rename with "   " and a reset refused with 429 showed a toast under the backdrop and
    nothing in the dialog. The dialog now says it (role=alert), the field at fault is
    aria-invalid and described by the error, the focus stays in the dialog, and no toast
    hides under the backdrop. With no dialog open an error is still a toast."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    row = page.get_by_test_id("account-row")
    toasts = page.get_by_test_id("toast")

    await row.get_by_role("button", name="Rename Main").click()
    rename = page.get_by_test_id("rename-dialog")
    field = page.get_by_test_id("rename-name")
    await field.fill("   ")
    await page.get_by_test_id("rename-save").click()
    alert = rename.get_by_role("alert")
    await expect(alert).to_contain_text("name must be 1 to 64 characters")
    await expect(field).to_have_attribute("aria-invalid", "true")
    error_id = await alert.get_attribute("id")
    assert error_id and error_id in (await field.get_attribute("aria-describedby") or "").split()
    await expect(field).to_be_focused()
    await expect(rename).to_be_visible()
    await expect(toasts).to_have_count(0)
    # Typing clears the mark; a good name saves, and the focus is back on the row's button.
    await field.fill("Swing")
    await expect(field).not_to_have_attribute("aria-invalid", "true")
    await page.get_by_test_id("rename-save").click()
    await expect(rename).to_be_hidden()
    await expect(row.get_by_test_id("account-row-name")).to_have_text("Swing")
    await expect(row.get_by_role("button", name="Rename Swing")).to_be_focused()
    await row.get_by_role("button", name="Rename Swing").click()  # opened again: no old error
    await expect(rename).to_be_visible()
    await expect(alert).to_be_hidden()
    await expect(field).not_to_have_attribute("aria-invalid", "true")
    await rename.get_by_role("button", name="Cancel").click()

    async def refuse(route: Any) -> None:
        body = {"error": {"code": "RATE_LIMITED", "message": "Too many requests."}}
        await route.fulfill(
            status=429,
            headers={"Retry-After": "3"},
            content_type="application/json",
            body=json.dumps(body),
        )

    await page.route("**/api/v1/accounts/*/reset", refuse)
    await row.get_by_test_id("account-reset").click()
    reset = page.get_by_test_id("reset-dialog")
    await page.get_by_test_id("reset-confirm").click()
    reset_alert = reset.get_by_role("alert")
    await expect(reset_alert).to_have_text("Too many requests. Try again in 3s.")
    await expect(reset).to_be_visible()
    assert await page.evaluate(FOCUS_IN_OPEN_DIALOG)
    await expect(toasts).to_have_count(0)
    box = await reset_alert.bounding_box()
    assert box is not None
    on_top = await page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.closest('[role=alert]')?.id ?? null",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == await reset_alert.get_attribute("id")
    await page.unroute("**/api/v1/accounts/*/reset", refuse)
    await page.get_by_test_id("reset-confirm").click()  # the server takes it now
    await expect(reset).to_be_hidden()
    await expect(toasts.filter(has_text="Account reset: Swing")).to_be_visible()

    # No dialog open: a toast, as before.
    await page.get_by_test_id("account-name").fill("   ")
    await page.get_by_test_id("account-create").click()
    error = toasts.filter(has_text="Could not create the account")
    await expect(error).to_be_visible()
    await expect(error).to_have_attribute("data-kind", "error")
    assert not problems, problems


async def test_the_focus_stays_in_the_keys_table_after_a_revoke(
    server: Server, browser: Any
) -> None:
    """A revoke removed the key's row, and with it the Revoke button the closed dialog had
    given the focus back to: the focus fell on the page's body. It goes to the next key's
    Revoke, else the one before's, else the table's "No API keys." text."""
    from playwright.async_api import expect

    page, problems = await _account_page(server, browser)
    (main,) = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"]
    for name in ("first", "second"):
        body = {"name": name, "accountId": main["accountId"], "permissions": ["read"]}
        await page_api(page, "POST", "/api/v1/api-keys", body)
    await page.reload()
    rows = page.get_by_test_id("key-row")
    await expect(rows).to_have_count(2)
    await rows.nth(0).get_by_test_id("key-revoke").click()
    await page.get_by_test_id("revoke-confirm").click()
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0).get_by_test_id("key-revoke")).to_be_focused()
    await rows.nth(0).get_by_test_id("key-revoke").click()
    await page.get_by_test_id("revoke-confirm").click()
    await expect(rows).to_have_count(0)
    await expect(page.get_by_test_id("keys-empty")).to_be_focused()
    assert not problems, problems
