"""Run a feed in a task, collect its ticks, wait for conditions with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from velox.feeds.base import Feed, FeedTick


class Collector:
    """A sink that records ticks and takes them all; ``wait(n)`` returns once n arrived."""

    def __init__(self) -> None:
        self.ticks: list[FeedTick] = []

    async def __call__(self, tick: FeedTick) -> bool:
        self.ticks.append(tick)
        return True  # as a FeedSink answers for a tick that priced the engine

    async def wait(self, count: int, timeout: float = 5.0) -> list[FeedTick]:
        await wait_until(lambda: len(self.ticks) >= count, timeout)
        return self.ticks

    @property
    def trades(self) -> list[FeedTick]:
        return [t for t in self.ticks if t.trade_id is not None]


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def running(feed: Feed, sink: Collector) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(feed.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
