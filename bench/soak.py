"""Whole-system load and chaos figures: a real server process, 200 traders over HTTP, 500
websocket listeners, the sim feed at 1,000 ticks/s per asset.

    python bench/soak.py                  # 120 s load, then 10 kill -9 chaos rounds (SQLite)
    python bench/soak.py --seconds 30 --kills 3 --pg

Prints throughput, p50/p99/p99.9 latency per route, tick-to-websocket delay and the
server's RSS over time; the chaos part checks every acknowledged request after each
restart (the same checks as tests/system) and runs the audit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

# The repository instead of bench/ itself: bench/http.py would shadow the stdlib http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from tests import pgscratch
from tests.system.checks import check_durable, check_live, check_no_lost_requests
from tests.system.load import LoadRecord, percentile
from tests.system.run import drive
from tests.system.server import ServerProcess


def report(record: LoadRecord, seconds: float) -> None:
    total = sum(len(v) for v in record.latencies.values())
    print(f"requests answered: {total:,} in {seconds:.0f} s = {total / seconds:,.0f}/s")
    print(f"{'route':<8} {'count':>7} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9}")
    for route, values in sorted(record.latencies.items()):
        print(
            f"{route:<8} {len(values):>7,} {percentile(values, 0.5):>8.1f} "
            f"{percentile(values, 0.99):>8.1f} {percentile(values, 0.999):>9.1f}"
        )
    d = record.ws_delays_ms
    print(
        f"websocket: {record.ws_messages:,} messages to {record.ws_connects} connections; "
        f"tick-to-receipt p50 {percentile(d, 0.5):.1f} ms, p99 {percentile(d, 0.99):.1f} ms"
    )
    samples = record.rss[:: max(1, len(record.rss) // 8)]
    print("server RSS MiB over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples))


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for phase, kills in (("load", 0), ("chaos", args.kills)):
            if phase == "chaos" and kills == 0:
                continue
            data = Path(tmp) / phase
            data.mkdir()
            url, schema = (
                (await pgscratch.create_schema("soak"))
                if args.pg
                else (f"sqlite:///{data}/v.db", "")
            )
            server = ServerProcess(url, data)
            await server.start()
            seconds = args.seconds if phase == "load" else 4.0 * (kills + 1)
            print(
                f"== {phase}: {'postgresql' if args.pg else 'sqlite'}, {seconds:.0f} s, "
                f"{kills} kill -9"
            )
            record = await drive(
                server,
                traders=200 if phase == "load" else 60,
                listeners=500 if phase == "load" else 40,
                seconds=seconds,
                kills=kills,
            )
            if phase == "load":
                check_no_lost_requests(record)
            await check_live(server, record)
            report(record, seconds)
            assert await server.stop() == 0
            await check_durable(url, record)
            print(
                f"checks passed: {len(record.acked_opens):,} acknowledged opens, "
                f"{len(record.acked_closes):,} acknowledged closes, audit OK"
            )
            if schema:
                await pgscratch.drop_schema(schema)


if __name__ == "__main__":
    asyncio.run(main())
