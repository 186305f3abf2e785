"""Drive a load (optionally with kill -9s) and collect what the checks need."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from tests.system.load import Load, LoadRecord
from tests.system.server import ADMIN_TOKEN, ServerProcess


async def drive(
    server: ServerProcess,
    *,
    traders: int,
    listeners: int,
    seconds: float,
    kills: int = 0,
    seed: int = 1,
    prefix: str = "t",
) -> LoadRecord:
    """Run traders and listeners for ``seconds`` of serving, in ``kills + 1`` equal lives:
    kill -9 and restart after each but the last. A life counts from READY, so however long
    a restart takes on a busy machine, every engine serves the load as long as the others."""
    record = LoadRecord()
    load = Load(server.base, record, seed)
    tasks = [asyncio.create_task(load.trader(i, prefix)) for i in range(traders)]
    tasks += [asyncio.create_task(load.listener()) for _ in range(listeners)]
    started = time.monotonic()
    life = seconds / (kills + 1)
    for _ in range(kills):
        await _sample_until(server, record, started, time.monotonic() - started + life)
        record.opens_acked_by_life.append(len(record.acked_opens))
        await server.kill9()
        await server.start()
    await _sample_until(server, record, started, time.monotonic() - started + life)
    record.opens_acked_by_life.append(len(record.acked_opens))
    load.stop.set()
    await asyncio.wait(tasks, timeout=40)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return record


async def _sample_until(
    server: ServerProcess, record: LoadRecord, started: float, until: float
) -> None:
    while (now := time.monotonic() - started) < until:
        record.rss.append((round(now, 1), server.rss_mib()))
        await asyncio.sleep(min(1.0, until - now))


async def get_json(base: str, path: str, token: str = "") -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token or ADMIN_TOKEN}"}
    async with aiohttp.ClientSession() as session, session.get(base + path, headers=headers) as r:
        return r.status, await r.json(content_type=None)
