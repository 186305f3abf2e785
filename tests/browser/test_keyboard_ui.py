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
from tests.browser.page_api import page_api

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _open(page: Any, margin: str = "50", **extra: Any) -> Any:
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": margin, **extra}
    return await page_api(page, "POST", "/api/v1/order/open", body)


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


async def _described(locator: Any) -> list[str]:
    return ((await locator.get_attribute("aria-describedby")) or "").split()


async def test_errors_are_tied_to_their_field_and_said_once(server: Server, browser: Any) -> None:
    """A server refusal (not enough balance for the margin, a stop-loss on the wrong side,
    a margin top-up too large) left the field aria-invalid="false" with no link to the
    error text; a client-side error had no link either; and the ticket's refusal was said
    twice (its error line, role=alert, and an "Order rejected" toast). The field is marked
    and described by the error (its hint kept) until it changes; no toast."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    margin = page.get_by_test_id("order-margin")

    # The ticket, a client-side error: margin not a number.
    await margin.fill("abc")
    await page.get_by_test_id("order-submit").click()
    await expect(page.get_by_test_id("order-error")).to_be_visible()
    await expect(margin).to_have_attribute("aria-invalid", "true")
    assert await _described(margin) == ["order-margin-hint", "order-error"]
    await margin.fill("50")
    await expect(margin).to_have_attribute("aria-invalid", "false")
    assert await _described(margin) == ["order-margin-hint"]

    # The ticket, the server's refusal: more margin than the balance (INSUFFICIENT_BALANCE,
    # no field in the reply: its code names the margin).
    await margin.fill("99999999")
    await page.get_by_test_id("order-submit").click()
    await expect(page.get_by_test_id("order-error")).to_contain_text("not enough")
    await expect(margin).to_have_attribute("aria-invalid", "true")
    assert await _described(margin) == ["order-margin-hint", "order-error"]
    await page.wait_for_timeout(300)
    await expect(page.get_by_test_id("toast").filter(has_text="Order rejected")).to_have_count(0)
    await margin.press("Backspace")
    await expect(margin).to_have_attribute("aria-invalid", "false")

    # The SL/TP dialog: a stop-loss above the bid of a LONG (INVALID_STOP_LOSS).
    await _open(page)
    await page.get_by_test_id("edit-button").click()
    sl = page.get_by_test_id("edit-sl")
    await sl.fill("70000")
    await page.get_by_test_id("edit-save").click()
    dialog = page.get_by_test_id("edit-dialog")
    await expect(dialog.get_by_test_id("form-error")).to_contain_text("stop-loss")
    await expect(sl).to_have_attribute("aria-invalid", "true")
    assert await _described(sl) == ["edit-error"]
    await expect(page.get_by_test_id("edit-tp")).to_have_attribute("aria-invalid", "false")
    await sl.fill("50000")
    await expect(sl).to_have_attribute("aria-invalid", "false")
    assert await _described(sl) == []
    await page.keyboard.press("Escape")

    # The +Margin dialog: more than the free margin (INSUFFICIENT_BALANCE), and a typo.
    await page.get_by_test_id("add-margin-button").click()
    amount = page.get_by_test_id("margin-amount")
    await amount.fill("99999999")
    await page.get_by_test_id("margin-save").click()
    await expect(page.get_by_test_id("margin-dialog").get_by_test_id("form-error")).to_be_visible()
    await expect(amount).to_have_attribute("aria-invalid", "true")
    assert await _described(amount) == ["margin-hint", "margin-error"]
    await amount.fill("x")
    await expect(amount).to_have_attribute("aria-invalid", "false")
    assert await _described(amount) == ["margin-hint"]
    await page.get_by_test_id("margin-save").click()
    await expect(amount).to_have_attribute("aria-invalid", "true")
    assert await _described(amount) == ["margin-hint", "margin-error"]
    assert not problems, problems


async def test_a_toast_stays_while_the_keyboard_is_in_it(server: Server, browser: Any) -> None:
    """A toast went after its 5 s even with the focus on its dismiss button (the timer only
    stopped for a pointer): it stays while focused and goes once the focus leaves."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await page.evaluate("() => import('/static/toast.js').then((m) => m.toast('info', 'Focused'))")
    toast = page.get_by_test_id("toast").filter(has_text="Focused")
    await toast.get_by_role("button", name="Dismiss notification").focus()
    await page.wait_for_timeout(6500)  # past the 5 s of an info toast
    await expect(toast).to_be_visible()
    await page.get_by_test_id("order-margin").focus()
    await expect(toast).to_have_count(0)  # it goes after the time it had left
    assert not problems, problems


