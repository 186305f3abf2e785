"""Order latency while a funding boundary is charged (issue 12): the boundary over N open
positions is applied in ClockTick steps, so orders queued meanwhile wait for at most one
step, not for the whole boundary.

In one process, on a real SQLite store: N positions, then 50 concurrent clients submit
market opens through the service (each reply after its group commit, as over HTTP) for a
few seconds while nothing else happens (the baseline), then again while the clock command
charges the boundary. Prints p50/p99 of both and their ratio, and how long the boundary took.

    python bench/funding.py [--positions 100000] [--clients 50] [--seconds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from tests.system.load import percentile
from velox.clockwork import drain
from velox.engine.commands import Deposit, OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import EngineService
from velox.store.factory import open_store_for

BTC = "BTCUSDT"
INTERVAL = 28_800_000
BOUNDARY = 20_000 * INTERVAL


async def clients(
    service: EngineService, users: list[str], seconds: float, now: list[int]
) -> list[float]:
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    async def client(user: str) -> None:
        while time.perf_counter() < stop:
            t = time.perf_counter()
            out = await service.submit(OpenPosition(user, BTC, "LONG", 10, now[0], margin=SCALE))
            assert out.ok, out.refusal
            latencies.append((time.perf_counter() - t) * 1000)

    await asyncio.gather(*(client(u) for u in users))
    return latencies


async def main(positions: int, n_clients: int, seconds: float) -> None:
    now = [BOUNDARY - 60_000]
    settings = EngineSettings(max_open_positions=10**7)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store_for(f"sqlite:///{tmp}/bench.db")
        await store.open()
        service = EngineService(store, settings, snapshot_interval_s=3600, clock=lambda: now[0])
        await service.start()
        holders = [f"h{i}" for i in range(100)]
        users = [f"c{i}" for i in range(n_clients)]
        for user in holders + users:
            await service.submit(OpenAccount(user, now[0]))
            await service.submit(Deposit(user, 10**7 * SCALE, now[0]))
        service.offer_tick(PriceTick(BTC, 100_000 * SCALE, now[0]))
        t0 = time.perf_counter()
        per = positions // len(holders)
        await asyncio.gather(*(
            service.submit(OpenPosition(h, BTC, "LONG", 10, now[0], margin=SCALE))
            for h in holders for _ in range(per)
        ))  # fmt: skip
        print(f"{per * len(holders):,} positions opened in {time.perf_counter() - t0:.1f} s")
        quiet = await clients(service, users, seconds, now)
        now[0] = BOUNDARY + 1
        service.offer_tick(PriceTick(BTC, 100_000 * SCALE, now[0]))
        t0 = time.perf_counter()
        boundary = asyncio.create_task(drain(service.submit, now[0]))
        during = await clients(service, users, seconds, now)
        steps = await boundary
        took = time.perf_counter() - t0
        await service.stop()
        await store.close()
    q50, q99 = percentile(quiet, 0.5), percentile(quiet, 0.99)
    d50, d99 = percentile(during, 0.5), percentile(during, 0.99)
    print(f"{n_clients} clients, durable market opens, SQLite:")
    print(f"  quiet:  {len(quiet):,} orders, p50 {q50:.1f} ms, p99 {q99:.1f} ms")
    print(f"  during the boundary ({steps} ClockTick steps, {took:.2f} s incl. the orders): "
          f"{len(during):,} orders, p50 {d50:.1f} ms, p99 {d99:.1f} ms")  # fmt: skip
    print(f"  p99 during / quiet: {d99 / q99:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    asyncio.run(main(args.positions, args.clients, args.seconds))
