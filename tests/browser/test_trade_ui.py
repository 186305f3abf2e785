"""The browser UI end to end: a real app on a free port, a price feed the test controls, and
headless Debian Chromium driven by Playwright.

The feed pushes trades (history for the chart, then a steady pulse at the price the test
sets) through the same sink as a real exchange feed, so the engine, the candle writer and the
websocket all run for real. Expected figures are computed here in exact integers with the
formulas of SPEC sections 2-4 and compared with what the page shows and what the API says.

Set VELOX_SCREENSHOT=1 to also write docs/screenshot.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from velox.money import SCALE, format_units, units

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
CHARTS = REPO / "static" / "vendor" / "lightweight-charts.standalone.production.js"
PASSWORD = "correct horse battery staple"
SPREAD = units("0.001")
MMR = units("0.1")
START = {"BTCUSDT": "60000", "ETHUSDT": "3000", "SOLUSDT": "150"}
TIMEOUT_MS = 15_000


# -------------------------------------------------------------------------- exact formulas


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def quote(ref: int) -> tuple[int, int]:
    """(bid, ask) of SPEC section 2: bid rounded down, ask rounded up."""
    half = SPREAD // 2
    bid = (ref * (SCALE - half)) // SCALE
    ask = -((-ref * (SCALE + half)) // SCALE)
    return bid, ask


def open_qty(margin: int, leverage: int, price: int) -> int:
    return (margin * leverage * SCALE) // price


def long_liq(price: int, margin: int, qty: int) -> int:
    return price - (margin * (SCALE - MMR)) // qty


def long_pnl(open_price: int, bid: int, qty: int) -> int:
    return ((bid - open_price) * qty) // SCALE


def display(value: int, dp: int = 2) -> str:
    """What format.js shows: dp decimals, half away from zero, thousands separators, U+2212."""
    neg = value < 0
    step = 10 ** (8 - dp)
    rounded = (abs(value) + step // 2) // step
    whole, frac = divmod(rounded, 10**dp)
    text = f"{whole:,}.{frac:0{dp}d}"
    return f"\u2212{text}" if neg and rounded else text


def qty_text(qty: int) -> str:
    whole, frac = divmod(qty, SCALE)
    digits = f"{frac:08d}".rstrip("0").ljust(2, "0")
    return f"{whole:,}.{digits}"


# -------------------------------------------------------------------------- a feed we control


class ControlledFeed:
    """Trades at prices the test sets: seeded history first, then a pulse every 0.5 s at the
    current price of every symbol (so quotes never go stale while the browser works)."""

    name = "test"

    def __init__(self, prices: dict[str, str], *, history_minutes: int = 150, seed: int = 7):
        self.prices = {s: units(p) for s, p in prices.items()}
        self.last_tick_ms: dict[str, int] = {}
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._next_id = 1
        self._history_minutes = history_minutes
        self._rng = random.Random(seed)

    @property
    def simulated(self) -> bool:
        return True  # test prices are not a market: the page must say so

    @property
    def connected(self) -> bool:
        return True

    def _tick(self, symbol: str, price: int, exchange_ms: int) -> Any:
        from velox.feeds.base import FeedTick

        self._next_id += 1
        qty = units("0.01") + self._rng.randrange(0, 10**6)
        return FeedTick(
            symbol=symbol,
            received_ms=now_ms(),
            trade_price=price,
            trade_qty=qty,
            trade_id=self._next_id,
            exchange_ms=exchange_ms,
        )

    def _history(self) -> list[Any]:
        """A random walk per symbol, one trade every 15 s, ending at the current price."""
        ticks = []
        end = now_ms()
        steps = self._history_minutes * 4
        for symbol, last in self.prices.items():
            walk = [0.0]
            for _ in range(steps):
                walk.append(walk[-1] + self._rng.gauss(0, 0.0012))
            for i, w in enumerate(walk[:-1]):
                price = round(last * math.exp(w - walk[-1]) / 10**6) * 10**6  # to the cent
                ticks.append((end - (steps - i) * 15_000, symbol, price))
        ticks.sort()
        return [self._tick(symbol, price, ts) for ts, symbol, price in ticks]

    def set_price(self, symbol: str, price: str) -> None:
        self.prices[symbol] = units(price)
        self._queue.put_nowait(self._tick(symbol, self.prices[symbol], now_ms()))

    async def run(self, sink: Any) -> None:
        for tick in self._history():
            await self._emit(sink, tick)
        while True:
            for symbol, price in self.prices.items():
                await self._emit(sink, self._tick(symbol, price, now_ms()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    while True:
                        await self._emit(sink, await self._queue.get())

    async def _emit(self, sink: Any, tick: Any) -> None:
        self.last_tick_ms[tick.symbol] = tick.received_ms
        await sink(tick)


# -------------------------------------------------------------------------- fixtures


@dataclass
class Server:
    url: str
    feed: ControlledFeed
    app: Any


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Before anything starts: skip without Chromium (fail with CI=true)."""
    require(os.access(CHROMIUM, os.X_OK), f"Chromium is not installed at {CHROMIUM}")
    require(CHARTS.is_file(), f"{CHARTS} is missing: run `make charts`")


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    app_module = REPO / "velox" / "web" / "app.py"
    require(app_module.exists(), "the HTTP API (velox/web/app.py) is not there yet")
    from aiohttp import web

    from velox.config import Settings
    from velox.web.app import create_app
    from velox.web.options import WebOptions

    settings = Settings(
        db=f"sqlite:///{tmp_path / 'velox.db'}",
        data_dir=str(tmp_path / "data"),
        feed="sim",
        jwt_secret="browser-test-secret-" + uuid.uuid4().hex,
        rate_limit_auth=0,
        rate_limit_orders=0,
        snapshot_interval=3600.0,
    )
    feed = ControlledFeed(START)
    app = create_app(settings, feed=feed, options=WebOptions(bcrypt_rounds=4))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Server(f"http://127.0.0.1:{port}", feed, app)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Any, width: int = 1280, height: int = 720) -> tuple[Any, list[str]]:
    context = await browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))

    def on_console(msg: Any) -> None:
        # Chromium logs every 4xx/5xx fetch ("Failed to load resource"); the tests provoke
        # some on purpose (wrong password, refused stop-loss) and check the page's message.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console: {msg.text}")

    page.on("console", on_console)
    return page, problems


