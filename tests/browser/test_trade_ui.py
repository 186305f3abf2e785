"""The trade screen end to end: register, trade, watch PnL follow the price, liquidation,
reconnecting, the phone layout and the position tools, against a real app (conftest.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import (
    START,
    Server,
    api_json,
    candle_channels,
    chart_at,
    display,
    fill_order,
    long_liq,
    long_pnl,
    new_page,
    now_ms,
    open_qty,
    qty_text,
    quote,
    register,
    screenshot,
    select_asset,
    unlabelled,
    wait_for,
)
from velox.money import format_units, units

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_trade_round_trip(server: Server, browser: Any, tmp_path: Path) -> None:
    """Register, see candles, open a 10x LONG, watch its PnL follow a price move, close it,
    find it in the closed positions (MANUAL), and the top bar agrees with the API."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await expect(page.get_by_test_id("sim-banner")).to_be_visible()
    await expect(page.get_by_test_id("balance")).to_have_attribute("data-value", "1000.00000000")

    # The chart shows the seeded history, and switching timeframe reloads it.
    chart = page.get_by_test_id("chart")
    await expect(chart).to_have_attribute("data-symbol", "BTCUSDT")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    assert int(await chart.get_attribute("data-candles") or 0) >= 100
    await page.get_by_test_id("tf-5m").click()
    await expect(chart).to_have_attribute("data-duration", "5m")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    await page.get_by_test_id("tf-1m").click()
    await expect(chart).to_have_attribute("data-duration", "1m")
    await wait_for(lambda: candle_channels(server) == {("BTCUSDT", "1m")})  # 5m unsubscribed
    await select_asset(page, "ETHUSDT")
    await expect(chart).to_have_attribute("data-symbol", "ETHUSDT")
    await expect(page.get_by_test_id("order-symbol")).to_have_text("ETHUSDT")
    await wait_for(lambda: candle_channels(server) == {("ETHUSDT", "1m")})
    await select_asset(page, "BTCUSDT")
    await expect(chart).to_have_attribute("data-symbol", "BTCUSDT")

    # The market watch quotes every asset with the spread of SPEC section 2.
    bid, ask = quote(units(START["BTCUSDT"]))
    btc = page.locator('[data-testid="asset-row"][data-symbol="BTCUSDT"]')
    await expect(btc.get_by_test_id("asset-bid")).to_have_text(display(bid))
    await expect(btc.get_by_test_id("asset-ask")).to_have_text(display(ask))
    await expect(page.get_by_test_id("asset-row")).to_have_count(3)

    # The ticket shows the size and liquidation estimate before submitting.
    margin, leverage = units("100"), 10
    qty = open_qty(margin, leverage, ask)
    liq = long_liq(ask, margin, qty)
    await fill_order(page, "LONG", "100", leverage)
    await expect(page.get_by_test_id("order-leverage-value")).to_have_text("10x")
    await expect(page.get_by_test_id("order-size")).to_have_text(f"{qty_text(qty)} BTC")
    await expect(page.get_by_test_id("order-liq")).to_have_text(display(liq))
    await page.get_by_test_id("order-submit").click()

    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    await expect(page.locator('[data-testid="toast"][data-kind="success"]')).to_be_visible()
    await expect(row.get_by_test_id("position-liq")).to_have_text(display(liq))
    await expect(row.get_by_test_id("position-liq")).to_have_attribute(
        "data-value", format_units(liq)
    )
    pnl_at_open = long_pnl(ask, bid, qty)
    await expect(row.get_by_test_id("position-pnl")).to_have_attribute(
        "data-value", format_units(pnl_at_open)
    )
    await expect(page.get_by_test_id("balance")).to_have_attribute("data-value", "900.00000000")
    await expect(page.get_by_test_id("used-margin")).to_have_text("100.00")

    # A price move: the row's PnL follows, exactly as the server computes it.
    server.feed.set_price("BTCUSDT", "61000")
    new_bid, _ = quote(units("61000"))
    moved = long_pnl(ask, new_bid, qty)
    pnl = row.get_by_test_id("position-pnl")
    await expect(pnl).to_have_attribute("data-value", format_units(moved))
    await expect(pnl).to_have_text("+" + display(moved))
    await expect(pnl).to_have_class("pos")
    assert await unlabelled(page) == []  # with a position row and its buttons
    (order,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert order["unrealizedPnl"] == format_units(moved)
    account = await api_json(page, "/api/v1/order/user/balance")
    await expect(page.get_by_test_id("equity")).to_have_attribute("data-value", account["equity"])
    # The live candle follows the trades (raw prices, not quotes).
    await expect(chart).to_have_attribute("data-last-close", "61000.00000000")
    await screenshot(page, tmp_path, "trade.png")

    # Close it: it leaves the open table and shows up closed, reason MANUAL.
    await row.get_by_test_id("close-button").click()
    await expect(row).to_have_count(0)
    await expect(page.get_by_test_id("open-empty")).to_be_visible()
    await page.get_by_test_id("tab-closed").click()
    closed = page.get_by_test_id("closed-position-row")
    await expect(closed).to_have_count(1)
    await expect(closed.get_by_test_id("close-reason")).to_have_attribute("data-reason", "MANUAL")
    await expect(closed.get_by_test_id("close-reason")).to_have_text("Manual")
    (done,) = (await api_json(page, "/api/v1/order/user/orders?status=CLOSED"))["orders"]
    assert done["closeReason"] == "MANUAL"
    assert done["pnl"] == format_units(moved)
    await expect(closed.get_by_test_id("realized-pnl")).to_have_attribute("data-value", done["pnl"])

    # The top bar equals the API's account figures.
    account = await api_json(page, "/api/v1/order/user/balance")
    assert account["balance"] == format_units(units("1000") + moved)
    balance = page.get_by_test_id("balance")
    await expect(balance).to_have_attribute("data-value", account["balance"])
    await expect(balance).to_have_text(display(units(account["balance"])))
    await expect(page.get_by_test_id("equity")).to_have_attribute("data-value", account["equity"])
    await expect(page.get_by_test_id("margin-level")).to_have_text("—")
    await screenshot(page, tmp_path, "trade-closed.png")
    assert await unlabelled(page) == []
    assert not problems, problems


async def test_liquidation_toast(server: Server, browser: Any, tmp_path: Path) -> None:
    """A gap below the liquidation price: the server liquidates, the page shows a red toast
    and moves the position to the closed table with reason LIQUIDATION."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    _, ask = quote(units(START["BTCUSDT"]))
    margin, leverage = units("50"), 100
    qty = open_qty(margin, leverage, ask)
    liq = long_liq(ask, margin, qty)
    await fill_order(page, "LONG", "50", leverage)
    await expect(page.get_by_test_id("order-liq")).to_have_text(display(liq))
    await page.get_by_test_id("order-submit").click()
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)

    server.feed.set_price("BTCUSDT", "59000")  # bid 58970.50, far below liq (~59490)
    toast = page.locator('[data-testid="toast"][data-kind="liquidation"]')
    await expect(toast).to_be_visible()
    await expect(toast).to_contain_text("Liquidated")
    await expect(row).to_have_count(0)
    await page.get_by_test_id("tab-closed").click()
    closed = page.get_by_test_id("closed-position-row")
    await expect(closed).to_have_count(1)
    await expect(closed.get_by_test_id("close-reason")).to_have_attribute(
        "data-reason", "LIQUIDATION"
    )
    account = await api_json(page, "/api/v1/order/user/balance")
    await expect(page.get_by_test_id("balance")).to_have_attribute("data-value", account["balance"])
    await screenshot(page, tmp_path, "liquidated.png")
    assert not problems, problems


async def test_reconnect_resync(server: Server, browser: Any) -> None:
    """The server drops the socket and tickets fail for a while: the page shows it, retries
    with backoff, and on reconnecting catches up with a liquidation it missed meanwhile."""
    import re

    from playwright.async_api import expect

    from velox.web.keys import HUB

    page, problems = await new_page(browser)
    await register(page, server.url)
    conn = page.get_by_test_id("conn-state")
    await expect(conn).to_have_attribute("data-connects", "1")
    await fill_order(page, "LONG", "50", 100)
    await page.get_by_test_id("order-submit").click()
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)

    await page.route("**/api/v1/user/ws-ticket", lambda route: route.abort())
    server.app[HUB].close_all()
    await expect(conn).to_have_attribute("data-state", re.compile("reconnecting|connecting"))
    server.feed.set_price("BTCUSDT", "59000")  # liquidates while the page is cut off
    await asyncio.sleep(1.0)
    await expect(row).to_have_count(1)  # nothing told the page yet
    await page.unroute("**/api/v1/user/ws-ticket")

    await expect(conn).to_have_attribute("data-state", "live")
    await expect(conn).to_have_attribute("data-connects", "2")
    await expect(page.locator('[data-testid="toast"][data-kind="liquidation"]')).to_be_visible()
    await expect(row).to_have_count(0)
    # The candle subscription came back with the new socket.
    server.feed.set_price("BTCUSDT", "59500")
    await expect(page.get_by_test_id("chart")).to_have_attribute(
        "data-last-close", "59500.00000000"
    )
    problems = [p for p in problems if "ws-ticket" not in p and "ERR_FAILED" not in p]
    assert not problems, problems


async def test_the_chart_reads_the_candles_it_missed_while_disconnected(
    server: Server, browser: Any
) -> None:
    """On the 1 s chart, candles formed while the socket was down were never fetched: after
    reconnecting the chart lacked them for good (an outside review). Reconnected, the chart
    asks for its history again, which holds them."""
    import re

    from playwright.async_api import expect

    from velox.web.keys import HUB

    page, problems = await new_page(browser)
    await register(page, server.url)
    conn = page.get_by_test_id("conn-state")
    await page.get_by_test_id("tf-1s").click()
    chart = page.get_by_test_id("chart")
    await expect(chart).to_have_attribute("data-duration", "1s")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/candles?" in r.url else None)

    await page.route("**/api/v1/user/ws-ticket", lambda route: route.abort())
    server.app[HUB].close_all()
    await expect(conn).to_have_attribute("data-state", re.compile("reconnecting|connecting"))
    for price in ("60100", "60200", "60300"):  # a candle a second, none of them sent
        await asyncio.sleep(1.05)
        server.feed.set_price("BTCUSDT", price)
    await asyncio.sleep(1.05)
    assert asked == []
    await page.unroute("**/api/v1/user/ws-ticket")
    await expect(conn).to_have_attribute("data-connects", "2")
    await expect(conn).to_have_attribute("data-state", "live")

    await wait_for(lambda: any("duration=1s" in url for url in asked))
    (url,) = asked
    history = (await api_json(page, url[url.index("/api/") :]))["candles"]
    closes = [c["close"] for c in history]
    assert all(f"{p}.00000000" in closes for p in (60100, 60200, 60300)), closes[-8:]
    await expect(chart).to_have_attribute("data-last-close", "60300.00000000")
    problems = [p for p in problems if "ws-ticket" not in p and "ERR_FAILED" not in p]
    assert not problems, problems


async def test_the_chart_reads_history_filled_in_behind_it(server: Server, browser: Any) -> None:
    """History written behind the newest candle (an outage or a restart filled in from the
    exchange) is never sent as live candles: the chart shown is told (``candles_filled``)
    and reads its history again. (An open chart lacked those bars until the page was
    reloaded: an outside review.)"""
    from playwright.async_api import expect

    from velox.store.records import CandleRecord
    from velox.web.keys import HUB, STORE

    page, problems, chart = await chart_at(server, browser, "1m")
    await expect(chart).not_to_have_attribute("data-candles", "0")
    shown = int(await chart.get_attribute("data-candles") or 0)
    oldest = (await api_json(page, "/api/v1/candles?asset=BTCUSDT&duration=1m&limit=500"))[
        "candles"
    ][0]["time"]
    before = oldest - 5 * 60_000  # a bar five minutes before the first one shown
    price = units("60000")
    await server.app[STORE].put_candles(
        [CandleRecord("BTCUSDT", "1m", before, price, price, price, price, units("1"))]
    )
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/candles?" in r.url else None)
    server.app[HUB].publish_history("ETHUSDT", "1m")  # another series: nothing to read
    server.app[HUB].publish_history("BTCUSDT", "5m")
    await asyncio.sleep(0.5)
    assert asked == []
    server.app[HUB].publish_history("BTCUSDT", "1m")
    await expect(chart).to_have_attribute("data-candles", str(shown + 1))
    assert len(asked) == 1 and "duration=1m" in asked[0]
    assert not problems, problems


async def test_scrolling_back_loads_older_history(server: Server, browser: Any) -> None:
    """The chart opens with the newest 500 candles; dragged back in time, it reads the page
    before its first bar each time it nears it, until it shows every stored candle, in
    order and once each. (Scrolling left never loaded anything older: an outside review.)"""
    from playwright.async_api import expect

    from velox.store.records import CandleRecord
    from velox.web.keys import STORE

    first = (now_ms() // 60_000 - 150) * 60_000  # where the feed's own history begins
    price = units("60000")
    older = [CandleRecord("BTCUSDT", "1m", first - i * 60_000, price, price, price, price,
                          units("1")) for i in range(1, 601)]  # fmt: skip
    await server.app[STORE].put_candles(older)
    page, problems, chart = await chart_at(server, browser, "1m")
    await expect(chart).to_have_attribute("data-candles", "500")
    box = await chart.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2

    async def stored() -> list[int]:
        rows = await api_json(page, f"/api/v1/candles?asset=BTCUSDT&duration=1m&startTime="
                                    f"{first - 700 * 60_000}&limit=1000")  # fmt: skip
        return [c["time"] for c in rows["candles"]]

    for _ in range(40):  # drag right: back in time
        if await chart.get_attribute("data-candles") == str(len(await stored())):
            break
        await page.mouse.move(box["x"] + 60, y)
        await page.mouse.down()
        await page.mouse.move(box["x"] + box["width"] - 60, y, steps=8)
        await page.mouse.up()
        await asyncio.sleep(0.2)
    times = await stored()
    assert times[0] == older[-1].time and times == sorted(set(times))
    await expect(chart).to_have_attribute("data-candles", str(len(times)))
    assert not problems, problems


async def test_phone_layout(server: Server, browser: Any, tmp_path: Path) -> None:
    """390 px wide: everything stacks, nothing scrolls sideways, the ticket still works."""
    from playwright.async_api import expect

    page, problems = await new_page(browser, 390, 844)
    await register(page, server.url)
    await expect(page.get_by_test_id("chart")).not_to_have_attribute("data-candles", "0")
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    await fill_order(page, "SHORT", "25", 5)
    await page.get_by_test_id("order-submit").click()
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    await row.get_by_test_id("close-button").scroll_into_view_if_needed()
    await expect(row.get_by_test_id("close-button")).to_be_visible()
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px with a position open"
    await page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    assert not problems, problems


async def test_position_tools(server: Server, browser: Any) -> None:
    """Partial close (PARTIAL row, rest stays open), edit stops, add margin."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await fill_order(page, "LONG", "200", 20)
    await page.get_by_test_id("order-submit").click()
    row = page.get_by_test_id("open-position-row")
    await expect(row).to_have_count(1)
    order_id = await row.get_attribute("data-order-id")

    await row.locator('[data-testid="partial-close"][data-percent="25"]').click()
    await expect(row.get_by_test_id("position-margin")).to_have_attribute(
        "data-value", "150.00000000"
    )
    await page.get_by_test_id("tab-closed").click()
    await expect(page.get_by_test_id("closed-position-row")).to_have_count(1)
    await expect(page.get_by_test_id("close-reason")).to_have_attribute("data-reason", "PARTIAL")
    await page.get_by_test_id("tab-open").click()
    await expect(row).to_have_attribute("data-order-id", order_id or "")

    await row.get_by_test_id("edit-button").click()
    await page.get_by_test_id("edit-sl").fill("55000")
    await page.get_by_test_id("edit-tp").fill("70000")
    await page.get_by_test_id("edit-save").click()
    await expect(page.get_by_test_id("edit-dialog")).to_be_hidden()
    await expect(row.get_by_test_id("position-stops")).to_have_text("55,000.00 / 70,000.00 / —")

    await row.get_by_test_id("edit-button").click()
    await page.get_by_test_id("edit-sl").fill("65000")  # above the bid: refused by the API
    await page.get_by_test_id("edit-save").click()
    error = page.get_by_test_id("edit-dialog").get_by_test_id("form-error")
    await expect(error).to_be_visible()
    await page.get_by_test_id("edit-dialog").get_by_role("button", name="Cancel").click()

    before = units(await row.get_by_test_id("position-liq").get_attribute("data-value") or "0")
    await row.get_by_test_id("add-margin-button").click()
    await page.get_by_test_id("margin-amount").fill("50")
    await page.get_by_test_id("margin-save").click()
    await expect(row.get_by_test_id("position-margin")).to_have_attribute(
        "data-value", "200.00000000"
    )
    after = units(await row.get_by_test_id("position-liq").get_attribute("data-value") or "0")
    assert after < before
    (order,) = (await api_json(page, "/api/v1/order/user/orders?status=OPEN"))["orders"]
    assert order["stopLoss"] == "55000.00000000"
    assert order["margin"] == "200.00000000"
    assert not problems, problems


FIGURES_FIT = """() => {
  const figs = [...document.querySelectorAll('.account .fig')]
    .filter((f) => getComputedStyle(f).display !== 'none');
  const spills = figs.filter((f) => f.scrollWidth > f.clientWidth + 1)
    .map((f) => f.querySelector('dt').textContent);
  const rects = figs.map((f) => f.getBoundingClientRect());
  const name = (f) => f.querySelector('dt').textContent;
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1
    && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const overlaps = [];
  rects.forEach((a, i) => rects.slice(i + 1).forEach((b, j) => {
    if (meet(a, b)) overlaps.push([name(figs[i]), name(figs[i + 1 + j])]);
  }));
  const page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
  return { shown: figs.length, spills, overlaps, page };
}"""


@pytest.mark.parametrize("width", [1024, 1280, 1366, 1440, 1920])
async def test_the_top_bars_figures_never_overlap(server: Server, browser: Any, width: int) -> None:
    """At common desktop widths the eight account figures ran into each other ("BALANCE
    EQUITY", values printed over one another): an outside review. Each keeps its own box."""
    page, problems = await new_page(browser, width, 800)
    await register(page, server.url)
    fit = await page.evaluate(FIGURES_FIT)
    assert (fit["spills"], fit["overlaps"], fit["page"]) == ([], [], 0), fit
    assert fit["shown"] == 8, fit  # all of them, floating P/L included
    assert problems == []
