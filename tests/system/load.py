"""Simulated traders and websocket listeners against a real server, over real sockets.

Every request is recorded: route, status (or "no reply" when the connection died), latency,
and for successes what the server acknowledged. The checks afterwards compare those
acknowledgements with what the restarted server, the store and the journal say.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aiohttp

NO_REPLY = 0


@dataclass
class Trader:
    email: str
    token: str = ""
    user_id: str = ""
    open_ids: list[str] = field(default_factory=list)
    opens_acked: int = 0


@dataclass
class LoadRecord:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    acked_orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # last ack per order
    acked_opens: set[str] = field(default_factory=set)
    acked_closes: dict[str, dict[str, Any]] = field(default_factory=dict)  # closed parts/wholes
    open_requests: Counter[str] = field(default_factory=Counter)  # per user: opens sent
    server_errors: list[str] = field(default_factory=list)
    ws_delays_ms: list[float] = field(default_factory=list)
    ws_messages: int = 0
    ws_connects: int = 0
    ws_listeners_priced: int = 0  # listeners that received at least one price_update
    opens_acked_by_life: list[int] = field(default_factory=list)  # at each kill, and the end
    rss: list[tuple[float, float]] = field(default_factory=list)
    traders: list[Trader] = field(default_factory=list)

    def answered(self) -> int:
        return sum(n for (_, status), n in self.statuses.items() if status != NO_REPLY)


class Load:
    def __init__(self, base: str, record: LoadRecord, seed: int = 1) -> None:
        self.base = base
        self.record = record
        self.rng = random.Random(seed)
        self.stop = asyncio.Event()

    async def call(
        self,
        session: aiohttp.ClientSession,
        route: str,
        method: str,
        path: str,
        token: str = "",
        body: Any = None,
    ) -> tuple[int, Any]:
        rec = self.record
        rec.sent[route] += 1
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        start = time.perf_counter()
        try:
            async with session.request(
                method, self.base + path, json=body, headers=headers
            ) as resp:
                data = await resp.json(content_type=None)
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, ValueError):
            rec.statuses[(route, NO_REPLY)] += 1
            return NO_REPLY, None
        rec.latencies[route].append((time.perf_counter() - start) * 1000)
        rec.statuses[(route, status)] += 1
        if status >= 500 and not (status == 503 and data and _code(data) in _TRANSIENT):
            rec.server_errors.append(f"{method} {path} -> {status} {data}")
        return status, data

    async def trader(self, index: int, prefix: str) -> None:
        rng = random.Random(self.rng.random())
        t = Trader(f"{prefix}-{index}@load.example")
        self.record.traders.append(t)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not t.token and not self.stop.is_set():
                status, data = await self.call(
                    session,
                    "signup",
                    "POST",
                    "/api/v1/user/signup",
                    "",
                    {"email": t.email, "password": "load-test-password"},
                )
                if status == 409:  # signed up before a crash: sign in instead
                    status, data = await self.call(
                        session,
                        "signin",
                        "POST",
                        "/api/v1/user/signin",
                        "",
                        {"email": t.email, "password": "load-test-password"},
                    )
                if status in (200, 201):
                    t.token, t.user_id = data["token"], data["user"]["id"]
                else:
                    await asyncio.sleep(0.2)
            while not self.stop.is_set():
                await self.step(session, t, rng)
                await asyncio.sleep(rng.uniform(0.0, 0.05))

    async def step(self, session: aiohttp.ClientSession, t: Trader, rng: random.Random) -> None:
        rec = self.record
        roll = rng.random()
        if not t.open_ids or roll < 0.4:
            side = rng.choice(["LONG", "SHORT"])
            body: dict[str, Any] = {
                "asset": rng.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT"]),
                "side": side,
                "leverage": rng.choice([1, 5, 10, 50, 100]),
                "margin": str(rng.randint(2, 40)),
            }
            rec.open_requests[t.user_id] += 1
            status, data = await self.call(
                session, "open", "POST", "/api/v1/order/open", t.token, body
            )
            if status == 201:
                t.opens_acked += 1
                t.open_ids.append(data["orderId"])
                rec.acked_opens.add(data["orderId"])
                rec.acked_orders[data["orderId"]] = data
            return
        oid = rng.choice(t.open_ids)
        if roll < 0.55:
            status, data = await self.call(
                session, "close", "POST", f"/api/v1/order/close/{oid}", t.token
            )
            if status == 200:
                t.open_ids.remove(oid)
                rec.acked_closes[oid] = data
            elif status in (404, 409):
                t.open_ids.remove(oid)  # liquidated or stopped out meanwhile
        elif roll < 0.7:
            status, data = await self.call(
                session,
                "partial",
                "POST",
                f"/api/v1/order/close/{oid}",
                t.token,
                {"percent": rng.choice([25, 50, 75])},
            )
            if status == 200:
                rec.acked_closes[data["closed"]["orderId"]] = data["closed"]
                rec.acked_orders[oid] = data["order"]
            elif status in (404, 409):
                t.open_ids.remove(oid)
        elif roll < 0.85:
            status, data = await self.call(
                session,
                "margin",
                "POST",
                f"/api/v1/order/{oid}/margin",
                t.token,
                {"amount": str(rng.randint(1, 5))},
            )
            if status == 200:
                rec.acked_orders[oid] = data
        else:
            status, data = await self.call(
                session,
                "modify",
                "PATCH",
                f"/api/v1/order/{oid}",
                t.token,
                {"trailingStop": str(rng.randint(50, 500))},
            )
            if status == 200:
                rec.acked_orders[oid] = data
        if status == 200 and data is not None:
            return
        if status in (404, 409) and oid in t.open_ids:
            t.open_ids.remove(oid)

    async def listener(self) -> None:
        """A public websocket client: measures tick-to-receipt delay, reconnects when dropped."""
        rec = self.record
        priced = False
        async with aiohttp.ClientSession() as session:
            while not self.stop.is_set():
                try:
                    async with session.ws_connect(
                        self.base.replace("http", "ws") + "/ws", heartbeat=None
                    ) as ws:
                        rec.ws_connects += 1
                        async for msg in ws:
                            if msg.type != aiohttp.WSMsgType.TEXT:
                                break
                            rec.ws_messages += 1
                            if '"price_update"' in msg.data[:40]:
                                if not priced:
                                    priced = True
                                    rec.ws_listeners_priced += 1
                                sent = msg.json()["data"]["timestamp"]
                                rec.ws_delays_ms.append(time.time() * 1000 - sent)
                            if self.stop.is_set():
                                break
                except (aiohttp.ClientError, TimeoutError):
                    pass
                if not self.stop.is_set():
                    await asyncio.sleep(0.2)


_TRANSIENT = {"ENGINE_NOT_READY", "PRICE_STALE"}


def _code(data: Any) -> str:
    try:
        return str(data["error"]["code"])
    except (KeyError, TypeError):
        return ""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]
