"""What the browser tests share: a price feed the test controls, the exact formulas the
expected figures come from, and helpers that drive the pages.

The feed pushes trades (history for the chart, then a steady pulse at the price the test
sets) through the same sink as a real exchange feed, so the engine, the candle writer and the
websocket all run for real. Expected figures are computed here in exact integers with the
formulas of SPEC sections 2-4 (written again here, not imported from the engine) and compared
with what the page shows and what the API says.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import random
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from velox.clock import SystemClock
from velox.money import SCALE, units

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
DAY_MS = 86_400_000


# -------------------------------------------------------------------------- exact formulas


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ShiftedClock:
    """Real time moved by ``offset_ms``, for the whole app (engine and wall time alike), so a
    test can see a UTC midnight come within seconds."""

    def __init__(self, offset_ms: int) -> None:
        self.offset_ms = offset_ms
        self._real = SystemClock()

    def now_ms(self) -> int:
        return self._real.now_ms() + self.offset_ms

    def wall_ms(self) -> int:
        return self._real.wall_ms() + self.offset_ms


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
    recorded = True  # its seeded history is 150 minutes of past trades, filed as a replay's

    def __init__(
        self,
        prices: dict[str, str],
        *,
        history_minutes: int = 150,
        seed: int = 7,
        offset_ms: int = 0,
    ):
        self.prices = {s: units(p) for s, p in prices.items()}
        self.offset_ms = offset_ms  # the ShiftedClock's: trades are stamped in its time
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

    def exchange_now(self) -> int:
        return now_ms() + self.offset_ms

    def _tick(self, symbol: str, price: int, exchange_ms: int) -> Any:
        from velox.feeds.base import FeedTick

        self._next_id += 1
        qty = units("0.01") + self._rng.randrange(0, 10**6)
        return FeedTick(
            symbol=symbol,
            received_ms=self.exchange_now(),
            trade_price=price,
            trade_qty=qty,
            trade_id=self._next_id,
            exchange_ms=exchange_ms,
        )

    def _history(self) -> list[Any]:
        """A random walk per symbol, one trade every 15 s, ending at the current price."""
        ticks = []
        end = self.exchange_now()
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
        self._queue.put_nowait(self._tick(symbol, self.prices[symbol], self.exchange_now()))

    async def run(self, sink: Any) -> None:
        for tick in self._history():
            await self._emit(sink, tick)
        while True:
            for symbol, price in self.prices.items():
                await self._emit(sink, self._tick(symbol, price, self.exchange_now()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.5):
                    while True:
                        await self._emit(sink, await self._queue.get())

    async def _emit(self, sink: Any, tick: Any) -> None:
        self.last_tick_ms[tick.symbol] = tick.received_ms
        await sink(tick)


@dataclass
class Server:
    url: str
    feed: ControlledFeed
    app: Any


# -------------------------------------------------------------------------- pages


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


# Browser notifications the page shows, recorded in window.__notes as [title, body].
RECORD_NOTIFICATIONS = """(() => { window.__notes = [];
  const Real = window.Notification;
  class Recording {
    constructor(title, opts) { window.__notes.push([title, opts && opts.body]); }
    static get permission() { return Real ? Real.permission : 'granted'; }
    static requestPermission() { return Promise.resolve('granted'); } }
  window.Notification = Recording; })()"""


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


async def chart_at(server: Server, browser: Any, duration: str) -> tuple[Any, list[str], Any]:
    """A new user's trade page with the chart at ``duration``: (page, problems, chart)."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.get_by_test_id(f"tf-{duration}").click()
    chart = page.get_by_test_id("chart")
    await expect(chart).to_have_attribute("data-duration", duration)
    return page, problems, chart


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
