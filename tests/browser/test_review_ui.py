"""Defects an outside review of the trade, history and account pages reproduced, each
checked in the browser, several in one session where they fit."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register, select_asset
from tests.browser.page_api import page_api
from velox.money import units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FEES = {"taker_fee": "0.0005", "maker_fee": "0.0002"}


async def test_finger_drag_moves_the_stop_loss_on_a_phone(server: Server, browser: Any) -> None:
    """A touch phone: a finger pressing the stop-loss line and moving up moves the stop-loss
    (the page used to scroll and cancel the pointer: touch-action auto everywhere); a finger
    elsewhere on the page still scrolls it."""
    from playwright.async_api import expect

    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    await register(page, server.url)
    order = await page_api(
        page,
        "POST",
        "/api/v1/order/open",
        {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100", "stopLoss": "59500"},
    )
    oid = order["orderId"]
    chart = page.get_by_test_id("chart")
    await expect(chart).to_have_attribute("data-lines", "3")  # entry, liquidation, SL
    await chart.scroll_into_view_if_needed()
    box = await chart.bounding_box()
    y0 = await chart.evaluate("(el, k) => el.lineY(k)", f"{oid}:sl")
    assert y0 is not None
    x, y = box["x"] + box["width"] * 0.4, box["y"] + y0
    scrolled = await page.evaluate("() => scrollY")
    cdp = await context.new_cdp_session(page)

    async def touch(kind: str, at: float | None) -> None:
        points = [] if at is None else [{"x": x, "y": at, "id": 1}]
        await cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    await touch("touchStart", y)
    for step in range(1, 9):
        await touch("touchMove", y - 6 * step)
        await page.wait_for_timeout(30)
    await touch("touchEnd", None)
    await expect(page.get_by_test_id("toast").filter(has_text="Stop-loss moved")).to_be_visible()
    moved = await page_api(page, "GET", f"/api/v1/order/{oid}")
    assert units(moved["stopLoss"]) > units("59500"), moved["stopLoss"]
    assert await page.evaluate("() => scrollY") == scrolled  # the page did not scroll

    # The rest of the page still scrolls under a finger (under the chart, away from it).
    box = await chart.bounding_box()
    x, start = 20, min(box["y"] + box["height"] + 40, 820)
    await touch("touchStart", start)
    for step in range(1, 9):
        await touch("touchMove", start - 30 * step)
        await page.wait_for_timeout(30)
    await touch("touchEnd", None)
    await page.wait_for_timeout(300)
    assert await page.evaluate("() => scrollY") > scrolled
    assert not problems, problems


@pytest.mark.parametrize("server", [FEES], indirect=True)
async def test_ticket_and_order_tabs(server: Server, browser: Any) -> None:
    """A limit price typed for ETH is not carried to BTC (it filled a BTC order at market).
    The Closed tab and the close toast show the result after fees, as the history page does
    (not the gross P/L). A pending order is edited from its row (price, stops, expiry), not
    only by dragging its line."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)

    # 1. The ticket's prices are the asset's: choosing another asset empties them.
    await select_asset(page, "ETHUSDT")
    await page.get_by_test_id("type-limit").click()
    await page.get_by_test_id("side-short").click()
    await page.get_by_test_id("order-price").fill("3100")
    await page.get_by_test_id("order-sl").fill("3200")
    await page.get_by_test_id("order-margin").fill("100")
    await select_asset(page, "BTCUSDT")
    await expect(page.get_by_test_id("order-symbol")).to_have_text("BTCUSDT")
    await expect(page.get_by_test_id("order-price")).to_have_value("")
    await expect(page.get_by_test_id("order-sl")).to_have_value("")
    await page.get_by_test_id("order-submit").click()
    await expect(page.get_by_test_id("order-error")).to_contain_text("Price")
    for status in ("OPEN", "PENDING"):
        listed = await page_api(page, "GET", f"/api/v1/order/user/orders?status={status}")
        assert listed["orders"] == [], status

    # 2. A round trip that gains 0.67 gross and pays 1.00 of fees shows -0.33, in red.
    await page.get_by_test_id("type-market").click()
    await page.get_by_test_id("side-long").click()
    await page.get_by_test_id("order-submit").click()
    await expect(page.get_by_test_id("open-count")).to_have_text("1")
    server.feed.set_price("BTCUSDT", "60100")
    await page.wait_for_timeout(1200)
    await page.get_by_test_id("close-button").click()
    await expect(page.get_by_test_id("open-count")).to_have_text("0")
    (done,) = (await page_api(page, "GET", "/api/v1/history/positions"))["positions"]
    assert units(done["pnl"]) > 0 > units(done["result"]), done
    toast = page.get_by_test_id("toast").filter(has_text="Closed:")
    await expect(toast).to_contain_text("result \u22120.33 USD")
    await expect(toast).not_to_contain_text("P/L +0.67 USD")
    await page.get_by_test_id("tab-closed").click()
    result = page.get_by_test_id("closed-result")
    await expect(result).to_have_attribute("data-value", done["result"])
    await expect(result).to_have_text("\u22120.33")
    assert "neg" in await result.evaluate("(el) => el.closest('td').className")
    await expect(page.get_by_test_id("closed-fee")).to_have_text("1.00")

    # 3. A pending order's row edits its price, stops and expiry (PATCH), not only by mouse.
    pending = await page_api(
        page,
        "POST",
        "/api/v1/order/open",
        {
            "asset": "BTCUSDT",
            "side": "LONG",
            "leverage": 10,
            "margin": "100",
            "type": "LIMIT",
            "price": "59000.123456",  # shown exactly in the dialog (it read 59000.12)
            "stopLoss": "58000",
        },
    )
    await page.get_by_test_id("tab-pending").click()
    row = page.get_by_test_id("pending-row")
    await row.get_by_test_id("pending-edit").click()
    dialog = page.get_by_test_id("pending-dialog")
    await expect(dialog).to_be_visible()
    await expect(page.get_by_test_id("pending-price-input")).to_have_value("59000.123456")
    await expect(page.get_by_test_id("pending-sl")).to_have_value("58000.00")
    await page.get_by_test_id("pending-price-input").fill("59100")
    await page.get_by_test_id("pending-tp").fill("61000")
    await page.get_by_test_id("pending-expiry").select_option("1h")
    before = int(time.time() * 1000)
    await page.get_by_test_id("pending-save").click()
    await expect(dialog).to_be_hidden()
    await expect(row.get_by_test_id("pending-price")).to_have_text("59,100.00")
    edited = await page_api(page, "GET", f"/api/v1/order/{pending['orderId']}")
    assert (edited["price"], edited["stopLoss"], edited["takeProfit"]) == (
        "59100.00000000",
        "58000.00000000",
        "61000.00000000",
    )
    assert edited["expiresAt"] - before in range(3_600_000 - 1000, 3_600_000 + 60_000)
    # A refusal (a take-profit under the price) stays in the dialog with the server's word.
    await row.get_by_test_id("pending-edit").click()
    await page.get_by_test_id("pending-tp").fill("58500")
    await page.get_by_test_id("pending-save").click()
    await expect(dialog.get_by_test_id("form-error")).to_be_visible()
    await expect(dialog).to_be_visible()
    again = await page_api(page, "GET", f"/api/v1/order/{pending['orderId']}")
    assert again["takeProfit"] == "61000.00000000"
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # 4. An OCO's estimate is of each of its orders (it showed the limit's only, and the
    # stop leg that filled paid another fee). Margin 100 at 10x: the limit at 59,000 buys
    # floor(1000 / 59000) = 0.01694915 BTC, maker fee ceil(0.0002 * 999.99985) = 0.19999997;
    # the stop at 61,000 buys 0.01639344 BTC, taker fee ceil(0.0005 * 999.99984) = 0.49999992.
    await page.get_by_test_id("type-oco").click()
    await page.get_by_test_id("side-long").click()
    await page.get_by_test_id("order-price").fill("59000")
    await page.get_by_test_id("order-type-2").select_option("STOP")
    await page.get_by_test_id("order-price-2").fill("61000")
    await page.get_by_test_id("order-margin").fill("100")
    entry = page.get_by_test_id("order-entry")  # one line per order
    await expect(entry).to_have_text("59,000.00 limit 61,000.00 stop")
    assert await entry.evaluate("(el) => el.textContent") == "59,000.00 limit\n61,000.00 stop"
    await expect(page.get_by_test_id("order-size")).to_have_text("0.01694915 BTC 0.01639344 BTC")
    await expect(page.get_by_test_id("order-fee")).to_have_text("0.20 USD 0.50 USD")
    await page.get_by_test_id("order-type-2").select_option("LIMIT")  # a limit leg: maker
    await page.get_by_test_id("order-price-2").fill("58000")
    await expect(page.get_by_test_id("order-fee")).to_have_text("0.20 USD 0.20 USD")
    await page.get_by_test_id("type-limit").click()  # one order again: one line
    await expect(entry).to_have_text("59,000.00")
    assert not problems, problems


