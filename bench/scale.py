"""Scale-out benchmark: one process (``velox run``) vs one engine + two gateways, same run.

Both deployments run on PostgreSQL (a gateway needs it) with the simulated feed, on this
machine's cores, with the load generator in this process. For each: durable opens and reads
over HTTP from N concurrent clients (spread over the gateways), and websocket fan-out to M
sockets (spread likewise): price updates delivered and tick-to-receipt delay. The ratio is
cluster / one process. On one 2-core machine the cluster cannot be faster (its three Python
processes and NATS share the same two cores the one process has to itself); the figure that
matters is what one gateway costs, which says how many machines a target load needs.

    python bench/scale.py [--clients 50] [--seconds 10] [--sockets 1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import asyncio
import os
import tempfile

import aiohttp

from bench.http import BIG_ACCOUNTS, ORDER, fanout, hammer, signup
from tests import pgscratch
from tests.scale.cluster import NATS_SERVER, Cluster
from tests.system.load import percentile
from tests.system.server import ServerProcess

SIM = ("--sim-rate", "5")


async def measure(bases: list[str], args: argparse.Namespace) -> dict[str, tuple[float, ...]]:
    async with aiohttp.ClientSession() as session:
        tokens = [await signup(session, bases[i % len(bases)], i) for i in range(args.clients)]
    figures: dict[str, tuple[float, ...]] = {}
    for name, method, path, body in (
        ("POST /api/v1/order/open (durable)", "POST", "/api/v1/order/open", ORDER),
        ("GET /api/v1/order/user/balance", "GET", "/api/v1/order/user/balance", None),
    ):
        results = await asyncio.gather(
            *(
                hammer(base, tokens[i :: len(bases)], args.seconds, method, path, body)
                for i, base in enumerate(bases)
            )
        )
        errors = sum(e for e, _ in results)
        lat = [x for _, lats in results for x in lats]
        figures[name] = (len(lat) / args.seconds, percentile(lat, 0.5), percentile(lat, 0.99),
                         errors)  # fmt: skip
    per_base = args.sockets // len(bases)
    delays_each = await asyncio.gather(*(fanout(b, per_base, args.seconds) for b in bases))
    delays = [d for ds in delays_each for d in ds]
    figures[f"websocket fan-out, {args.sockets} sockets"] = (
        len(delays) / args.seconds,
        percentile(delays, 0.5),
        percentile(delays, 0.99),
        0,
    )
    return figures


def show(title: str, figures: dict[str, tuple[float, ...]]) -> None:
    print(title)
    print(f"  {'measure':<40} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, (rate, p50, p99, errors) in figures.items():
        print(f"  {name:<40} {rate:>9,.0f} {p50:>8.2f} {p99:>8.2f} {errors:>7.0f}")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--sockets", type=int, default=1000)
    args = parser.parse_args()
    if not await pgscratch.reachable():
        print(f"PostgreSQL unreachable at {pgscratch.PG_URL}: skipped")
        return
    if not os.access(NATS_SERVER, os.X_OK):
        print(f"no nats-server at {NATS_SERVER}: skipped")
        return
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = await pgscratch.create_schema("velox_bench")
        single = ServerProcess(url, Path(tmp), extra_args=(*BIG_ACCOUNTS, *SIM))
        await single.start()
        try:
            results["one process"] = await measure([single.base], args)
        finally:
            await single.stop()
            await pgscratch.drop_schema(schema)
        url, schema = await pgscratch.create_schema("velox_bench")
        (Path(tmp) / "cluster").mkdir()
        cluster = Cluster(url, Path(tmp) / "cluster", 2, (*BIG_ACCOUNTS, *SIM,
                          "--log-level", "WARNING"))  # fmt: skip
        await cluster.start()
        try:
            results["1 engine + 2 gateways"] = await measure(cluster.bases, args)
        finally:
            await cluster.stop()
            await pgscratch.drop_schema(schema)
    print(f"{args.clients} HTTP clients and {args.sockets} sockets, {args.seconds:.0f} s each")
    for title, figures in results.items():
        show(title, figures)
    one, two = results.values()
    for name in one:
        print(f"{name}: cluster / one process = {two[name][0] / max(one[name][0], 1e-9):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