async def test_dismissing_a_toast_by_keyboard_keeps_the_focus(server: Server, browser: Any) -> None:
    """A keyboard review: dismissing a toast with its button dropped the focus to the page
    body. It goes to the next toast's button, else the one before, else back where it
    was before the keyboard went into the toasts."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    for title in ("First", "Second"):
        await page.evaluate(
            f"() => import('/static/toast.js').then((m) => m.toast('warn', {title!r}))"
        )
    margin = page.get_by_test_id("order-margin")
    await margin.focus()
    first = page.get_by_test_id("toast").filter(has_text="First")
    second = page.get_by_test_id("toast").filter(has_text="Second")
    await first.get_by_role("button", name="Dismiss notification").focus()
    await page.keyboard.press("Enter")
    await expect(first).to_have_count(0)
    await expect(second.get_by_role("button", name="Dismiss notification")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(second).to_have_count(0)
    await expect(margin).to_be_focused()  # where it was before the toasts
    assert not problems, problems


OVERFLOW_JS = """() => [document.documentElement.scrollWidth, innerWidth,
  ...[...document.querySelectorAll('[data-testid=open-position-row] button')]
    .map((b) => b.getBoundingClientRect().right)]"""


@pytest.mark.parametrize("width", [360, 320])
async def test_an_open_position_fits_a_phone(server: Server, browser: Any, width: int) -> None:
    """At 360 px the open-position card was 366 px wide (its two columns as wide as their
    longest figure) and its Close button was cut off: the page scrolled sideways."""
    from playwright.async_api import expect

    context = await browser.new_context(
        viewport={"width": width, "height": 640}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    await register(page, server.url)
    stops = {"stopLoss": "1000", "takeProfit": "500000", "trailingStop": "250"}
    await _open(page, **stops)
    await _open(page, "600", leverage=100)  # the long figures of a big position
    await expect(page.get_by_test_id("open-position-row")).to_have_count(2)
    scroll_width, inner, *rights = await page.evaluate(OVERFLOW_JS)
    # (a phone's layout viewport grows to the content: innerWidth says so too)
    assert scroll_width <= width and inner == width, (scroll_width, inner)
    assert rights and max(rights) <= width, rights


async def test_toasts_leave_the_header_alone_on_a_narrow_screen(
    server: Server, browser: Any
) -> None:
    """Under 900 px the toasts sat over the header (Sign out, the page links, the balance)
    for 5 to 15 s: they come up from the bottom there."""
    for width, height in ((800, 700), (360, 640)):
        page, problems = await new_page(browser, width, height)
        await register(page, server.url)
        for title in ("One", "Two", "Three"):
            await page.evaluate(
                "(t) => import('/static/toast.js').then((m) => m.toast('warn', t, 'x'))", title
            )
        header = await page.locator(".topbar").bounding_box()
        for toast in await page.get_by_test_id("toast").all():
            box = await toast.bounding_box()
            assert box["y"] >= header["y"] + header["height"], (width, box, header)
            assert box["y"] + box["height"] <= height, (width, box)
        assert not problems, problems


def _luminance(rgb: list[float]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: list[float], b: list[float]) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


RING_JS = """() => { const e = document.activeElement; const cs = getComputedStyle(e);
  let p = e.parentElement, bg;
  const clear = 'rgba(0, 0, 0, 0)';
  while (p && (bg = getComputedStyle(p).backgroundColor) === clear) p = p.parentElement;
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  return [e.id, cs.outlineStyle, parseFloat(cs.outlineWidth), rgb(cs.outlineColor),
    rgb(bg || 'rgb(0,0,0)')]; }"""


@pytest.mark.parametrize("forced", ["none", "active"])
async def test_text_inputs_and_the_slider_show_a_focus_ring(
    server: Server, browser: Any, forced: str
) -> None:
    """The ticket's text inputs and the leverage slider had `outline: none` and a faint
    box-shadow (gone in forced colors): reached by Tab, they show a 2 px solid outline of
    at least 3:1 against the panel, in forced colors too."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 720}, forced_colors=forced
    )
    page = await context.new_page()
    await register(page, server.url)
    for before, field in (("chip", "order-leverage"), ("order-expiry", "order-margin")):
        if before == "chip":
            await page.locator("#margin-chips .chip").last.focus()
        else:
            await page.get_by_test_id("side-long").focus()  # the field after the side buttons
        await page.keyboard.press("Tab")
        found, style, width, colour, background = await page.evaluate(RING_JS)
        assert found == field
        assert (style, width) == ("solid", 2), (field, style, width)
        assert contrast(colour, background) >= 3, (field, colour, background)


