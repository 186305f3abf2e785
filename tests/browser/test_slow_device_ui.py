"""The trade screen on a slow device: Chromium's CPU and network throttled (CDP) around the
racy part of each flow, as on a cheap phone or a busy laptop."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.harness import Server, fill_order, new_page, register, select_asset, wait_for
from tests.browser.page_api import page_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BTC_LONG = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}


async def slow_down(page: Any, rate: int = 6, latency: int = 400) -> Any:
    """Throttle `page`'s CPU `rate` times and give every request `latency` ms each way."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": 50_000,
            "uploadThroughput": 20_000,
        },
    )
    return cdp


async def speed_up(cdp: Any) -> None:
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


async def test_a_double_click_on_a_dialogs_save_sends_it_once(server: Server, browser: Any) -> None:
    """On a slow network a double click on "Add margin" added the margin twice (150 USD on a
    100 USD position became 200), and the stops and pending-order dialogs sent their PATCH
    twice. Save is now disabled until the answer: one request each."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page_api(page, "POST", "/api/v1/order/open", BTC_LONG)
    limit = {**BTC_LONG, "type": "LIMIT", "price": "59000"}
    pending = await page_api(page, "POST", "/api/v1/order/open", limit)
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    sent: list[str] = []
    page.on(
        "request",
        lambda r: sent.append(r.method) if r.method in ("POST", "PATCH") else None,
    )

    await row.get_by_test_id("add-margin-button").click()
    await page.get_by_test_id("margin-amount").fill("50")
    cdp = await slow_down(page)
    await page.get_by_test_id("margin-save").dblclick()
    await expect(page.get_by_test_id("margin-dialog")).to_be_hidden()
    await expect(row.get_by_test_id("position-margin")).to_have_attribute(
        "data-value", "150.00000000"
    )
    await speed_up(cdp)

    await row.get_by_test_id("edit-button").click()
    await page.get_by_test_id("edit-sl").fill("55000")
    cdp = await slow_down(page)
    await page.get_by_test_id("edit-save").dblclick()
    await expect(page.get_by_test_id("edit-dialog")).to_be_hidden()
    await speed_up(cdp)

    await page.get_by_test_id("tab-pending").click()
    await page.get_by_test_id("pending-row").get_by_test_id("pending-edit").click()
    await page.get_by_test_id("pending-price-input").fill("59100")
    cdp = await slow_down(page)
    await page.get_by_test_id("pending-save").dblclick()
    await expect(page.get_by_test_id("pending-dialog")).to_be_hidden()
    await speed_up(cdp)

    await page.wait_for_timeout(1000)  # a second request would have been sent by now
    assert sent == ["POST", "PATCH", "PATCH"]
    (order,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert (order["margin"], order["stopLoss"]) == ("150.00000000", "55000.00000000")
    edited = await page_api(page, "GET", f"/api/v1/order/{pending['orderId']}")
    assert edited["price"] == "59100.00000000"
    assert not problems, problems


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
    toasts now name BTCUSDT, and the ETH ticket keeps its stop-loss and shows no error."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.get_by_test_id("type-limit").click()
    await fill_order(page, "LONG", "10", 10)
    await page.get_by_label("Limit price").fill("59000")
    cdp = await slow_down(page, latency=600)
    await page.get_by_test_id("order-submit").click()
    await select_asset(page, "ETHUSDT")
    await page.get_by_test_id("order-sl").fill("2900")
    await speed_up(cdp)
    placed = page.get_by_test_id("toast").filter(has_text="Order placed")
    await expect(placed).to_contain_text("Order placed: BTCUSDT")
    await expect(page.get_by_test_id("order-sl")).to_have_value("2900")
    (order,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=PENDING"))["orders"]
    assert (order["asset"], order["price"]) == ("BTCUSDT", "59000.00000000")

    await select_asset(page, "BTCUSDT")
    await page.get_by_test_id("type-market").click()
    await page.get_by_label("Margin (USD)").fill("5000")  # more than the account's 1,000
    cdp = await slow_down(page, latency=600)
    await page.get_by_test_id("order-submit").click()
    await select_asset(page, "ETHUSDT")
    await speed_up(cdp)
    refused = page.get_by_test_id("toast").filter(has_text="Order rejected")
    await expect(refused).to_contain_text("Order rejected: BTCUSDT")
    await expect(page.get_by_test_id("order-error")).to_be_hidden()
    await expect(page.get_by_test_id("order-submit")).to_be_enabled()
    assert not problems, problems


async def test_history_statistics_follow_the_last_filter(server: Server, browser: Any) -> None:
    """On a slow network the history page's unfiltered first page (24 positions) was still
    downloading when the trader filtered on ETH: the table showed ETH's 3 positions, and
    then the statistics and equity curve of the unfiltered load came and stayed (24 trades).
    They are now the ETH filter's: 3 trades."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    for i in range(24):
        asset = "ETHUSDT" if i % 8 == 0 else "BTCUSDT"
        order = {**BTC_LONG, "asset": asset, "margin": "10"}
        opened = await page_api(page, "POST", "/api/v1/order/open", order)
        await page_api(page, "POST", f"/api/v1/order/close/{opened['orderId']}", {})
    await page.goto(server.url + "/history")
    await expect(page.get_by_test_id("history-row")).to_have_count(24)
    pages: list[str] = []
    page.on(
        "requestfinished",
        lambda r: pages.append(r.url) if "/history/positions?" in r.url else None,
    )
    cdp = await slow_down(page, latency=200)
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 200,
            "downloadThroughput": 10_000,
            "uploadThroughput": 20_000,
        },
    )
    await page.get_by_test_id("filter-apply").click()  # all assets: the large page
    await page.wait_for_timeout(700)  # its statistics came, its page is on its way
    await page.get_by_test_id("filter-asset").select_option("ETHUSDT")
    await page.get_by_test_id("filter-apply").click()
    await expect(page.get_by_test_id("history-row")).to_have_count(3)
    await wait_for(lambda: len(pages) == 2)  # both loads' pages have come
    await speed_up(cdp)
    await page.wait_for_timeout(500)
    await expect(page.get_by_test_id("stat-trades")).to_have_text("3")
    await expect(page.get_by_test_id("history-row")).to_have_count(3)
    assert not problems, problems


