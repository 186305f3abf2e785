"""Issue 14 in the browser: trading from the chart (drag a stop-loss line, a refused drag
snaps back), the history page and its CSV, the margin warning and the HTML 404, at desktop
and phone widths, with no console errors."""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import (
    RECORD_NOTIFICATIONS,
    REPO,
    Server,
    new_page,
    now_ms,
    quote,
    register,
    unlabelled,
)
from velox.money import format_units, units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP = (1280, 720)
PHONE = (390, 844)
OPEN_JS = """async (body) => {
  const r = await fetch('/api/v1/order/open', {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: JSON.stringify(body)});
  return [r.status, await r.json()];
}"""
CLOSE_JS = """async (id) => {
  const r = await fetch('/api/v1/order/close/' + id, {method: 'POST', credentials: 'same-origin',
    headers: {Accept: 'application/json'}});
  return [r.status, await r.json()];
}"""


async def _open(page: Any, **body: Any) -> Any:
    status, order = await page.evaluate(OPEN_JS, body)
    assert status == 201, order
    return order


async def api_json(page: Any, path: str) -> Any:
    """A GET with the page's session cookie, from whichever page it is on."""
    origin = "/".join(page.url.split("/")[:3])
    response = await page.request.get(origin + path)
    assert response.ok, f"{path}: {response.status}"
    return await response.json()


async def _line_y(page: Any, key: str) -> float:
    y = await page.get_by_test_id("chart").evaluate("(el, key) => el.lineY(key)", key)
    assert y is not None, f"line {key} is not drawn"
    return float(y)