async def test_arrow_keys_on_the_account_switcher_do_not_switch(
    server: Server, browser: Any
) -> None:
    """Arrow keys on the closed account list changed it and fired "change" at every press:
    each one switched the trading account (its figures, orders, socket and the remembered
    choice). Arrows only move the choice now; Enter or leaving the list takes it, Escape
    puts the shown account back; a pick with the mouse is taken at once."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    (main,) = (await page_api(page, "GET", "/api/v1/accounts"))["accounts"]
    second, third = [
        await page_api(page, "POST", "/api/v1/accounts", {"name": name, "mode": "HEDGING"})
        for name in ("Second", "Third")
    ]
    await page.reload()
    switcher = page.get_by_test_id("account-switcher")
    await expect(switcher.locator("option")).to_have_count(3)
    await expect(page.get_by_test_id("conn-state")).to_have_attribute("data-state", "live")
    chosen = "() => localStorage.getItem('velox.account')"
    asked: list[str | None] = []  # the accounts whose lists the screen loads
    page.on(  # (not the margin alert's poll of the other accounts' balances: it always runs)
        "request",
        lambda r: (
            asked.append(r.headers.get("x-velox-account"))
            if "/order/user/orders" in r.url
            else None
        ),
    )

    await switcher.focus()
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("ArrowDown")
    await expect(switcher).to_have_value(third["accountId"])
    await page.wait_for_timeout(500)
    assert await page.evaluate(chosen) == main["accountId"]
    assert third["accountId"] not in asked and second["accountId"] not in asked, asked
    await page.keyboard.press("Enter")  # taken
    await expect(page.get_by_test_id("history-link")).to_have_attribute(
        "href", f"/history?account={third['accountId']}"
    )
    assert await page.evaluate(chosen) == third["accountId"]
    for _ in range(100):  # the switch loads the third account's lists: the filter sees it
        if third["accountId"] in asked:
            break
        await page.wait_for_timeout(100)
    assert third["accountId"] in asked, asked

    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("Escape")  # back to the shown one
    await expect(switcher).to_have_value(third["accountId"])
    await page.keyboard.press("ArrowUp")
    await page.keyboard.press("Tab")  # leaving the list takes the choice
    await expect(page.get_by_test_id("history-link")).to_have_attribute(
        "href", f"/history?account={second['accountId']}"
    )
    await switcher.select_option(main["accountId"])  # as a pointer picks it: taken
    await page.wait_for_function(
        f"() => localStorage.getItem('velox.account') === {main['accountId']!r}", timeout=10_000
    )
    assert not problems, problems


NAMES_JS = """() => [...document.querySelectorAll(
  '#open-body button, #pending-body button, #watch-body button')]
  .map((b) => [b.textContent.trim(), b.getAttribute('aria-label') || b.textContent.trim()])"""


async def test_names_start_with_the_visible_label(server: Server, browser: Any) -> None:
    """The row buttons "SL/TP", "+Margin" and "25%" were named "Edit stops of LONG ...",
    "Add margin to ..." and "Close 25% of ...": a voice-control user saying what is written
    reached nothing. Every row button's name starts with its visible text."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    await _open(page)
    await _open(page, "20", type="LIMIT", price="50000")
    await expect(page.get_by_test_id("open-position-row")).to_have_count(1)
    await expect(page.get_by_test_id("pending-row")).to_have_count(1)
    names = await page.evaluate(NAMES_JS)
    assert len(names) >= 8, names
    wrong = [(text, name) for text, name in names if not name.startswith(text)]
    assert not wrong, wrong
    for label in ("SL/TP", "+Margin", "25%", "Close"):
        await expect(page.get_by_role("button", name=label).first).to_be_visible()
    assert not problems, problems


