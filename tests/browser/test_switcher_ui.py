"""The trade screen's account switcher (issue 14): a second account, chosen in the top bar,
gets its own positions, figures and socket, and the choice survives a reload."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import Server, api_json, fill_order, new_page, register
from tests.browser.page_api import page_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_second_account_has_its_own_positions_figures_and_socket(
    server: Server, browser: Any
) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    (first,) = (await api_json(page, "/api/v1/accounts"))["accounts"]
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "Scalp", "mode": "NETTING"})
    await page.reload()  # the switcher lists both, the first chosen
    switcher = page.get_by_test_id("account-switcher")
    await expect(switcher).to_have_value(first["accountId"])
    await expect(switcher.locator("option")).to_have_text(["Main · Hedging", "Scalp · Netting"])

    await switcher.select_option(second["accountId"])
    rows = page.get_by_test_id("open-position-row")
    await fill_order(page, "LONG", "37.5", 5)
    await page.get_by_test_id("order-submit").click()
    await expect(rows).to_have_count(1)
    (mine,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN", None,
                           second["accountId"]))["orders"]  # fmt: skip
    assert mine["margin"] == "37.50000000"
    assert (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"] == []
    figures = await page_api(page, "GET", "/api/v1/order/user/balance", None, second["accountId"])
    assert figures["usedMargin"] == "37.50000000"
    await expect(page.get_by_test_id("balance")).to_have_attribute("data-value", figures["balance"])

    # The socket follows the second account: its orders arrive, the first one's do not.
    lone = {"asset": "ETHUSDT", "side": "SHORT", "leverage": 2, "margin": "11"}
    elsewhere = await page_api(page, "POST", "/api/v1/order/open", lone)
    here = await page_api(page, "POST", "/api/v1/order/open", lone, second["accountId"])
    await expect(page.locator(f'[data-order-id="{here["orderId"]}"]')).to_have_count(1)
    await expect(page.locator(f'[data-order-id="{elsewhere["orderId"]}"]')).to_have_count(0)
    figures = await page_api(page, "GET", "/api/v1/order/user/balance", None, second["accountId"])
    await expect(page.get_by_test_id("used-margin")).to_have_attribute(
        "data-value", figures["usedMargin"]
    )

    # Back on the first account: only its position, and its figures.
    await switcher.select_option(first["accountId"])
    await expect(rows).to_have_count(1)
    await expect(page.locator(f'[data-order-id="{elsewhere["orderId"]}"]')).to_have_count(1)
    await expect(page.get_by_test_id("used-margin")).to_have_attribute("data-value", "11.00000000")

    # The choice persists: after a reload the second account is shown again.
    await switcher.select_option(second["accountId"])
    await expect(rows).to_have_count(2)
    await page.reload()
    await expect(switcher).to_have_value(second["accountId"])
    await expect(rows).to_have_count(2)
    await expect(page.get_by_test_id("used-margin")).to_have_attribute(
        "data-value", figures["usedMargin"]
    )
    assert not problems, problems


async def test_the_history_page_shows_the_account_chosen_on_the_trade_screen(
    server: Server, browser: Any
) -> None:
    """Issue 14: the history view is the current account's, and its CSV too."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "Swing", "mode": "HEDGING"})
    order = {"asset": "BTCUSDT", "side": "LONG", "leverage": 5, "margin": "21"}
    mine = await page_api(page, "POST", "/api/v1/order/open", order, second["accountId"])
    await page_api(page, "POST", f"/api/v1/order/close/{mine['orderId']}", {}, second["accountId"])
    await page.reload()
    await page.get_by_test_id("account-switcher").select_option(second["accountId"])

    await page.goto(server.url + "/history")
    await expect(page.locator("#history")).to_have_attribute("data-account", second["accountId"])
    rows = page.get_by_test_id("history-row")
    await expect(rows).to_have_count(1)
    async with page.expect_download() as info:
        await page.locator("#csv-link").click()
    text = (await (await info.value).path()).read_text()
    assert mine["orderId"] in text

    # Two tabs: this one shows the second account, another then chooses the first; the
    # History link of this tab still opens the second's (the choice both tabs remember
    # is the other tab's: it showed that one's history)
    await page.goto(server.url + "/trade")
    await expect(page.get_by_test_id("account-switcher")).to_have_value(second["accountId"])
    other = await page.context.new_page()  # same browser, same storage: a second tab
    await other.goto(server.url + "/trade")
    first = (await page_api(page, "GET", "/api/v1/accounts", None))["accounts"][0]["accountId"]
    await other.get_by_test_id("account-switcher").select_option(first)
    await page.get_by_test_id("history-link").click()
    await expect(page.locator("#history")).to_have_attribute("data-account", second["accountId"])
    await expect(rows).to_have_count(1)
    assert problems == []
