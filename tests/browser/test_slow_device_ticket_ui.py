"""The order ticket and the positions' answers on a slow device: Chromium's CPU and network
throttled (CDP) around the racy part of each flow (the dialogs and the history page:
``test_slow_device_ui.py``; two modules, so two workers share them)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.harness import Server, fill_order, new_page, register, select_asset
from tests.browser.page_api import page_api
from tests.browser.slow_device import BTC_LONG, holding, slow_down, speed_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_enter_held_in_the_ticket_opens_one_position(server: Server, browser: Any) -> None:
    """Enter held down for 3 s in the ticket's margin field (its keydown repeating every
    50 ms) opened 6 positions on a slow device, one per answered order. It opens one."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/order/open") else None)
    await fill_order(page, "LONG", "10", 10)
    await page.get_by_label("Margin (USD)").focus()
    cdp = await slow_down(page, latency=300)
    for _ in range(60):  # a second down without an up is a repeat (event.repeat)
        await page.keyboard.down("Enter")
        await page.wait_for_timeout(50)
    await page.keyboard.up("Enter")
    await speed_up(cdp)
    await expect(page.get_by_test_id("open-count")).to_have_text("1")
    await page.wait_for_timeout(1000)
    assert len(sent) == 1, sent
    listed = await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN")
    assert len(listed["orders"]) == 1
    assert not problems, problems


