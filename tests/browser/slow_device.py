"""Slowing Chromium down around the racy part of a flow (CDP), as on a cheap phone or a busy
laptop: the helpers of the slow-device browser tests."""

from __future__ import annotations

import asyncio
from typing import Any

BTC_LONG = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}


async def slow_down(page: Any, rate: int = 6, latency: int = 400) -> Any:
    """Throttle `page`'s CPU `rate` times and give every request `latency` ms each way."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency,
            "downloadThroughput": 50_000,
            "uploadThroughput": 20_000,
        },
    )
    return cdp


async def speed_up(cdp: Any) -> None:
    await cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    await cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def holding(release: asyncio.Event) -> Any:
    """A route handler that lets a request go to the server once `release` is set."""

    async def held(route: Any) -> None:
        await release.wait()
        await route.continue_()

    return held
