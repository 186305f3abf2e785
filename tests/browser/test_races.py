"""Replies that arrive after the websocket's newer news, made deterministic: Playwright holds
the HTTP reply (already answered by the server) until the page has shown what the websocket
said since, then lets it through. The page must keep the newer state.

The page re-enables the order button only after it has handled the open reply and the
account figures asked for after it, so "button no longer busy" means the late reply was seen.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.harness import Server, api_json, fill_order, new_page, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIQUIDATING_PRICE = "59000"  # bid 58970.50, far below a 100x LONG's liquidation (~59430)


async def hold_first(page: Any, pattern: str) -> asyncio.Future[tuple[Any, Any]]:
    """The first request to `pattern` goes to the server at once; its reply is kept back
    until the test fulfils the route with it. Later requests pass untouched."""
    held: asyncio.Future[tuple[Any, Any]] = asyncio.get_running_loop().create_future()

    async def handle(route: Any) -> None:
        if held.done():
            await route.continue_()
            return
        held.set_result((route, await route.fetch()))

    await page.route(pattern, handle)
    return held


async def open_holding_reply(page: Any, pattern: str) -> tuple[Any, Any]:
    """Open a 100x LONG of 50 USD from the ticket while the first reply to `pattern` is
    held: the route to fulfil later, and the server's reply."""
    held = await hold_first(page, pattern)
    await fill_order(page, "LONG", "50", 100)
    await page.get_by_test_id("order-submit").click()
    return await held


async def test_late_open_reply_does_not_bring_back_a_liquidated_position(
    server: Server, browser: Any
) -> None:
    """The websocket's order_opened shows the row, a gap liquidates it and order_closed
    removes it; only then does the reply to POST /order/open (status OPEN) arrive. A CLOSED
    order never goes back to OPEN: the row stays gone."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    route, reply = await open_holding_reply(page, "**/api/v1/order/open")
    submit = page.get_by_test_id("order-submit")
    assert reply.status == 201
    order = await reply.json()
    assert order["status"] == "OPEN"
    await expect(submit).to_have_attribute("aria-busy", "true")  # still waiting for it

    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)  # the websocket's order_opened
    await expect(row).to_have_attribute("data-order-id", order["orderId"])
    server.feed.set_price("BTCUSDT", LIQUIDATING_PRICE)
    await expect(page.locator('[data-testid="toast"][data-kind="liquidation"]')).to_be_visible()
    await expect(row).to_have_count(0)

    await route.fulfill(response=reply)
    await expect(submit).not_to_have_attribute("aria-busy", "true")
    await expect(row).to_have_count(0)
    await expect(page.get_by_test_id("open-count")).to_have_text("0")
    await expect(page.get_by_test_id("open-empty")).to_be_visible()
    await page.get_by_test_id("tab-closed").click()
    closed = page.get_by_test_id("closed-position-row")
    await expect(closed).to_have_count(1)
    await expect(closed).to_have_attribute("data-order-id", order["orderId"])
    await expect(closed.get_by_test_id("close-reason")).to_have_attribute(
        "data-reason", "LIQUIDATION"
    )
    assert (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"] == []
    assert not problems, problems


async def test_late_account_reply_does_not_undo_the_pushed_figures(
    server: Server, browser: Any
) -> None:
    """The page asks for the account figures after opening; the server answers with 50 USD
    of used margin, but the reply is held while a gap liquidates the position and the
    websocket pushes the new figures (nothing used). The older reply must not win."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    route, reply = await open_holding_reply(page, "**/api/v1/order/user/balance")
    submit = page.get_by_test_id("order-submit")
    stale = await reply.json()
    assert stale["usedMargin"] == "50.00000000"
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)

    server.feed.set_price("BTCUSDT", LIQUIDATING_PRICE)
    await expect(row).to_have_count(0)
    used = page.get_by_test_id("used-margin")
    await expect(used).to_have_attribute("data-value", "0.00000000")  # pushed with the close
    await expect(submit).to_have_attribute("aria-busy", "true")  # the reply is still held

    await route.fulfill(response=reply)
    await expect(submit).not_to_have_attribute("aria-busy", "true")
    account = await api_json(page, "/api/v1/order/user/balance")
    assert account["usedMargin"] == "0.00000000"
    await expect(used).to_have_attribute("data-value", account["usedMargin"])
    await expect(page.get_by_test_id("equity")).to_have_attribute("data-value", account["equity"])
    await expect(page.get_by_test_id("margin-level")).to_have_text("—")
    await expect(page.get_by_test_id("unrealized-pnl")).to_have_attribute(
        "data-value", "0.00000000"
    )
    assert not problems, problems
