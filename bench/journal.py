"""Durable commands/s through the EngineService: group commit against one commit per
command (``max_batch=1``), and group commit with pipelining (the next batch applied while
the previous one commits), same run, on SQLite and PostgreSQL; p50/p99 submit-to-durable.

    python bench/journal.py [--orders 4000] [--clients 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository instead of bench/ itself: bench/http.py would shadow the stdlib http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from tests import pgscratch
from velox.engine.commands import OpenAccount, OpenPosition, PriceTick
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.service import MAX_BATCH, EngineService
from velox.store.factory import open_store_for


async def run(
    url: str, orders: int, clients: int, max_batch: int, pipeline: bool = False
) -> tuple[float, float, float]:
    store = open_store_for(url)
    await store.open()
    service = EngineService(
        store,
        EngineSettings(max_open_positions=10**6),
        max_batch=max_batch,
        snapshot_interval_s=3600,
        pipeline=pipeline,
    )
    await service.start()
    for c in range(clients):
        await service.submit(OpenAccount(f"c{c}", service.clock()))
    latencies: list[float] = []

    async def client(c: int) -> None:
        for _ in range(orders // clients):
            service.offer_tick(PriceTick("BTCUSDT", 100_000 * SCALE, service.clock()))
            t = time.perf_counter()
            out = await service.submit(
                OpenPosition(f"c{c}", "BTCUSDT", "LONG", 100, service.clock(), margin=SCALE)
            )
            latencies.append(time.perf_counter() - t)
            assert out.ok, out.refusal

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - start
    await service.stop()
    await store.close()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return len(latencies) / elapsed, p50, p99


MODES = ("one commit per order", "group commit", "group commit, pipelined")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    print(f"{args.orders} durable opens from {args.clients} concurrent submitters")
    print(f"{'store':<10} {'mode':<26} {'orders/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        targets: list[tuple[str, str, str | None]] = []
        for i, mode in enumerate(MODES):
            targets.append(("sqlite", mode, f"sqlite:///{tmp}/{i}.db"))
        scratch = []
        for mode in MODES:
            pg = await pgscratch.create_schema_if_reachable("bench")
            if pg is None:
                print("postgresql unreachable: skipped")
                break
            scratch.append(pg[1])
            targets.append(("postgresql", mode, pg[0]))
        rates: dict[tuple[str, str], float] = {}
        for name, mode, url in targets:
            assert url is not None
            batch = 1 if mode.startswith("one") else MAX_BATCH
            pipelined = mode.endswith("pipelined")
            rate, p50, p99 = await run(url, args.orders, args.clients, batch, pipelined)
            rates[(name, mode)] = rate
            print(f"{name:<10} {mode:<26} {rate:>10,.0f} {p50:>8.2f} {p99:>8.2f}")
        for name in ("sqlite", "postgresql"):
            if (name, MODES[2]) in rates:
                one, group, piped = (rates[(name, m)] for m in MODES)
                print(f"{name}: group commit / one commit per order = {group / one:.1f}x")
                print(f"{name}: pipelined / group commit = {piped / group:.2f}x")
        for schema in scratch:
            await pgscratch.drop_schema(schema)


if __name__ == "__main__":
    asyncio.run(main())