async def _drag(page: Any, key: str, to_y: float) -> None:
    box = await page.get_by_test_id("chart").bounding_box()
    x = box["x"] + box["width"] * 0.4
    y = box["y"] + await _line_y(page, key)
    await page.mouse.move(x, y)
    await page.mouse.down()
    for step in range(1, 6):
        await page.mouse.move(x, y + (box["y"] + to_y - y) * step / 5)
    await page.mouse.up()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_drag_the_stop_loss_line(server: Server, browser: Any, size: tuple[int, int]) -> None:
    """The SL line of a LONG dragged towards the entry moves the position's stop-loss (read
    back from the API); dragged above the bid, the API refuses it: a toast, the line snaps
    back and the stop-loss stays."""
    from playwright.async_api import expect

    page, problems = await new_page(browser, *size)
    await register(page, server.url)
    chart = page.get_by_test_id("chart")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    order = await _open(
        page, asset="BTCUSDT", side="LONG", leverage=10, margin="100", stopLoss="59800"
    )
    sl_key = f"{order['orderId']}:sl"
    await expect(chart).to_have_attribute("data-lines", "3")  # entry, liquidation, SL

    sl_y, entry_y = await _line_y(page, sl_key), await _line_y(page, f"{order['orderId']}:entry")
    assert entry_y < sl_y  # a higher price is higher up
    await _drag(page, sl_key, sl_y + (entry_y - sl_y) * 0.4)
    toast = page.get_by_test_id("toast").filter(has_text="Stop-loss moved")
    await expect(toast).to_be_visible()
    (moved,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    bid, _ = quote(units("60000"))
    new_sl = units(moved["stopLoss"])
    assert units("59800") < new_sl < bid, moved["stopLoss"]
    row = page.get_by_test_id("open-position-row")
    await expect(row.get_by_test_id("position-stops")).to_contain_text(f"{new_sl // 10**8:,}.")
    moved_y = await _line_y(page, sl_key)
    assert moved_y < sl_y - 5
    if os.environ.get("VELOX_SCREENSHOT") == "1" and size == DESKTOP:
        await page.evaluate("() => document.getElementById('toasts').replaceChildren()")
        await page.mouse.move(10, 10)
        await page.screenshot(path=str(REPO / "docs" / "screenshot.png"))

    # Above the entry (and so above the bid): INVALID_STOP_LOSS.
    await _drag(page, sl_key, entry_y - 60)
    refused = page.get_by_test_id("toast").filter(has_text="Stop-loss not moved")
    await expect(refused).to_be_visible()
    await expect(refused).to_have_attribute("data-kind", "error")
    await page.wait_for_function(
        "([key, y]) => Math.abs(document.getElementById('chart').lineY(key) - y) < 1",
        arg=[sl_key, moved_y],
    )
    (after,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert after["stopLoss"] == moved["stopLoss"]

    # A close takes the lines away and leaves markers: the close, the open and close fills.
    status, _ = await page.evaluate(CLOSE_JS, order["orderId"])
    assert status == 200
    await expect(chart).to_have_attribute("data-lines", "0")
    await expect(chart).to_have_attribute("data-markers", "3")  # its close, its two fills
    assert not problems, problems


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_history_page_and_csv(server: Server, browser: Any, size: tuple[int, int]) -> None:
    """Two closes (a win on BTC, a loss on ETH): the page shows the server's statistics, the
    asset filter narrows them, and the downloaded CSV holds the API's numbers."""
    from playwright.async_api import expect

    page, problems = await new_page(browser, *size)
    await register(page, server.url)
    win = await _open(page, asset="BTCUSDT", side="LONG", leverage=10, margin="100")
    server.feed.set_price("BTCUSDT", "60600")
    await expect(page.get_by_test_id("open-position-row")).to_have_count(1)
    await page.wait_for_function(
        "() => document.getElementById('chart-bid').textContent.startsWith('60,5')"
    )
    assert (await page.evaluate(CLOSE_JS, win["orderId"]))[0] == 200
    loss = await _open(page, asset="ETHUSDT", side="SHORT", leverage=5, margin="50")
    server.feed.set_price("ETHUSDT", "3030")
    await page.wait_for_function(
        "() => document.querySelector('[data-symbol=ETHUSDT] [data-testid=asset-bid]')"
        ".textContent.startsWith('3,02')"
    )
    assert (await page.evaluate(CLOSE_JS, loss["orderId"]))[0] == 200

    await page.get_by_test_id("history-link").click()  # naming this tab's account
    await expect(page).to_have_url(server.url + "/history?account=1")
    await expect(page.get_by_test_id("history-row")).to_have_count(2)
    stats = await api_json(page, "/api/v1/history/stats")
    assert (stats["trades"], stats["wins"], stats["losses"]) == (2, 1, 1)
    for name in ("trades", "winRate", "netResult", "profitFactor", "maxDrawdown", "sharpe"):
        value = stats[name]
        await expect(page.get_by_test_id(f"stat-{name}")).to_have_attribute(
            "data-value", "" if value is None else str(value)
        )
    await expect(page.get_by_test_id("stat-winRate")).to_have_text("50.00 %")
    assert await unlabelled(page) == []
    newest = (await api_json(page, "/api/v1/history/positions"))["positions"][0]
    closed_utc = datetime.fromtimestamp(newest["closedAt"] / 1000, UTC).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    await expect(page.get_by_test_id("history-row").first.locator("td").last).to_have_text(
        closed_utc
    )
    await expect(page.get_by_test_id("equity-chart")).to_have_attribute("data-points", "3")
    await expect(page.get_by_test_id("equity-chart")).to_have_attribute(
        "data-last", stats["endEquity"]
    )
    balance = await api_json(page, "/api/v1/order/user/balance")
    assert balance["balance"] == stats["endEquity"]
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the history page scrolls sideways by {overflow}px"
    if os.environ.get("VELOX_SCREENSHOT") == "1" and size == DESKTOP:
        await page.screenshot(path=str(REPO / "docs" / "history.png"))

    async with page.expect_download() as info:
        await page.get_by_test_id("csv-download").click()
    download = await info.value
    assert download.suggested_filename == "velox-history.csv"
    raw = Path(await download.path()).read_bytes()
    assert b"\r\n" in raw
    header, *rows = list(csv.reader(io.StringIO(raw.decode(), newline="")))
    api = (await api_json(page, "/api/v1/history/positions"))["positions"][::-1]
    assert [dict(zip(header, r, strict=True))["orderId"] for r in rows] == [
        p["orderId"] for p in api
    ]
    for row, position in zip(rows, api, strict=True):
        record = dict(zip(header, row, strict=True))
        for key in ("asset", "side", "qty", "openPrice", "closePrice", "margin", "pnl", "result"):
            assert record[key] == position[key], key
    total = sum(units(dict(zip(header, r, strict=True))["result"]) for r in rows)
    assert format_units(total) == stats["netResult"]

    # Fills: each open and close, in the table and in their own CSV.
    api_fills = (await api_json(page, "/api/v1/order/user/fills"))["fills"]
    assert len(api_fills) == 4
    await expect(page.get_by_test_id("fill-row")).to_have_count(4)
    async with page.expect_download() as fills_info:
        await page.get_by_test_id("fills-csv-download").click()
    fills_download = await fills_info.value
    assert fills_download.suggested_filename == "velox-fills.csv"
    fills_text = Path(await fills_download.path()).read_text()
    fill_header, *fill_rows = list(csv.reader(io.StringIO(fills_text, newline="")))
    assert [dict(zip(fill_header, r, strict=True))["fillId"] for r in fill_rows] == [
        f["fillId"] for f in reversed(api_fills)
    ]

    await page.get_by_test_id("filter-asset").select_option("ETHUSDT")
    await page.get_by_test_id("filter-apply").click()
    await expect(page.get_by_test_id("history-row")).to_have_count(1)
    await expect(page.get_by_test_id("stat-trades")).to_have_attribute("data-value", "1")
    href = await page.get_by_test_id("csv-download").get_attribute("href")
    assert href == "/api/v1/history/positions.csv?asset=ETHUSDT"
    assert not problems, problems


async def test_margin_warning(server: Server, browser: Any) -> None:
    """600 of 1000 USD at 100x: margin level (400 + 600 - 60 of spread) / 600 ~ 157 %, no
    warning; the price falls 0.5 %: (400 + 240) / 600 ~ 107 %: the banner shows the level
    and one notification is raised, both advising what raises the level (not adding margin,
    which lowers it); back up, the banner goes."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await page.context.grant_permissions(["notifications"], origin=server.url)
    await page.add_init_script(RECORD_NOTIFICATIONS)
    await register(page, server.url)
    banner = page.get_by_test_id("margin-banner")
    await _open(page, asset="BTCUSDT", side="LONG", leverage=100, margin="600")
    await expect(page.get_by_test_id("open-position-row")).to_have_count(1)
    await expect(banner).to_be_hidden()
    server.feed.set_price("BTCUSDT", "59700")
    await expect(banner).to_be_visible()
    level = await page.get_by_test_id("margin-level").get_attribute("data-value")
    assert level is not None and units(level) < units("150")
    await expect(page.get_by_test_id("margin-banner-level")).to_have_text(
        await page.get_by_test_id("margin-level").text_content() or ""
    )
    # The advice raises the level: adding margin lowers it (equity / used margin, SPEC 16).
    await expect(banner).to_contain_text("Close or reduce positions to raise it")
    await expect(banner).not_to_contain_text("Add margin")
    await page.wait_for_function("() => window.__notes.length === 1")
    title, body = (await page.evaluate("() => window.__notes"))[0]
    assert title == "Velox: margin level under 150 %" and "margin level" in body
    assert "Close or reduce positions" in body and "add margin" not in body.lower()
    await page.get_by_role("button", name="Add margin to").click()  # and the dialog says so
    note = page.get_by_test_id("margin-note")
    await expect(note).to_contain_text("margin level goes down")
    await page.get_by_test_id("margin-dialog").get_by_role("button", name="Cancel").click()

    server.feed.set_price("BTCUSDT", "60600")  # back up: the warning goes away
    await expect(banner).to_be_hidden()
    assert await page.evaluate("() => window.__notes.length") == 1
    assert not problems, problems


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_not_found_page(server: Server, browser: Any, size: tuple[int, int]) -> None:
    from playwright.async_api import expect

    page, problems = await new_page(browser, *size)
    response = await page.goto(server.url + "/no/such/page")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="This page does not exist")).to_be_visible()
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    await page.get_by_test_id("home-link").click()
    await expect(page).to_have_url(server.url + "/")
    api = await page.request.get(server.url + "/api/v1/nope", headers={"Accept": "text/html"})
    assert api.status == 404 and (await api.json())["error"]["code"] == "NOT_FOUND"
    assert not problems, problems


async def test_200_positions_touch_only_the_lines_that_change(server: Server, browser: Any) -> None:
    """200 LONGs on BTC (the per-user maximum): 400 lines (entry, liquidation), each created
    once however the 200 opens arrive; a price move changes no line; one stop-loss set on
    one position adds exactly one line. The page keeps answering meanwhile."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    chart = page.get_by_test_id("chart")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    statuses = await page.evaluate(
        """async () => {
          const one = () => fetch('/api/v1/order/open', {method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', Accept: 'application/json'},
            body: JSON.stringify({asset: 'BTCUSDT', side: 'LONG', leverage: 2, margin: '1'})})
            .then((r) => r.status);
          const out = [];
          for (let i = 0; i < 10; i++) {
            out.push(...await Promise.all(Array.from({length: 20}, one)));
          }
          return out;
        }"""
    )
    assert statuses == [201] * 200
    await expect(page.get_by_test_id("open-count")).to_have_text("200")
    await expect(chart).to_have_attribute("data-lines", "400")
    await expect(chart).to_have_attribute("data-line-ops", "400")

    server.feed.set_price("BTCUSDT", "60100")
    await page.wait_for_function(
        "() => document.getElementById('chart-bid').textContent.startsWith('60,0')"
    )
    assert await chart.get_attribute("data-line-ops") == "400"

    (first, *_) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    status = await page.evaluate(
        """async (id) => (await fetch('/api/v1/order/' + id, {method: 'PATCH',
          credentials: 'same-origin', headers: {'Content-Type': 'application/json'},
          body: JSON.stringify({stopLoss: '59000'})})).status""",
        first["orderId"],
    )
    assert status == 200
    await expect(chart).to_have_attribute("data-lines", "401")
    await expect(chart).to_have_attribute("data-line-ops", "401")
    await page.get_by_test_id("tf-5m").click()  # the page still answers
    await expect(chart).to_have_attribute("data-duration", "5m")
    assert not problems, problems


async def test_trailing_stop_line_follows_the_mark(server: Server, browser: Any) -> None:
    """A LONG with a 300 USD trailing stop: its Trail line sits 300 under the best bid, and
    moves up with the bid (order_updated from the websocket), never down."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    chart = page.get_by_test_id("chart")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    order = await _open(
        page, asset="BTCUSDT", side="LONG", leverage=10, margin="100", trailingStop="300"
    )
    await expect(chart).to_have_attribute("data-lines", "3")  # entry, liquidation, trail
    key = f"{order['orderId']}:trail"
    price_of = "([key, want]) => document.getElementById('chart').linePrice(key) === want"
    bid, _ = quote(units("60000"))
    await page.wait_for_function(price_of, arg=[key, (bid - units("300")) / 10**8])
    server.feed.set_price("BTCUSDT", "60400")
    risen, _ = quote(units("60400"))
    await page.wait_for_function(price_of, arg=[key, (risen - units("300")) / 10**8])
    (moved,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert moved["trailingMark"] == format_units(risen)
    server.feed.set_price("BTCUSDT", "60200")  # down: the mark stays
    await page.wait_for_function(
        "() => document.getElementById('chart-bid').textContent.startsWith('60,1')"
    )
    assert await page.evaluate(price_of, [key, (risen - units("300")) / 10**8])
    (still,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert still["trailingMark"] == format_units(risen)
    assert not problems, problems


async def _place_limit(page: Any, price: str, stop_loss: str = "") -> None:
    await page.get_by_test_id("type-limit").click()
    await page.get_by_test_id("order-price").fill(price)
    await page.get_by_test_id("order-sl").fill(stop_loss)
    await page.get_by_test_id("order-expiry").select_option("1d")
    await page.get_by_test_id("order-submit").click()


async def test_limit_order_from_the_ticket_to_the_chart(server: Server, browser: Any) -> None:
    """A LIMIT buy under the ask from the ticket rests: the Pending tab and the chart show it
    (its price and stop-loss lines); dragging its line down moves its price (read back from
    the API); the ask reaching it fills it: a position with its entry, liquidation and
    stop-loss lines; closing leaves a marker. Another limit is cancelled from the tab."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    chart = page.get_by_test_id("chart")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    await expect(page.get_by_test_id("type-group")).to_be_visible()
    await page.get_by_test_id("type-limit").click()
    await page.get_by_test_id("order-price").fill("59850")
    await expect(page.get_by_test_id("order-entry")).to_have_text("59,850.00")
    await expect(page.get_by_test_id("order-fee")).to_have_text("0.00 USD")
    before = now_ms()
    await _place_limit(page, "59850", "59700")
    await expect(page.get_by_test_id("pending-count")).to_have_text("1")
    placed = page.locator('[data-testid="toast"]').filter(has_text="Order placed")
    await expect(placed).to_contain_text("LIMIT @ 59,850.00")  # not 59850.00000000
    (order,) = (await api_json(page, "/api/v1/order/user/orders?status=PENDING"))["orders"]
    assert (order["type"], order["price"], order["stopLoss"]) == (
        "LIMIT",
        "59850.00000000",
        "59700.00000000",
    )
    assert order["expiresAt"] - before in range(86_400_000 - 1000, 86_400_000 + 60_000)
    oid = order["orderId"]
    await page.get_by_test_id("tab-pending").click()
    row = page.get_by_test_id("pending-row")
    await expect(row.get_by_test_id("pending-price")).to_have_text("59,850.00")
    await expect(chart).to_have_attribute("data-lines", "2")  # its price and its stop-loss

    y, sl_y = await _line_y(page, f"{oid}:pending"), await _line_y(page, f"{oid}:sl")
    await _drag(page, f"{oid}:pending", y + (sl_y - y) * 0.4)  # down, still above its SL
    await expect(page.get_by_test_id("toast").filter(has_text="Order price moved")).to_be_visible()
    moved = await api_json(page, f"/api/v1/order/{oid}")
    new_price = units(moved["price"])
    assert units("59700") < new_price < units("59850"), moved["price"]
    await expect(row.get_by_test_id("pending-price")).not_to_have_text("59,850.00")

    # The ask comes down to the limit: it fills at its price (maker).
    server.feed.set_price("BTCUSDT", format_units(new_price - units("50")))
    await expect(page.get_by_test_id("open-count")).to_have_text("1")
    await expect(page.get_by_test_id("pending-count")).to_have_text("0")
    (position,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert (position["openPrice"], position["stopLoss"]) == (moved["price"], "59700.00000000")
    await expect(chart).to_have_attribute("data-lines", "3")  # entry, liquidation, SL
    assert await chart.evaluate(f"(el) => el.linePrice('{position['orderId']}:entry')") == float(
        moved["price"]
    )
    status, _ = await page.evaluate(CLOSE_JS, position["orderId"])
    assert status == 200
    await expect(chart).to_have_attribute("data-markers", "3")  # its close, its two fills

    await _place_limit(page, "59000")
    await expect(page.get_by_test_id("pending-count")).to_have_text("1")
    await page.get_by_test_id("tab-pending").click()
    await row.get_by_test_id("cancel-button").click()
    await expect(page.get_by_test_id("pending-count")).to_have_text("0")
    (cancelled,) = (await api_json(page, "/api/v1/order/user/orders?status=CANCELLED"))["orders"]
    assert cancelled["price"] == "59000.00000000"
    assert not problems, problems


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_account_page(server: Server, browser: Any, size: tuple[int, int]) -> None:
    """Create a NETTING account, rename it, reset it after confirming (cancelling the
    confirmation changes nothing)."""
    from playwright.async_api import expect

    page, problems = await new_page(browser, *size)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await register(page, server.url)
    await page.goto(server.url + "/account")
    await expect(page.get_by_test_id("account-row")).to_have_count(1)  # made at signup
    assert await unlabelled(page) == []

    await page.get_by_test_id("account-name").fill("Scalping")
    await page.get_by_test_id("account-mode").select_option("NETTING")
    await page.get_by_test_id("account-create").click()
    await expect(page.get_by_test_id("account-row")).to_have_count(2)
    (_, created) = (await api_json(page, "/api/v1/accounts"))["accounts"]
    assert (created["name"], created["mode"]) == ("Scalping", "NETTING")
    row = page.locator(f'[data-testid="account-row"][data-account-id="{created["accountId"]}"]')
    await row.get_by_role("button", name="Rename Scalping").click()
    await page.get_by_test_id("rename-name").fill("Swing")
    await page.get_by_test_id("rename-save").click()
    await expect(row.get_by_test_id("account-row-name")).to_have_text("Swing")

    # A TradingView webhook token, shown once: an alert with it opens a position there.
    await row.get_by_test_id("account-webhook").click()
    await page.get_by_test_id("webhook-confirm").click()  # the old token stops working
    await expect(page.get_by_test_id("webhook-value")).not_to_be_empty()
    sideways = await page.evaluate(  # the box's URL once made a phone's page scroll sideways
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"the page scrolls sideways by {sideways}px"
    token = await page.get_by_test_id("webhook-value").text_content()
    assert token and token.startswith(created["accountId"] + ".")
    hook = await page.request.post(
        server.url + "/api/v1/webhooks/tradingview",
        data={"token": token, "action": "buy", "asset": "ETHUSDT", "leverage": 5, "margin": "10"},
    )
    assert hook.status == 201, await hook.text()
    opened = await api_json(page, f"/api/v1/order/user/orders?account={created['accountId']}")
    assert [(o["asset"], o["side"]) for o in opened["orders"]] == [("ETHUSDT", "LONG")]
    await page.get_by_test_id("webhook-done").click()
    await expect(page.get_by_test_id("webhook-box")).to_be_hidden()

    # Reset asks first; cancelling the dialog changes nothing.
    status, _ = await page.evaluate(
        """async (id) => { const r = await fetch('/api/v1/order/open', {method: 'POST',
          headers: {'Content-Type': 'application/json', 'X-Velox-Account': id},
          body: JSON.stringify({asset: 'BTCUSDT', side: 'LONG', leverage: 10, margin: '100'})});
          return [r.status, await r.json()]; }""",
        created["accountId"],
    )
    assert status == 201
    balance = f"/api/v1/order/user/balance?account={created['accountId']}"
    assert (await api_json(page, balance))["balance"] == "890.00000000"
    await row.get_by_test_id("account-reset").click()
    await expect(page.get_by_test_id("reset-dialog")).to_be_visible()
    await page.get_by_test_id("reset-dialog").get_by_role("button", name="Cancel").click()
    assert (await api_json(page, balance))["balance"] == "890.00000000"
    await row.get_by_test_id("account-reset").click()
    await page.get_by_test_id("reset-confirm").click()
    await expect(page.get_by_test_id("toast").filter(has_text="Account reset")).to_be_visible()
    assert (await api_json(page, balance))["balance"] == "1000.00000000"

    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the account page scrolls sideways by {overflow}px"
    assert not problems, problems


async def test_api_keys_on_the_account_page(server: Server, browser: Any) -> None:
    """Create an API key that trades for a NETTING account (a HEDGING account's keys only
    read, SPEC 13): its secret shown once, copied; see it listed without the secret, revoke
    it."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    await register(page, server.url)
    made = await page.request.post(
        server.url + "/api/v1/accounts", data={"name": "Bots", "mode": "NETTING"}
    )
    assert made.status == 201, await made.text()
    await page.goto(server.url + "/account")
    await expect(page.get_by_test_id("account-row")).to_have_count(2)
    (_, created) = (await api_json(page, "/api/v1/accounts"))["accounts"]
    await page.get_by_test_id("key-name").fill("my bot")
    await page.get_by_test_id("key-account").select_option(created["accountId"])
    await page.get_by_test_id("key-permissions").select_option("read,trade")
    await page.get_by_test_id("key-create").click()
    secret = page.get_by_test_id("secret-value")
    await expect(secret).not_to_be_empty()
    shown = await secret.text_content()
    await page.get_by_test_id("secret-copy").click()
    await expect(page.get_by_test_id("toast").filter(has_text="Secret copied")).to_be_visible()
    assert await page.evaluate("() => navigator.clipboard.readText()") == shown
    (key,) = (await api_json(page, "/api/v1/api-keys"))["apiKeys"]
    assert "secret" not in key
    assert (key["name"], key["accountId"], key["permissions"]) == (
        "my bot",
        created["accountId"],
        ["read", "trade"],
    )
    await expect(page.get_by_test_id("key-row")).to_have_count(1)
    assert shown not in (await page.get_by_test_id("keys-table").text_content() or "")
    await page.get_by_test_id("secret-done").click()
    await expect(page.get_by_test_id("secret-box")).to_be_hidden()
    await page.get_by_test_id("key-revoke").click()
    await page.get_by_test_id("revoke-confirm").click()
    await expect(page.get_by_test_id("keys-empty")).to_be_visible()
    assert (await api_json(page, "/api/v1/api-keys"))["apiKeys"] == []
    assert not problems, problems


ROUND_TRIPS_JS = """async (n) => {
  const post = (path, body) => fetch(path, {method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body)});
  let done = 0;
  const lane = async (count) => {  // five at once: their commits share the journal's writes
    for (let i = 0; i < count; i++) {
      const opened = await (await post('/api/v1/order/open',
        {asset: 'SOLUSDT', side: 'LONG', leverage: 2, margin: '1'})).json();
      const closed = await post('/api/v1/order/close/' + opened.orderId);
      if (closed.status !== 200) return;
      done += 1;
    }
  };
  const lanes = [0, 1, 2, 3, 4].map((k) => Math.floor(n / 5) + (k < n % 5 ? 1 : 0));
  await Promise.all(lanes.map(lane));
  return done;
}"""


async def test_the_history_page_reads_every_row_and_names_its_account(
    server: Server, browser: Any
) -> None:
    """Past 500 closed positions the page showed the newest 500 as "500 positions", and
    there was no way to the rest; nor did it say which account it showed (an outside
    review). It names the account, says "newest 500 of 505", and "Show older" reads the
    rest, no row twice."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.goto(f"{server.url}/healthz")  # off the trade screen, which would draw each
    assert await page.evaluate(ROUND_TRIPS_JS, 505) == 505  # of the 1,010 changes
    await page.goto(f"{server.url}/trade")
    await page.get_by_test_id("history-link").click()
    await expect(page.get_by_test_id("history-account")).to_have_text("Account: Main · Hedging")
    rows = page.get_by_test_id("history-row")
    await expect(rows).to_have_count(500)
    await expect(page.get_by_test_id("history-count")).to_have_text("newest 500 of 505 positions")
    await page.get_by_test_id("positions-more").click()
    await expect(rows).to_have_count(505)
    await expect(page.get_by_test_id("history-count")).to_have_text("505 positions")
    await expect(page.get_by_test_id("positions-more")).to_be_hidden()
    ids = await rows.evaluate_all("(rows) => rows.map((r) => r.dataset.orderId)")
    assert len(set(ids)) == 505

    fills = page.get_by_test_id("fill-row")
    await expect(fills).to_have_count(500)  # 1,010 fills: two pages more
    await expect(page.get_by_test_id("fills-count")).to_have_text("newest 500 fills")
    await page.get_by_test_id("fills-more").click()
    await expect(fills).to_have_count(1000)
    await page.get_by_test_id("fills-more").click()
    await expect(fills).to_have_count(1010)
    await expect(page.get_by_test_id("fills-more")).to_be_hidden()
    await expect(page.get_by_test_id("fills-count")).to_have_text("1010 fills")

    # "Show older" still on its way when the filter changes: its page is not shown with the
    # new filter's rows (it was, and the new filter's first page was read after it).
    await page.get_by_test_id("filter-apply").click()
    await expect(rows).to_have_count(500)

    async def slowly(route: Any) -> None:
        await asyncio.sleep(1.5)
        await route.continue_()

    await page.route("**/api/v1/history/positions?*endTime*", slowly)
    await page.get_by_test_id("positions-more").click()
    await page.get_by_test_id("filter-asset").select_option("ETHUSDT")
    await page.get_by_test_id("filter-apply").click()
    await expect(page.get_by_test_id("history-empty")).to_be_visible()
    await page.wait_for_timeout(2500)  # the slow page has come back meanwhile
    await expect(rows).to_have_count(0)
    assert problems == []