async def register(page: Any, url: str) -> str:
    """Through the pages: landing -> register -> /trade. Returns the email."""
    from playwright.async_api import expect

    email = f"trader-{uuid.uuid4().hex[:10]}@example.com"
    await page.goto(url + "/")
    await page.get_by_test_id("register-link").click()
    await expect(page).to_have_url(url + "/register")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_test_id("register-submit").click()
    await expect(page).to_have_url(url + "/trade")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    await expect(page.get_by_test_id("user-email")).to_have_text(email)
    return email


async def fill_order(page: Any, side: str, margin: str, leverage: int) -> None:
    await page.get_by_test_id(f"side-{side.lower()}").click()
    await page.get_by_label("Margin (USD)").fill(margin)
    await page.get_by_label("Leverage").evaluate(
        "(el, v) => { el.value = String(v);"
        " el.dispatchEvent(new Event('input', {bubbles: true})); }",
        leverage,
    )


UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter((el) => el.type !== 'hidden')
  .filter((el) => !((el.getAttribute('aria-label') || '').trim()
    || [...(el.labels || [])].some((l) => l.textContent.trim())
    || el.getAttribute('aria-labelledby')
    || (el.tagName === 'BUTTON' && el.textContent.trim())))
  .map((el) => el.id || el.outerHTML.slice(0, 80))"""


async def unlabelled(page: Any) -> list[str]:
    """Form controls without an accessible name (label, aria-label or text)."""
    found: list[str] = await page.evaluate(UNLABELLED_JS)
    return found


def candle_channels(server: Server) -> set[tuple[str, str]]:
    """The (symbol, duration) candle channels someone is subscribed to, per the hub."""
    from velox.web.keys import HUB

    return {key for key, subs in server.app[HUB]._by_channel.items() if subs}


async def wait_for(condition: Any, timeout: float = TIMEOUT_MS / 1000) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def select_asset(page: Any, symbol: str) -> None:
    await page.locator(f'[data-testid="asset-row"][data-symbol="{symbol}"]').click()


async def api_json(page: Any, path: str) -> Any:
    response = await page.request.get(page.url.split("/trade")[0] + path)
    assert response.ok, f"{path}: {response.status}"
    return await response.json()


async def screenshot(page: Any, path: Path, name: str) -> None:
    await page.screenshot(path=str(path / name))
    if os.environ.get("VELOX_SCREENSHOT") == "1" and name == "trade.png":
        (REPO / "docs").mkdir(exist_ok=True)
        await page.screenshot(path=str(REPO / "docs" / "screenshot.png"))


# -------------------------------------------------------------------------- tests


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


async def test_auth_pages(server: Server, browser: Any) -> None:
    """Signed out /trade goes to /signin; a wrong password shows the API's message; the
    magic-link tab says to check the email; signing in lands on /trade."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    for path in ("/", "/register", "/signin"):
        await page.goto(server.url + path)
        assert await unlabelled(page) == [], path
    email = await register(page, server.url)
    await page.get_by_test_id("signout").click()
    await expect(page).to_have_url(server.url + "/")
    await page.goto(server.url + "/trade")
    await expect(page).to_have_url(server.url + "/signin")

    await page.get_by_test_id("signin-email").fill(email)
    await page.get_by_test_id("signin-password").fill("not the password")
    await page.get_by_test_id("signin-submit").click()
    error = page.get_by_test_id("signin-form").get_by_test_id("form-error")
    await expect(error).to_be_visible()
    await expect(error).not_to_be_empty()

    await page.get_by_test_id("tab-magic").click()
    await expect(page.get_by_test_id("magic-email")).to_have_value(email)
    await page.get_by_test_id("magic-submit").click()
    await expect(page.get_by_test_id("magic-sent")).to_contain_text("Check your email")
    await expect(page.get_by_test_id("magic-sent")).to_contain_text(email)

    await page.get_by_test_id("tab-password").click()
    await page.get_by_test_id("signin-password").fill(PASSWORD)
    await page.get_by_test_id("signin-submit").click()
    await expect(page).to_have_url(server.url + "/trade")
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    assert not problems, problems
