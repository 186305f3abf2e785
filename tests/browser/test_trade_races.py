"""The trade screen and changes it has not heard of yet: an order that opens before the socket
carries the account's news, at start or while it switches account (SPEC 8 and 13).

The windows are made deterministic: the websocket ticket or the socket's ``account`` op is
held back while the test changes the account through the API.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register
from tests.browser.test_switcher_ui import _call

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BTC_LONG = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}


async def test_an_order_opened_before_the_socket_is_live_is_shown(
    server: Server, browser: Any
) -> None:
    """The page has read the orders and is still fetching its socket's ticket (held 2 s)
    when an order opens elsewhere: once live, it shows the position and its chart lines."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    asked = asyncio.Event()

    async def slow_ticket(route: Any) -> None:
        asked.set()
        await asyncio.sleep(2)
        await route.continue_()

    await page.route("**/api/v1/user/ws-ticket", slow_ticket)
    await page.reload()
    await asked.wait()  # the first reload of the orders is done: the socket is not open yet
    order = await _call(page, "POST", "/api/v1/order/open", {**BTC_LONG, "stopLoss": "59000"})
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-order-id", order["orderId"])
    await expect(page.get_by_test_id("chart")).to_have_attribute("data-lines", "3")  # entry SL liq
    assert not problems, problems


async def test_an_order_opened_while_the_socket_switches_account_is_shown(
    server: Server, browser: Any
) -> None:
    """The page switched to the second account and read its orders; the socket's request to
    follow that account is held until an order opened on it: once the server follows the
    account, the page shows the order (once)."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    second = (await _call(page, "POST", "/api/v1/accounts", {"name": "N", "mode": "NETTING"}))[
        "accountId"
    ]
    held: list[str] = []
    hold = asyncio.Event()
    to_server: list[Any] = []

    def route(ws: Any) -> None:
        upstream = ws.connect_to_server()
        to_server.append(upstream)

        def from_page(message: str | bytes) -> None:
            if hold.is_set() and '"op":"account"' in str(message):
                held.append(str(message))
            else:
                upstream.send(message)

        ws.on_message(from_page)

    await page.route_web_socket(re.compile(r"/ws\?ticket="), route)
    await page.reload()
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    hold.set()
    switched = page.wait_for_event(
        "response",
        lambda r: "status=OPEN" in r.url and r.request.headers.get("x-velox-account") == second,
    )
    await page.get_by_test_id("account-switcher").select_option(second)
    await switched  # the page has read the second account's (no) orders
    order = await _call(page, "POST", "/api/v1/order/open", BTC_LONG, second)
    assert held, "the socket did not ask to follow the second account"
    hold.clear()
    for message in held:
        to_server[-1].send(message)
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    await expect(row).to_have_attribute("data-order-id", order["orderId"])
    await expect(page.get_by_test_id("chart")).to_have_attribute("data-lines", "2")  # entry liq
    assert not problems, problems