async def test_account_and_history_pages(server: Server, browser: Any) -> None:
    """A HEDGING account is offered read-only keys (its keys cannot trade, SPEC 13), a
    NETTING one read and trade. A new webhook token and a key's revoke ask first (both stop
    working at once). At 360 and 375 px the history and account pages do not scroll
    sideways."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    netting = await page_api(page, "POST", "/api/v1/accounts", {"name": "Bots", "mode": "NETTING"})
    await page.goto(server.url + "/account")
    await expect(page.get_by_test_id("account-row")).to_have_count(2)
    (first, _) = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"]
    assert first["mode"] == "HEDGING"

    # Keys: trade only where a key can trade.
    trade = page.get_by_test_id("key-permissions").locator('option[value="read,trade"]')
    await page.get_by_test_id("key-account").select_option(first["accountId"])
    await expect(trade).to_be_disabled()
    await expect(page.get_by_test_id("key-permissions")).to_have_value("read")
    await expect(page.get_by_test_id("key-permissions-note")).to_be_visible()
    await page.get_by_test_id("key-account").select_option(netting["accountId"])
    await expect(trade).to_be_enabled()
    await expect(page.get_by_test_id("key-permissions-note")).to_be_hidden()
    await page.get_by_test_id("key-permissions").select_option("read,trade")
    await page.get_by_test_id("key-account").select_option(first["accountId"])
    await expect(page.get_by_test_id("key-permissions")).to_have_value("read")

    # A new webhook token asks first (the old one stops working).
    row = page.locator(f'[data-testid="account-row"][data-account-id="{netting["accountId"]}"]')
    await row.get_by_test_id("account-webhook").click()
    await page.get_by_test_id("webhook-confirm").click()
    token = page.get_by_test_id("webhook-value")
    await expect(token).not_to_be_empty()
    old = await token.text_content()
    await page.get_by_test_id("webhook-done").click()
    hook = {"action": "buy", "asset": "ETHUSDT", "leverage": 5, "margin": "10"}
    await row.get_by_test_id("account-webhook").click()
    dialog = page.get_by_test_id("webhook-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    await expect(page.get_by_test_id("webhook-box")).to_be_hidden()
    sent = await page.request.post(
        server.url + "/api/v1/webhooks/tradingview", data={"token": old, **hook}
    )
    assert sent.status == 201, await sent.text()  # the old token still works

    # Revoking a key asks first.
    await page_api(
        page,
        "POST",
        "/api/v1/api-keys",
        {"name": "bot", "accountId": netting["accountId"], "permissions": ["read"]},
    )
    await page.reload()
    await expect(page.get_by_test_id("key-row")).to_have_count(1)
    await page.get_by_test_id("key-revoke").click()
    revoke = page.get_by_test_id("revoke-dialog")
    await expect(revoke).to_be_visible()
    await revoke.get_by_role("button", name="Cancel").click()
    assert len((await page_api(page, "GET", "/api/v1/api-keys"))["apiKeys"]) == 1
    await page.get_by_test_id("key-revoke").click()
    await page.get_by_test_id("revoke-confirm").click()
    await expect(page.get_by_test_id("keys-empty")).to_be_visible()
    assert (await page_api(page, "GET", "/api/v1/api-keys"))["apiKeys"] == []

    # Narrow phones: the header fits.
    for width in (360, 375):
        await page.set_viewport_size({"width": width, "height": 740})
        for path in ("/history", "/account"):
            await page.goto(server.url + path)
            await expect(page.get_by_test_id("account-link")).to_be_visible()
            wide = await page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert wide <= 0, f"{path} at {width}px scrolls sideways by {wide}px"
            link = await page.get_by_test_id("account-link").bounding_box()
            assert link["x"] + link["width"] <= width, (path, width, link)
    assert not problems, problems


@pytest.mark.parametrize("server", [FEES], indirect=True)
async def test_a_gap_liquidation_shows_the_servers_result(server: Server, browser: Any) -> None:
    """A gap through the liquidation price settles at 0 and the close fee is never paid: the
    Closed tab and the toast showed all the fees taken off (-100.92 where the server and
    the history page said -100.50). They now count the close fee out as the server does."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    order = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}
    await page_api(page, "POST", "/api/v1/order/open", order)
    await expect(page.get_by_test_id("open-count")).to_have_text("1")
    server.feed.set_price("BTCUSDT", "50000")  # far under the liquidation price
    await expect(page.get_by_test_id("open-count")).to_have_text("0")
    (done,) = (await page_api(page, "GET", "/api/v1/history/positions"))["positions"]
    assert done["closeReason"] == "LIQUIDATION" and units(done["result"]) > -units("100.6")
    toast = page.get_by_test_id("toast").filter(has_text="Liquidated")
    await expect(toast).to_contain_text("result \u2212100.50 USD")
    await page.get_by_test_id("tab-closed").click()
    result = page.get_by_test_id("closed-result")
    await expect(result).to_have_attribute("data-value", done["result"])
    assert not problems, problems