async def test_market_watch_rows_are_chosen_with_a_button(server: Server, browser: Any) -> None:
    """A market-watch row was focusable (tabindex=0) but no control (a table row named "Show
    BTCUSDT chart"): each row has a real button now, named by its symbol first, which Enter
    and Space press; the rows themselves are not in the tab order."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    rows = page.get_by_test_id("asset-row")
    await expect(rows).to_have_count(3)
    assert await rows.evaluate_all("(rows) => rows.filter((r) => r.tabIndex >= 0).length") == 0
    eth = page.get_by_role("button", name="ETHUSDT")
    sol = page.get_by_role("button", name="SOLUSDT")
    await expect(eth).to_have_accessible_name("ETHUSDT: show chart")
    await eth.focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_test_id("chart-symbol")).to_have_text("ETHUSDT")
    await expect(eth).to_have_attribute("aria-current", "true")
    await page.keyboard.press("Tab")
    await expect(sol).to_be_focused()
    await page.keyboard.press("Space")
    await expect(page.get_by_test_id("chart-symbol")).to_have_text("SOLUSDT")
    await rows.filter(has_text="BTC").get_by_test_id("asset-bid").click()  # the row still
    await expect(page.get_by_test_id("chart-symbol")).to_have_text("BTCUSDT")
    assert not problems, problems


STRUCTURE_JS = """() => {
  const focusable = 'a[href], button, input, select, textarea, [tabindex]:not([tabindex="-1"])';
  const landmarks = 'header, main, nav, aside, footer, [role=region][aria-label], [role=banner],'
    + ' [role=main], [role=navigation], [role=complementary], [role=contentinfo]';
  const chart = document.getElementById('chart');
  return {
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()),
    inImg: [...document.querySelectorAll('[role=img]')].flatMap((img) =>
      [...img.querySelectorAll(focusable)].map((el) => el.outerHTML.slice(0, 60))),
    chartLinks: chart.querySelectorAll('a[href]').length,
    chartRole: chart.getAttribute('role'), chartName: chart.getAttribute('aria-label'),
    simInLandmark: !!document.getElementById('sim-banner').closest(landmarks),
    simShown: !document.getElementById('sim-banner').hidden,
  };
}"""


async def test_the_trade_page_has_a_heading_a_chart_figure_and_landmarks(
    server: Server, browser: Any
) -> None:
    """The trade page had no <h1>; its chart was role=img (children presentational) around
    the focusable "Charting by TradingView" link; the simulated-prices banner was outside
    every landmark."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    chart = page.get_by_test_id("chart")
    await expect(chart).to_have_attribute("aria-label", "BTCUSDT 1m candlestick chart")
    await expect(page.get_by_test_id("sim-banner")).to_be_visible()
    found = await page.evaluate(STRUCTURE_JS)
    assert found["h1"] == ["Trade"], found
    assert found["inImg"] == [], found
    assert found["chartRole"] == "figure" and found["chartName"], found
    assert found["simShown"] and found["simInLandmark"], found
    await expect(page.get_by_role("heading", level=1, name="Trade")).to_have_count(1)
    assert not problems, problems


async def test_a_seventh_toast_never_evicts_the_one_the_keyboard_is_in(
    server: Server, browser: Any
) -> None:
    """At most six toasts show: a seventh removed the oldest even when the keyboard was in
    it, and the focus fell to the page's body (left alone in the last note). The oldest one
    not in use goes instead."""
    from playwright.async_api import expect

    page, problems = await new_page(browser)
    await register(page, server.url)
    raise_toast = "(t) => import('/static/toast.js').then((m) => m.toast('error', t))"
    await page.evaluate(raise_toast, "Oldest")
    oldest = page.get_by_test_id("toast").filter(has_text="Oldest")
    button = oldest.get_by_role("button", name="Dismiss notification")
    await button.focus()
    for n in range(1, 7):
        await page.evaluate(raise_toast, f"Newer {n}")
    toasts = page.get_by_test_id("toast")
    await expect(toasts).to_have_count(6)
    await expect(button).to_be_focused()
    titles = await toasts.locator(".toast-title").all_text_contents()
    assert titles == ["Oldest", *(f"Newer {n}" for n in range(2, 7))]  # "Newer 1" went
    assert not problems, problems
