"""A Velox server on a real socket in a thread of its own, for blocking clients (requests,
schemathesis) that cannot share the test's event loop.

Prices come as they do in the other web tests, through the service's ``offer_tick``, but
steadily (every ``TICK_EVERY_S``) so quotes stay fresh and orders really open.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from aiohttp import web

from velox.config import Settings
from velox.engine.commands import PriceTick
from velox.money import units
from velox.web.app import create_app
from velox.web.keys import SERVICE
from velox.web.options import WebOptions

T = TypeVar("T")
TICK_EVERY_S = 0.5


class LiveServer:
    def __init__(self, settings: Settings, prices: Mapping[str, str], options: WebOptions):
        self.app = create_app(settings, feed=None, options=options)
        self._prices = {symbol: units(price) for symbol, price in prices.items()}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-server")
        self._runner = web.AppRunner(self.app)
        self._ticker: asyncio.Task[None] | None = None
        self.url = ""

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *_exc: object) -> None:
        self.run(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._tick()
        self._ticker = asyncio.create_task(self._keep_ticking(), name="live-ticker")

    def _tick(self) -> None:
        service = self.app[SERVICE]
        for symbol, price in self._prices.items():
            service.offer_tick(PriceTick(symbol, price, service.clock()))

    async def _keep_ticking(self) -> None:
        while True:
            await asyncio.sleep(TICK_EVERY_S)
            self._tick()

    async def _stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        await self._runner.cleanup()