async def test_a_late_answer_does_not_close_or_write_into_a_dialog_opened_since(
    server: Server, browser: Any
) -> None:
    """Slow network: the trader saved BTC's stops, pressed Escape before the answer and
    opened ETH's. BTC's refusal appeared in ETH's dialog ("stop-loss must be below the
    bid", the ETH stop-loss field marked); BTC's success closed ETH's dialog as it was being
    typed in. Each answer is now a toast naming BTCUSDT; ETH's dialog stays open, clean."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page_api(page, "POST", "/api/v1/order/open", BTC_LONG)
    await page_api(page, "POST", "/api/v1/order/open", {**BTC_LONG, "asset": "ETHUSDT"})
    rows = page.get_by_test_id("open-position-row")
    await expect(rows).to_have_count(2)
    dialog = page.get_by_test_id("edit-dialog")
    toasts = page.get_by_test_id("toast")
    for stop_loss, said in (
        ("65000", "Stops not updated: BTCUSDT"),
        ("55000", "Stops updated: BTCUSDT"),
    ):
        await rows.filter(has_text="BTCUSDT").get_by_test_id("edit-button").click()
        await page.get_by_test_id("edit-sl").fill(stop_loss)  # 65,000 is above the bid
        cdp = await slow_down(page, latency=800)
        await page.get_by_test_id("edit-save").click()
        await page.keyboard.press("Escape")
        await rows.filter(has_text="ETHUSDT").get_by_test_id("edit-button").click()
        await expect(toasts.filter(has_text=said)).to_have_count(1)
        await speed_up(cdp)
        await expect(dialog).to_be_visible()
        await expect(page.locator("#edit-desc")).to_contain_text("ETHUSDT")
        await expect(dialog.get_by_test_id("form-error")).to_be_hidden()
        await page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
    (btc,) = [
        o
        for o in (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN"))["orders"]
        if o["asset"] == "BTCUSDT"
    ]
    assert btc["stopLoss"] == "55000.00000000"
    assert not problems, problems


def holding(release: asyncio.Event) -> Any:
    """A route handler that lets a request go to the server once `release` is set."""

    async def held(route: Any) -> None:
        await release.wait()
        await route.continue_()

    return held


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
