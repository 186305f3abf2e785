"""The market watch's Daily column: the mid price's change since the open of the UTC day."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import (
    DAY_MS,
    START,
    Server,
    ShiftedClock,
    api_json,
    new_page,
    quote,
    register,
)
from velox.money import units
from velox.web.keys import OPTIONS


def percent_text(diff: int, base: int) -> str:
    """What the column shows: two decimals, half away from zero, '+' when up, U+2212 down."""
    tenths = diff * 100 * 100 * 10 // base  # one digit more than shown, floored
    hundredths = (tenths + 5) // 10 if tenths >= 0 else -((-tenths + 5) // 10)
    whole, frac = divmod(abs(hundredths), 100)
    sign = "+" if diff > 0 else ("\u2212" if hundredths < 0 else "")
    return f"{sign}{whole}.{frac:02d}%"


@pytest.mark.parametrize("server", [{"midnight_in_ms": 120_000}], indirect=True)
async def test_the_daily_change_starts_again_at_midnight_utc(server: Server, browser: Any) -> None:
    """A trade screen left open past 00:00 UTC compared the price with the open of the day
    it was loaded on, for as long as it stayed open."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    change = page.locator('#watch-body tr[data-symbol="BTCUSDT"]').get_by_test_id("asset-change")

    # Before midnight: against the open of the day the feed's history began in.
    day = (await api_json(page, "/api/v1/candles?asset=BTCUSDT&duration=1d&limit=1"))["candles"]
    yesterday_open = units(day[-1]["open"])
    assert server.feed.exchange_now() < day[-1]["time"] + DAY_MS, "loaded too late"
    bid, ask = quote(units(START["BTCUSDT"]))
    before = percent_text((bid + ask) // 2 - yesterday_open, yesterday_open)
    assert before not in ("0.00%", "\u22120.00%"), "the history's walk must move the price"
    await expect(change).to_have_text(before)

    # Past midnight (the app's clock and the feed's jump there: engine time only goes
    # forward), against the new day's open, the price the feed has kept since.
    clock: ShiftedClock = server.app[OPTIONS].clock
    jump = DAY_MS - server.feed.exchange_now() % DAY_MS + 1_000
    clock.offset_ms += jump
    server.feed.offset_ms += jump
    await expect(change).to_have_text("0.00%", timeout=60_000)
    today = (await api_json(page, "/api/v1/candles?asset=BTCUSDT&duration=1d&limit=1"))["candles"]
    assert today[-1]["time"] == day[-1]["time"] + DAY_MS
    assert units(today[-1]["open"]) == units(START["BTCUSDT"])
    assert problems == []
