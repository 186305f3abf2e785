"""Defects an outside review of the trade, history and account pages reproduced, each
checked in the browser, several in one session where they fit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import Server, register
from velox.money import units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FEES = {"taker_fee": "0.0005", "maker_fee": "0.0002"}
FETCH_JS = """async ([method, path, body]) => {
  const r = await fetch(path, {method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: body === null ? undefined : JSON.stringify(body)});
  return [r.status, r.status === 204 ? null : await r.json()];
}"""


async def _api(page: Any, method: str, path: str, body: Any = None) -> Any:
    status, reply = await page.evaluate(FETCH_JS, [method, path, body])
    assert status < 300, (status, reply)
    return reply


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
    order = await _api(
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
    moved = await _api(page, "GET", f"/api/v1/order/{oid}")
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
