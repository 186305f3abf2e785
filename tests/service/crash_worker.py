"""A Velox engine shell under load, for the kill -9 test: run as a subprocess.

    python -m tests.service.crash_worker DB_URL SEED

Prints one JSON line per acknowledged command (after it is durable), flushing each, so the
parent knows exactly what was promised before it kills this process at a random instant.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys

from velox.engine.commands import ClosePosition, OpenAccount, OpenPosition, PriceTick
from velox.engine.events import PositionClosed, PositionOpened
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.factory import open_store_for

BTC = "BTCUSDT"


def ack(kind: str, **data: object) -> None:
    sys.stdout.write(json.dumps({"ack": kind, **data}) + "\n")
    sys.stdout.flush()


async def trader(service: EngineService, user: str, rng: random.Random) -> None:
    await service.submit(OpenAccount(user, service.clock()))
    ack("account", user=user)
    mine: list[str] = []
    while True:
        if mine and rng.random() < 0.4:
            oid = mine.pop(rng.randrange(len(mine)))
            out = await service.submit(ClosePosition(user, oid, service.clock()))
            for e in out.events:
                if isinstance(e, PositionClosed):
                    ack("close", order_id=e.order_id, close_price=e.close_price, pnl=e.pnl)
        else:
            side = rng.choice(["LONG", "SHORT"])
            cmd = OpenPosition(
                user,
                BTC,
                side,
                rng.randint(1, 50),
                service.clock(),
                margin=rng.randint(1, 20) * SCALE,
            )
            out = await service.submit(cmd)
            for e in out.events:
                if isinstance(e, PositionOpened):
                    mine.append(e.order_id)
                    ack(
                        "open",
                        order_id=e.order_id,
                        user=user,
                        qty=e.qty,
                        margin=e.margin,
                        open_price=e.open_price,
                    )
        await asyncio.sleep(0)


async def prices(service: EngineService, rng: random.Random) -> None:
    price = 100_000 * SCALE
    while True:
        price = max(SCALE, price + rng.randint(-200, 200) * SCALE)
        service.offer_tick(PriceTick(BTC, price, service.clock()))
        await asyncio.sleep(0.002)


async def main(url: str, seed: int) -> None:
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, EngineSettings(), snapshot_interval_s=0.3)
    await service.start()
    service.offer_tick(PriceTick(BTC, 100_000 * SCALE, service.clock()))
    ack("ready", seq=service.seq)
    tasks = [asyncio.create_task(prices(service, random.Random(seed + 1)))]
    tasks += [
        asyncio.create_task(trader(service, f"s{seed}-u{i}", random.Random(seed * 100 + i)))
        for i in range(8)
    ]
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
