"""The engine role over NATS: durable opens/s from concurrent NATS requesters to a ``velox
engine`` process on PostgreSQL, against the same opens through an in-process EngineService
(``bench/journal.py``'s pipelined group commit) in the same run; p50/p99 request to reply.

What a gateway's command costs beyond the engine's own work: the wire encoding both ways,
two NATS hops, and the engine role's bus server answering after the commit.

    python bench/bus.py [--orders 4000] [--clients 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

# The repository instead of bench/ itself: bench/http.py would shadow the stdlib http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.journal import run as in_process
from tests import pgscratch
from tests.scale.cluster import NATS_SERVER, Nats, Role
from velox.bus import wire
from velox.bus.connect import connect
from velox.bus.subjects import Subjects
from velox.engine.commands import Command, OpenAccount, OpenPosition
from velox.money import SCALE
from velox.service import MAX_BATCH

ENGINE_ARGS = (
    *("--initial-balance", "10000000", "--max-open-positions", "1000000"),
    *("--sim-rate", "5", "--snapshot-interval", "3600", "--log-level", "WARNING"),
)


async def over_the_bus(url: str, orders: int, clients: int, tmp: Path) -> tuple[float, ...]:
    nats = Nats(tmp)
    await nats.start()
    engine = Role("engine", "engine", url, nats.url, tmp, ENGINE_ARGS)
    await engine.start()
    nc = await connect(nats.url, "bench")
    subject = Subjects().commands
    try:

        async def ask(command: Command) -> wire.Reply:
            request = wire.encode_command(uuid.uuid4().hex, command)
            return wire.decode_reply((await nc.request(subject, request, timeout=30)).data)

        for c in range(clients):
            await ask(OpenAccount(f"c{c}", 0))
        latencies: list[float] = []

        async def client(c: int) -> None:
            for _ in range(orders // clients):
                t = time.perf_counter()
                reply = await ask(OpenPosition(f"c{c}", "BTCUSDT", "LONG", 100, 0, margin=SCALE))
                latencies.append(time.perf_counter() - t)
                assert reply.outcome.ok, reply

        start = time.perf_counter()
        await asyncio.gather(*(client(c) for c in range(clients)))
        elapsed = time.perf_counter() - start
    finally:
        await nc.close()
        await engine.stop()
        await nats.stop()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    return len(latencies) / elapsed, statistics.median(latencies) * 1000, p99


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=100)
    args = parser.parse_args()
    if not os.access(NATS_SERVER, os.X_OK):
        print(f"no nats-server at {NATS_SERVER}: skipped")
        return
    print(f"{args.orders} durable opens from {args.clients} concurrent submitters, PostgreSQL")
    print(f"{'path':<34} {'orders/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    rates = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("EngineService in process", "velox engine over NATS"):
            pg = await pgscratch.create_schema_if_reachable("bench")
            if pg is None:
                print("postgresql unreachable: skipped")
                return
            url, schema = pg
            try:
                if name.endswith("NATS"):
                    figures = await over_the_bus(url, args.orders, args.clients, Path(tmp))
                else:
                    figures = await in_process(url, args.orders, args.clients, MAX_BATCH, True)
            finally:
                await pgscratch.drop_schema(schema)
            rate, p50, p99 = figures
            rates.append(rate)
            print(f"{name:<34} {rate:>10,.0f} {p50:>8.2f} {p99:>8.2f}")
    print(f"over NATS / in process = {rates[1] / rates[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
