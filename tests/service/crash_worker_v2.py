"""The engine v2 shell under load for the kill -9 test: run as a subprocess.

    python -m tests.service.crash_worker_v2 DB_URL SEED

Traders place market, LIMIT and STOP orders and OCO pairs, cancel and close, with taker and
maker fees; funding boundaries come every 500 ms, charged 3 positions per clock command so a
boundary is usually in flight. One JSON line per acknowledged command, flushed.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys

from velox.clockwork import drain
from velox.engine.commands import (
    CancelOrder,
    ClosePosition,
    OpenAccount,
    OpenPosition,
    PlaceOco,
    PriceTick,
)
from velox.engine.events import OrderCancelled, OrderPlaced, PositionClosed, PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.factory import open_store_for

BTC = "BTCUSDT"
SETTINGS = EngineSettings(
    taker_fee=50_000, maker_fee=20_000, funding_interval_ms=500, funding_rate=100_000
)


def ack(kind: str, **data: object) -> None:
    sys.stdout.write(json.dumps({"ack": kind, **data}) + "\n")
    sys.stdout.flush()


def pending(user: str, service: EngineService, rng: random.Random, kind: str) -> OpenPosition:
    ref = service.engine.quotes[BTC].ref
    side = rng.choice(["LONG", "SHORT"])
    away = rng.randint(1, 300) * SCALE
    # LIMIT rests below (LONG) / above (SHORT) the market; STOP the other way
    below = (side == "LONG") == (kind == "LIMIT")
    price = ref - away if below else ref + away
    margin = rng.randint(1, 20) * SCALE
    return OpenPosition(user, BTC, side, rng.randint(1, 20), service.clock(), margin=margin,
                        order_type=kind, price=price)  # fmt: skip


def acknowledge(out_events: tuple[object, ...], user: str) -> list[str]:
    """Print what the events promise; the ids of positions now open."""
    opened = []
    for e in out_events:
        if isinstance(e, PositionOpened):
            opened.append(e.order_id)
            ack("open", order_id=e.order_id, user=user, qty=e.qty, margin=e.margin, fee=e.fee,
                open_price=e.open_price)  # fmt: skip
        elif isinstance(e, OrderPlaced):
            ack("pending", order_id=e.order_id, reserved=e.reserved, oco=e.oco_group_id)
        elif isinstance(e, OrderCancelled):
            ack("cancelled", order_id=e.order_id, status=e.status)
        elif isinstance(e, PositionClosed):
            ack("close", order_id=e.order_id, close_price=e.close_price, pnl=e.pnl,
                fee=e.fee)  # fmt: skip
    return opened


async def trader(service: EngineService, user: str, rng: random.Random) -> None:
    await service.submit(OpenAccount(user, service.clock()))
    ack("account", user=user)
    mine: list[str] = []
    waiting: list[str] = []
    while True:
        roll = rng.random()
        if mine and roll < 0.2:
            out = await service.submit(ClosePosition(user, mine.pop(), service.clock()))
        elif waiting and roll < 0.35:
            out = await service.submit(CancelOrder(user, waiting.pop(), service.clock()))
        elif roll < 0.55:
            out = await service.submit(pending(user, service, rng, rng.choice(["LIMIT", "STOP"])))
        elif roll < 0.7:
            first = pending(user, service, rng, "LIMIT")
            second = pending(user, service, rng, "STOP")
            out = await service.submit(PlaceOco(user, first, second, service.clock()))
        else:
            out = await service.submit(
                OpenPosition(user, BTC, rng.choice(["LONG", "SHORT"]), rng.randint(1, 20),
                             service.clock(), margin=rng.randint(1, 20) * SCALE)
            )  # fmt: skip
        mine += acknowledge(out.events, user)
        waiting += [e.order_id for e in out.events if isinstance(e, OrderPlaced)]
        await asyncio.sleep(0)


async def prices(service: EngineService, rng: random.Random) -> None:
    price = 100_000 * SCALE
    while True:
        price = max(SCALE, price + rng.randint(-100, 100) * SCALE)
        service.offer_tick(PriceTick(BTC, price, service.clock()))
        await asyncio.sleep(0.002)


async def clock(service: EngineService) -> None:
    while True:
        sent = await drain(service.submit, service.clock(), budget=3)
        if sent > 1:
            ack("funding_steps", steps=sent)
        await asyncio.sleep(0.01)


async def first_boundary(service: EngineService, user: str) -> int:
    """Four positions, then the next boundary charged (in steps of 3): every round journals
    funding charges whatever the machine's speed (the kill comes after a number of acks,
    which a fast machine could reach before the traders' first boundary)."""
    await service.submit(OpenAccount(user, service.clock()))
    for _ in range(4):
        out = await service.submit(OpenPosition(user, BTC, "LONG", 5, service.clock(),
                                                margin=10 * SCALE))  # fmt: skip
        assert out.ok, out.refusal
    interval = SETTINGS.funding_interval_ms
    await asyncio.sleep((interval - service.clock() % interval + 5) / 1000)
    return await drain(service.submit, service.clock(), budget=3)


async def main(url: str, seed: int) -> None:
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, SETTINGS, snapshot_interval_s=0.3)
    await service.start()
    service.offer_tick(PriceTick(BTC, 100_000 * SCALE, service.clock()))
    steps = await first_boundary(service, f"s{seed}-held")
    ack("ready", seq=service.seq)
    ack("funding_steps", steps=steps)
    tasks = [asyncio.create_task(prices(service, random.Random(seed + 1)))]
    tasks.append(asyncio.create_task(clock(service)))
    tasks += [
        asyncio.create_task(trader(service, f"s{seed}-u{i}", random.Random(seed * 100 + i)))
        for i in range(8)
    ]
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
