"""The system tests' traders and listeners (``tests.system.load``) spread over gateways.

Trader ``i`` starts on gateway ``i mod n``; a request that gets no reply (its gateway died)
moves the client to the next gateway, as a load balancer would. What each client was
acknowledged is recorded exactly as against one process, so the same checks apply.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from tests.system.load import NO_REPLY, Load, LoadRecord
from velox import codec
from velox.store.factory import open_store_for


class SpreadLoad(Load):
    def __init__(self, bases: list[str], record: LoadRecord, index: int, stop: asyncio.Event):
        super().__init__(bases[index % len(bases)], record, seed=index + 1)
        self.bases = bases
        self.first = self.base
        self.stop = stop
        self.served_by: Counter[str] = Counter()  # 2xx answers per gateway
        self.unknown_opens = 0  # opens answered 5xx or not at all: ran once or not at all
        self.email = ""  # the trader's, once it runs one

    async def trader(self, index: int, prefix: str) -> None:
        self.email = f"{prefix}-{index}@load.example"  # as Load.trader names it
        await super().trader(index, prefix)

    def _move(self) -> None:
        self.base = self.bases[(self.bases.index(self.base) + 1) % len(self.bases)]

    async def call(
        self,
        session: aiohttp.ClientSession,
        route: str,
        method: str,
        path: str,
        token: str = "",
        body: Any = None,
    ) -> tuple[int, Any]:
        base = self.base
        status, data = await super().call(session, route, method, path, token, body)
        if route == "open" and (status == NO_REPLY or status >= 500):
            self.unknown_opens += 1
        if status == NO_REPLY:
            self._move()
        elif 200 <= status < 300:
            self.served_by[base] += 1
        return status, data

    async def listener(self) -> None:
        """A public websocket client that reconnects to the next gateway when dropped."""
        rec = self.record
        priced = False
        async with aiohttp.ClientSession() as session:
            while not self.stop.is_set():
                try:
                    url = self.base.replace("http", "ws") + "/ws"
                    async with session.ws_connect(url, heartbeat=None) as ws:
                        rec.ws_connects += 1
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT or self.stop.is_set():
                                break
                            rec.ws_messages += 1
                            self.served_by[self.base] += 1
                            if not priced and '"price_update"' in msg.data[:40]:
                                priced = True
                                rec.ws_listeners_priced += 1
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if not self.stop.is_set():
                    self._move()
                    await asyncio.sleep(0.2)


async def drive(
    bases: list[str],
    fault: Callable[[], Awaitable[None]],
    *,
    traders: int = 16,
    listeners: int = 8,
    acks: int = 30,
    prefix: str = "s",
    settled: Callable[[list[SpreadLoad]], bool] = lambda _: True,
) -> tuple[LoadRecord, list[SpreadLoad]]:
    """Load until ``acks`` opens are acknowledged, run ``fault``, load until ``acks`` more
    and ``settled(clients)`` holds."""
    record = LoadRecord()
    stop = asyncio.Event()
    loads = [SpreadLoad(bases, record, i, stop) for i in range(traders + listeners)]
    tasks = [asyncio.create_task(load.trader(i, prefix)) for i, load in enumerate(loads[:traders])]
    tasks += [asyncio.create_task(load.listener()) for load in loads[traders:]]
    try:
        await _acked(record, acks)
        record.opens_acked_by_life.append(len(record.acked_opens))
        await fault()
        await _acked(record, len(record.acked_opens) + acks)
        deadline = asyncio.get_running_loop().time() + 120
        while not settled(loads):
            assert asyncio.get_running_loop().time() < deadline, "the load never settled"
            await asyncio.sleep(0.1)
        record.opens_acked_by_life.append(len(record.acked_opens))
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=40)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return record, loads


async def _acked(record: LoadRecord, n: int, give_up_s: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + give_up_s
    while len(record.acked_opens) < n:
        assert asyncio.get_running_loop().time() < deadline, (n, record.statuses)
        await asyncio.sleep(0.1)


async def check_exactly_once(db_url: str, record: LoadRecord, loads: list[SpreadLoad]) -> None:
    """Every user's journaled opens: at least those acknowledged, at most those plus the
    ones whose outcome the client never learned (5xx, no reply). One more means a command
    ran twice (a repeated request, a lost reply asked again)."""
    store = open_store_for(db_url)
    await store.open(writer=False)
    try:
        opens: Counter[str] = Counter()
        async for r in store.read_journal(0):
            if r.type == "PositionOpened":
                opens[codec.loads(r.payload)["user_id"]] += 1
    finally:
        await store.close()
    by_email = {load.email: load for load in loads}
    assert record.traders
    for trader in record.traders:
        load = by_email[trader.email]
        n = opens[trader.user_id]
        assert trader.opens_acked <= n <= trader.opens_acked + load.unknown_opens, (
            trader.email,
            n,
            trader.opens_acked,
            load.unknown_opens,
        )
