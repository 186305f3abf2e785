"""The trade screen on a slow device: Chromium's CPU and network throttled (CDP) around the
racy part of each flow, as on a cheap phone or a busy laptop."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register, wait_for
from tests.browser.page_api import page_api
from tests.browser.slow_device import BTC_LONG, slow_down, speed_up

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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
