"""What an outside review of the trade screen found, in Chromium: the open positions'
figures hidden under the pinned action buttons at common laptop widths; a NETTING ticket
saying "Open Short" for an order that reduces the LONG; no toast for a scale-in; and the
chart's older-history requests repeated at every scroll after a refusal, and fetched for a
timeframe just opened."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.browser.harness import Server, fill_order, new_page, now_ms, register
from tests.browser.page_api import page_api
from tests.browser.test_trade_ui import chart_at
from velox.money import units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COVERED_JS = """() => [...document.querySelectorAll('#open-body tr')].flatMap((tr) =>
  [...tr.querySelectorAll('td:not(.actions)')].filter((td) => {
    const r = td.getBoundingClientRect();
    const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !td.contains(top);
  }).map((td) => td.dataset.label))"""


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)])
async def test_no_figure_of_an_open_position_is_under_its_buttons(
    server: Server, browser: Any, size: tuple[int, int]
) -> None:
    """At 1280 and 1366 px the positions table was wider than its panel and the pinned
    buttons covered P/L and the stops: every cell is visible now, the buttons too."""
    from playwright.async_api import expect

    page, problems = await new_page(browser, *size)
    await register(page, server.url)
    stops = {"stopLoss": "50000", "takeProfit": "150000", "trailingStop": "1234.5"}
    for asset, side in (("BTCUSDT", "LONG"), ("ETHUSDT", "SHORT")):
        body = {"asset": asset, "side": side, "leverage": 10, "margin": "123.45"}
        extra = stops if side == "LONG" else {}
        await page_api(page, "POST", "/api/v1/order/open", {**body, **extra})
    rows = page.get_by_test_id("open-position-row")
    await expect(rows).to_have_count(2)
    assert await page.evaluate(COVERED_JS) == []
    for button in await page.get_by_test_id("close-button").all():
        await expect(button).to_be_in_viewport()
    assert not problems, problems


async def test_a_netting_ticket_says_what_the_order_does_to_the_position(
    server: Server, browser: Any
) -> None:
    """On a NETTING account holding a LONG: a sell smaller than it reduces it, one of its
    size closes it, a bigger one flips it, a buy adds to it; the button says which and the
    liquidation estimate is of the position after it, as the server then holds it. A
    scale-in gets its toast."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    netting = await page_api(page, "POST", "/api/v1/accounts", {"name": "Net", "mode": "NETTING"})
    await page.reload()  # the switcher lists the accounts there were when the page loaded
    await page.get_by_test_id("account-switcher").select_option(netting["accountId"])
    submit = page.get_by_test_id("order-submit")
    await fill_order(page, "LONG", "200", 10)
    await expect(submit).to_have_text("Open Long 10x")
    await submit.click()
    await expect(page.get_by_test_id("open-position-row")).to_have_count(1)

    (opened,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN", None,
                             netting["accountId"]))["orders"]  # fmt: skip
    await fill_order(page, "SHORT", "50", 10)
    await expect(submit).to_have_text("Reduce Long")
    # the size shown is the position's after the order (it showed the order's own size)
    left = await page.get_by_test_id("order-size").text_content()
    assert units(opened["qty"]) // 2 < units(left.split()[0]) < units(opened["qty"]), left
    await fill_order(page, "SHORT", "400", 10)
    await expect(submit).to_have_text("Flip to Short 10x")
    await fill_order(page, "LONG", "100", 20)
    await expect(submit).to_have_text("Add to Long at 10x only")  # else LEVERAGE_MISMATCH
    await fill_order(page, "LONG", "100", 10)
    await expect(submit).to_have_text("Add to Long 10x")
    estimate = await page.get_by_test_id("order-liq").text_content()
    size = await page.get_by_test_id("order-size").text_content()
    await submit.click()
    toast = page.get_by_test_id("toast").filter(has_text="Added: Long BTCUSDT 10x")
    await expect(toast).to_be_visible()
    (held,) = (await page_api(page, "GET", "/api/v1/order/user/orders?status=OPEN", None,
                           netting["accountId"]))["orders"]  # fmt: skip
    assert held["margin"] == "300.00000000"
    shown = f"{float(held['liquidationPrice']):,.2f}"
    assert estimate == shown, (estimate, held["liquidationPrice"])
    assert size == f"{held['qty'].rstrip('0')} BTC", (size, held["qty"])
    assert not problems, problems


