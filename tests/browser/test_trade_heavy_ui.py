"""The trade screen with many orders (rev7): 1,200 open positions and 1,000 resting orders.

Before the fix, every order of a load was its own store event and each table rebuilt (or
searched) itself per event: the page froze for minutes (rev7: 80 s of long tasks with 5,000
positions), the counts did not show N, and a click on the order form did not respond within
the test's timeout. The test asserts behaviour only: the tables show every order, the socket
is live, the ticket answers a click, and a price tick reaches the positions' rows.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.browser.harness import TIMEOUT_MS, new_page, register

pytestmark = pytest.mark.asyncio

OPEN = 1200
PENDING = 1000
HEAVY = {
    "initial_balance": "100000000",
    "max_open_positions": 5000,
    "rate_limit_public": 0,
}


async def _post_all(page: Any, url: str, bodies: list[dict[str, Any]]) -> None:
    """POST each body to /api/v1/order/open, a few at a time."""
    for start in range(0, len(bodies), 25):
        replies = await asyncio.gather(
            *(
                page.request.post(url + "/api/v1/order/open", data=b)
                for b in bodies[start : start + 25]
            )
        )
        for reply in replies:
            assert reply.ok, await reply.text()


@pytest.mark.parametrize("server", [HEAVY], indirect=True)
async def test_many_positions_and_pending_orders_load_and_stay_usable(
    server: Any, browser: Any
) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.goto("about:blank")  # made while away: the load is what is tested
    assets = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    opens = [
        {
            "asset": assets[i % 3],
            "side": "LONG" if i % 2 else "SHORT",
            "leverage": 10,
            "margin": "5",
        }
        for i in range(OPEN)
    ]
    limits = {"BTCUSDT": "30000", "ETHUSDT": "1500", "SOLUSDT": "75"}
    pending = [
        {
            "asset": a,
            "side": "LONG",
            "leverage": 10,
            "margin": "5",
            "type": "LIMIT",
            "price": limits[a],
        }
        for a in (assets[i % 3] for i in range(PENDING))
    ]
    await _post_all(page, server.url, opens + pending)

    await page.goto(server.url + "/trade")
    await expect(page.get_by_test_id("open-count")).to_have_text(str(OPEN), timeout=3 * TIMEOUT_MS)
    await expect(page.get_by_test_id("pending-count")).to_have_text(
        str(PENDING), timeout=3 * TIMEOUT_MS
    )
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    await expect(page.get_by_test_id("open-position-row")).to_have_count(OPEN)
    await expect(page.get_by_test_id("pending-row")).to_have_count(PENDING)

    # the order form answers a click
    await page.get_by_test_id("side-short").click()
    await expect(page.get_by_test_id("side-short")).to_have_attribute("aria-pressed", "true")
    await page.get_by_test_id("side-long").click()
    await expect(page.get_by_test_id("side-long")).to_have_attribute("aria-pressed", "true")

    # a tick of one asset reaches its rows' mark price
    server.feed.set_price("SOLUSDT", "160")
    row = page.locator('[data-testid="open-position-row"][data-asset="SOLUSDT"]').first
    mark = re.compile(r"^(159\.9|160\.0)")  # the bid or the ask, about 160
    await expect(row.get_by_test_id("position-mark")).to_have_text(mark)

    # the newest first, as before
    first = await page.get_by_test_id("open-position-row").first.get_attribute("data-opened-at")
    last = await page.get_by_test_id("open-position-row").last.get_attribute("data-opened-at")
    assert int(first or 0) >= int(last or 0)
    assert not problems, problems
