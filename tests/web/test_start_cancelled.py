"""A start stopped at its very end still stops the engine it started.

A diff review: once a stop signal could cancel the start (18b1712), a SIGTERM while
``EngineService.start`` waited on its last step (the engine task already running, its first
commit under way) left ``engine_ctx`` before its ``try``: the engine was never stopped (no
final snapshot, no "engine stopping"), and the store was closed under its live task."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from tests.web.conftest import FAST
from velox.config import Settings
from velox.service import EngineService
from velox.web.app import create_app


async def test_a_start_cancelled_after_the_engine_runs_stops_the_engine(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, stopped = asyncio.Event(), []
    start, stop = EngineService.start, EngineService.stop

    async def slow_start(self: EngineService, *args: Any, **kwargs: Any) -> None:
        await start(self, *args, **kwargs)
        started.set()  # the engine task runs; the start's last step waits (a slow commit)
        await asyncio.sleep(3600)

    async def recorded_stop(self: EngineService) -> None:
        stopped.append(self)
        await stop(self)

    monkeypatch.setattr(EngineService, "start", slow_start)
    monkeypatch.setattr(EngineService, "stop", recorded_stop)
    runner = web.AppRunner(create_app(settings, feed=None, options=FAST))
    setup = asyncio.create_task(runner.setup())
    async with asyncio.timeout(10):
        await started.wait()
    setup.cancel()  # what a stop signal during the start does (velox/web/serving.py)
    await asyncio.gather(setup, return_exceptions=True)
    await runner.cleanup()
    assert len(stopped) == 1
    (service,) = stopped
    assert service._task is None or service._task.done()