async def test_an_orders_answer_after_choosing_another_asset_speaks_of_its_own(
    server: Server, browser: Any
) -> None:
    """A BTC limit order sent, then ETH chosen and a stop-loss typed for it before the
    answer came (slow device): the toast said "Order placed: ETHUSDT" and the answer emptied
    the ETH stop-loss just typed; a refused BTC order put its error in the ETH ticket. The
    toasts now name BTCUSDT, and the ETH ticket keeps its stop-loss and shows no error. (The
    order is held on its way by a route: a throttled network alone let a loaded machine's
    slow asset switch come after the answer.)"""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.get_by_test_id("type-limit").click()
    await fill_order(page, "LONG", "10", 10)
    await page.get_by_label("Limit price").fill("59000")
    release = asyncio.Event()  # the order held on its way, as a slow network holds it
    await page.route("**/api/v1/order/open", holding(release))
    await page.get_by_test_id("order-submit").click()
    await select_asset(page, "ETHUSDT")
    await page.get_by_test_id("order-sl").fill("2900")
    release.set()
    placed = page.get_by_test_id("toast").filter(has_text="Order placed")
    await expect(placed).to_contain_text("Order placed: BTCUSDT")
    await expect(page.get_by_test_id("order-sl")).to_have_value("2900")
    (order,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=PENDING"))["orders"]
    assert (order["asset"], order["price"]) == ("BTCUSDT", "59000.00000000")
    await page.unroute("**/api/v1/order/open")

    await select_asset(page, "BTCUSDT")
    await page.get_by_test_id("type-market").click()
    await page.get_by_label("Margin (USD)").fill("5000")  # more than the account's 1,000
    release = asyncio.Event()
    await page.route("**/api/v1/order/open", holding(release))
    await page.get_by_test_id("order-submit").click()
    await select_asset(page, "ETHUSDT")
    release.set()
    refused = page.get_by_test_id("toast").filter(has_text="Order rejected")
    await expect(refused).to_contain_text("Order rejected: BTCUSDT")
    await expect(page.get_by_test_id("order-error")).to_be_hidden()
    await expect(page.get_by_test_id("order-submit")).to_be_enabled()
    assert not problems, problems


async def test_an_orders_answer_after_switching_account_names_its_account(
    server: Server, browser: Any
) -> None:
    """A market order sent on the first account, the second chosen before the answer (the
    order held on its way, as a slow network holds it): the fill was never said (the screen
    drops the other account's orders) and a refusal ("not enough free balance") was shown in
    the second account's ticket. Both are now toasts naming the first account."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "N", "mode": "NETTING"})
    first = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"][0]
    await page.reload()
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    switcher = page.get_by_test_id("account-switcher")
    toasts = page.get_by_test_id("toast")
    for margin, said in (("10", "Filled on "), ("5000", "Order rejected: BTCUSDT on ")):
        await switcher.select_option(first["accountId"])
        await fill_order(page, "LONG", margin, 10)
        release = asyncio.Event()
        await page.route("**/api/v1/order/open", holding(release))
        await page.get_by_test_id("order-submit").click()
        await switcher.select_option(second["accountId"])
        await page.wait_for_timeout(500)  # the screen and its socket follow the second
        release.set()
        await expect(toasts.filter(has_text=said + first["name"])).to_have_count(1)
        await expect(page.get_by_test_id("order-error")).to_be_hidden()
        await expect(page.get_by_test_id("order-submit")).to_be_enabled()
        await page.unroute("**/api/v1/order/open")
    filled = toasts.filter(has_text="Filled on ")
    await expect(filled).to_contain_text(f"Filled on {first['name']}: Long BTCUSDT 10x")
    await expect(page.get_by_test_id("open-position-row")).to_have_count(0)  # the second's
    listed = await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN")
    assert len(listed["orders"]) == 1  # on the first account
    assert not problems, problems


async def test_open_pressed_while_the_page_loads_places_the_order_on_the_shown_account(
    server: Server, browser: Any
) -> None:
    """A slow phone reloads the trade screen (its last account the second) and the trader
    presses Open at once: the scripts had not run, the browser sent the form its own way
    (the page reloaded as /trade?...&margin=10..., no order). The button now waits for the
    ticket to be ready: the order is placed, on the second account, the one shown."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "N", "mode": "NETTING"})
    await page.reload()
    await page.get_by_test_id("account-switcher").select_option(second["accountId"])
    await expect(page.get_by_test_id("account-switcher")).to_have_value(second["accountId"])
    cdp = await slow_down(page, latency=500)
    await page.reload(wait_until="commit")
    await page.get_by_label("Margin (USD)").fill("10")
    await page.get_by_test_id("order-submit").click()
    await expect(page.get_by_test_id("open-count")).to_have_text("1")
    await speed_up(cdp)
    assert page.url == server.url + "/trade"
    open_orders = "/api/v1/order/user/orders?status=OPEN"
    assert len((await page_api(page, "GET", open_orders, None, second["accountId"]))["orders"]) == 1
    assert (await page_api(page, "GET", open_orders))["orders"] == []  # not on the first
    assert not problems, problems


async def test_a_close_answered_after_switching_account_is_said(
    server: Server, browser: Any
) -> None:
    """Close pressed on a first account's position, the second account chosen before the
    answer (held on its way, as a slow network holds it): the close and its result were
    never said. A toast now says it, naming the first account."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "N", "mode": "NETTING"})
    first = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"][0]
    await page_api(page, "POST", "/api/v1/order/open", BTC_LONG)
    await page.reload()
    await expect(page.get_by_test_id("open-position-row")).to_have_count(1)
    release = asyncio.Event()
    await page.route("**/api/v1/order/close/*", holding(release))
    await page.get_by_test_id("close-button").click()
    await page.get_by_test_id("account-switcher").select_option(second["accountId"])
    await expect(page.get_by_test_id("open-position-row")).to_have_count(0)
    release.set()
    said = page.get_by_test_id("toast").filter(has_text=f"Closed on {first['name']}")
    await expect(said).to_contain_text("Long BTCUSDT 10x")
    await expect(said).to_contain_text("result")
    assert (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN"))["orders"] == []
    assert not problems, problems


# the account chosen as the switcher's "change" does it, and the figures read at once after
SWITCH_AND_READ = """(id) => {
  const select = document.getElementById("account-select");
  select.value = id;
  select.dispatchEvent(new Event("change"));
  return ["acct-balance", "acct-free", "order-free"].map(
    (name) => document.getElementById(name).textContent.trim());
}"""


async def test_a_switch_never_shows_the_previous_accounts_figures(
    server: Server, browser: Any
) -> None:
    """Until the chosen account's figures came (200 ms on a phone, seconds on a slow network)
    the top bar and the ticket showed the previous account's balance and free margin under
    the new account's name. They now show "—" until the chosen account's arrive."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = await page_api(page, "POST", "/api/v1/accounts", {"name": "N", "mode": "NETTING"})
    await page_api(page, "POST", "/api/v1/order/open", BTC_LONG)  # the first: 900 free
    await page.reload()
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    balance = page.locator("#acct-balance")
    await expect(page.locator("#acct-free")).not_to_have_text("1,000.00")
    release = asyncio.Event()  # the second account's figures held on their way
    await page.route("**/api/v1/order/user/balance", holding(release))
    shown = await page.evaluate(SWITCH_AND_READ, second["accountId"])  # in the switch's task
    assert shown == ["—", "—", "—"], shown
    release.set()
    await expect(balance).to_have_text("1,000.00")
    await expect(page.locator("#acct-free")).to_have_text("1,000.00")
    await expect(page.locator("#order-free")).to_have_text("1,000.00 USD")
    await page.unroute("**/api/v1/order/user/balance")
    assert not problems, problems
