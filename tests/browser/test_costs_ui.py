"""Fees in the trade screen (issue 12): the position row shows what the position paid and its
net funding, the top bar the account's totals, each equal to the API to the unit."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import START, Server, api_json, fill_order, new_page, quote, register
from velox.money import SCALE, format_units, units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAKER = {"taker_fee": "0.0005"}  # Binance's taker fee


@pytest.mark.parametrize("server", [TAKER], indirect=True)
async def test_open_fee_in_the_row_and_the_top_bar(server: Server, browser: Any) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await fill_order(page, "LONG", "100", 10)
    await page.get_by_test_id("order-submit").click()
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)

    # SPEC 12: qty = floor(margin * leverage / ask); fee = ceil(ask * qty * 0.0005), taken
    # from the free balance with the margin (written here from SPEC, not from the engine)
    _, ask = quote(units(START["BTCUSDT"]))
    qty = units("100") * 10 * SCALE // ask
    fee = -(-ask * qty * 5 // (10_000 * SCALE))
    assert fee > 0
    await expect(row.get_by_test_id("position-fee")).to_have_attribute(
        "data-value", format_units(fee)
    )
    await expect(row.get_by_test_id("position-funding")).to_have_attribute(
        "data-value", "0.00000000"
    )
    await expect(page.get_by_test_id("fees")).to_have_attribute("data-value", format_units(fee))
    await expect(page.get_by_test_id("funding")).to_have_attribute("data-value", "0.00000000")
    balance = units("1000") - units("100") - fee
    await expect(page.get_by_test_id("balance")).to_have_attribute(
        "data-value", format_units(balance)
    )

    figures = await api_json(page, "/api/v1/order/user/balance")
    assert (figures["fees"], figures["balance"]) == (format_units(fee), format_units(balance))
    (order,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert order["fee"] == format_units(fee)
    assert problems == []
