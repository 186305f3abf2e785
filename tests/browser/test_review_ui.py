"""Defects an outside review of the trade, history and account pages reproduced, each
checked in the browser, several in one session where they fit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register, select_asset
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


@pytest.mark.parametrize("server", [FEES], indirect=True)
async def test_ticket_and_order_tabs(server: Server, browser: Any) -> None:
    """A limit price typed for ETH is not carried to BTC (it filled a BTC order at market).
    The Closed tab and the close toast show the result after fees, as the history page does
    (not the gross P/L)."""
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
        listed = await _api(page, "GET", f"/api/v1/order/user/orders?status={status}")
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
    (done,) = (await _api(page, "GET", "/api/v1/history/positions"))["positions"]
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

    assert not problems, problems