async def test_older_history_is_not_asked_again_at_every_scroll_after_a_refusal(
    server: Server, browser: Any
) -> None:
    """A refused page of older history (429 with Retry-After) is not asked again at every
    scroll (it was: 50 requests in a second)."""
    page, problems, chart = await chart_at(server, browser, "1s")
    older: list[str] = []

    async def refuse(route: Any) -> None:
        older.append(route.request.url)
        refusal = {"error": {"code": "RATE_LIMITED", "message": "slow down"}}
        await route.fulfill(status=429, headers={"Retry-After": "30"}, json=refusal)

    await page.route("**/api/v1/candles?*endTime=*", refuse)
    box = await chart.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    for _ in range(12):  # drag right (back in time), well past the first bar
        await page.mouse.move(box["x"] + 60, y)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] - 60, y, steps=6)
        await page.mouse.up()
        await asyncio.sleep(0.1)
    assert len(older) == 1, older  # asked once; the next waits 30 s
    problems = [p for p in problems if "429" not in p]
    assert not problems, problems


async def test_a_timeframe_opened_after_scrolling_back_fetches_no_older_page(
    server: Server, browser: Any
) -> None:
    """Scrolled back on 1m (older pages loaded), then 5m: it opens at its newest bars and
    asks for nothing older (it fetched a second page at once)."""
    from playwright.async_api import expect

    await _older_minutes(server)
    page, problems, chart = await chart_at(server, browser, "1m")
    await expect(chart).to_have_attribute("data-candles", "500")
    box = await chart.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    for _ in range(8):
        await page.mouse.move(box["x"] + 60, y)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] - 60, y, steps=6)
        await page.mouse.up()
        await asyncio.sleep(0.2)
    assert int(await chart.get_attribute("data-candles") or 0) > 500  # scrolled back
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "endTime=" in r.url else None)
    await page.get_by_test_id("tf-5m").click()
    await expect(chart).to_have_attribute("data-duration", "5m")
    await asyncio.sleep(1.5)
    assert asked == [], asked
    assert not problems, problems


async def _older_minutes(server: Server) -> None:
    """600 candles of 1m and of 5m before the feed's own 150 minutes of history (more than a
    page of each)."""
    from velox.money import units
    from velox.store.records import CandleRecord
    from velox.web.keys import STORE

    price = units("60000")
    for duration, ms in (("1m", 60_000), ("5m", 300_000)):
        first = (now_ms() - 150 * 60_000) // ms * ms
        await server.app[STORE].put_candles([
            CandleRecord("BTCUSDT", duration, first - i * ms, price, price, price, price,
                         units("1"))
            for i in range(1, 601)
        ])  # fmt: skip


async def test_a_marketable_limit_is_estimated_at_the_quote(server: Server, browser: Any) -> None:
    """A LIMIT buy above the ask fills at once, at the ask (as a taker): the ticket estimates
    it there, not at its own price (a read of the change: it named the wrong netting effect
    from the wrong price)."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.get_by_test_id("type-limit").click()
    await fill_order(page, "LONG", "100", 10)
    ask = await page.locator("#side-long-price").text_content()
    assert ask and ask != "—"
    await page.get_by_test_id("order-price").fill("1000000")  # far above the ask
    await expect(page.get_by_test_id("order-entry")).to_have_text(ask)
    await page.get_by_test_id("order-price").fill("1000")  # far below: rests at its price
    await expect(page.get_by_test_id("order-entry")).to_have_text("1,000.00")
    await page.get_by_test_id("type-oco").click()  # its limit leg rests at its own price
    await expect(page.get_by_test_id("order-entry")).to_have_text("1,000.00")
    assert not problems, problems
