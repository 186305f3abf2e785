"""What an outside review of the trade screen by keyboard, with assistive-technology checks
and at small sizes, reproduced in Chromium: focus dropped on the page's body after a Close
or a Cancel, a cancel nobody heard of, errors not tied to their field, toasts gone while
focused, a position card wider than a phone, toasts over the header, faint focus rings,
an account switched at every arrow key, names that do not start with the visible label,
market-watch rows that were no controls, and the page's structure."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import Server, new_page, register

pytestmark = [pytest.mark.browser, pytest.mark.slow]

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


async def _open(page: Any, margin: str = "50", **extra: Any) -> Any:
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": margin, **extra}
    return await _api(page, "POST", "/api/v1/order/open", body)


async def test_focus_stays_in_the_table_after_close_and_cancel(
    server: Server, browser: Any
) -> None:
    """Close and Cancel pressed by keyboard left the focus on the page's body (the row and
    its button went): it moves to the same button of the next row, else the previous
    row's, else the table's empty-state text. A partial close keeps it on its button. A
    cancel is announced as the other actions are."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    for _ in range(3):
        await _open(page)
    for price in ("50000", "51000"):
        await _open(page, "20", type="LIMIT", price=price)
    rows = page.get_by_test_id("open-position-row")
    await expect(rows).to_have_count(3)

    # A partial close keeps the focus on its button (disabling it dropped the focus).
    quarter = rows.nth(0).get_by_test_id("partial-close").first
    await quarter.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("toast").filter(has_text="Partially closed")).to_be_visible()
    await expect(quarter).to_be_focused()

    # The middle row's Close: focus on the next row's Close.
    last_id = await rows.nth(2).get_attribute("data-order-id")
    await rows.nth(1).get_by_test_id("close-button").focus()
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(1).get_by_test_id("close-button")).to_be_focused()
    assert await rows.nth(1).get_attribute("data-order-id") == last_id
    # The last row's Close: focus on the previous row's.
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0).get_by_test_id("close-button")).to_be_focused()
    # The only row's: the empty-state text.
    await page.keyboard.press("Enter")
    await expect(rows).to_have_count(0)
    await expect(page.get_by_test_id("open-empty")).to_be_focused()

    # Pending orders: the same, and the cancel is announced.
    await page.get_by_test_id("tab-pending").click()
    pending = page.get_by_test_id("pending-row")
    await expect(pending).to_have_count(2)
    await pending.nth(0).get_by_test_id("cancel-button").focus()
    await page.keyboard.press("Enter")
    await expect(pending).to_have_count(1)
    await expect(pending.nth(0).get_by_test_id("cancel-button")).to_be_focused()
    toast = page.get_by_test_id("toast").filter(has_text="Order cancelled: BTCUSDT")
    await expect(toast).to_contain_text("LIMIT @ 51,000.00")
    assert await toast.get_attribute("role") == "status"
    await page.keyboard.press("Enter")
    await expect(pending).to_have_count(0)
    await expect(page.get_by_test_id("pending-empty")).to_be_focused()
    await expect(page.get_by_test_id("toast").filter(has_text="LIMIT @ 50,000.00")).to_have_count(1)
    assert not problems, problems
