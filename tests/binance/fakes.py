"""A feed the test drives: ticks put on a queue reach the app's sink (engine + trade writer)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from velox.config import Settings
from velox.feeds.base import FeedTick, TickSink
from velox.money import units
from velox.web.app import create_app
from velox.web.options import WebOptions

FAST = WebOptions(bcrypt_rounds=4)


class QueueFeed:
    name = "queue"
    simulated = False

    def __init__(self) -> None:
        self.queue: asyncio.Queue[FeedTick] = asyncio.Queue()
        self.last_tick_ms: dict[str, int] = {}
        self.connected = True

    async def run(self, sink: TickSink) -> None:
        while True:
            await sink(await self.queue.get())

    def trade(self, symbol: str, trade_id: int, price: str, qty: str, ms: int) -> None:
        self.queue.put_nowait(
            FeedTick(symbol, ms, trade_price=units(price), trade_qty=units(qty),
                     trade_id=trade_id, exchange_ms=ms, source="queue", connection=1)
        )  # fmt: skip


async def fed_client(
    aiohttp_client: Any, settings: Settings, **changes: Any
) -> tuple[TestClient[Any, Any], QueueFeed]:
    feed = QueueFeed()
    app = create_app(settings.with_(history_candles=0, **changes), feed=feed, options=FAST)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client, feed
