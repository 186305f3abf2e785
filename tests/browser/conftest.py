"""The browser tests' fixtures: a real app on a free port fed by a ControlledFeed, and
headless Debian Chromium driven by Playwright, whose `expect` waits as long as its actions."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import (
    CHARTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    DAY_MS,
    REPO,
    START,
    TIMEOUT_MS,
    ControlledFeed,
    Server,
    ShiftedClock,
    now_ms,
)
from tests.conftest import require


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Before anything starts: skip without Chromium (fail with CI=true)."""
    require(os.access(CHROMIUM, os.X_OK), f"Chromium is not installed at {CHROMIUM}")
    require(CHARTS.is_file(), f"{CHARTS} is missing: run `make charts`")


@pytest.fixture
async def server(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """``@pytest.mark.parametrize("server", [{setting: value}], indirect=True)`` adds settings
    (and ``midnight_in_ms``: the feed's clock set back so that its UTC day ends that long after
    the server starts)."""
    app_module = REPO / "velox" / "web" / "app.py"
    require(app_module.exists(), "the HTTP API (velox/web/app.py) is not there yet")
    from aiohttp import web

    from velox.config import Settings
    from velox.web.app import create_app
    from velox.web.options import WebOptions

    params = getattr(request, "param", {})
    settings = Settings(
        db=f"sqlite:///{tmp_path / 'velox.db'}",
        data_dir=str(tmp_path / "data"),
        feed="sim",
        jwt_secret="browser-test-secret-" + uuid.uuid4().hex,
        rate_limit_auth=0,
        rate_limit_orders=0,
        snapshot_interval=3600.0,
        **{k: v for k, v in params.items() if k != "midnight_in_ms"},
    )
    options = WebOptions(bcrypt_rounds=4)
    offset = 0
    if "midnight_in_ms" in params:
        now = now_ms()
        offset = now - now % DAY_MS - params["midnight_in_ms"] - now
        options = WebOptions(bcrypt_rounds=4, clock=ShiftedClock(offset))
    feed = ControlledFeed(START, offset_ms=offset)
    app = create_app(settings, feed=feed, options=options)
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
    from playwright.async_api import async_playwright, expect

    # `expect` waits 5 s by default: too short on a busy 2-core machine, and a wait that
    # ends when its condition holds costs nothing when the machine is quick.
    expect.set_options(timeout=TIMEOUT_MS)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()
