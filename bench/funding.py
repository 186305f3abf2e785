"""Order latency while a funding boundary is charged (issue 12): the boundary over N open
positions is applied in ClockTick steps, so orders queued meanwhile wait for at most one
step, not for the whole boundary.

In one process, on a real SQLite store: N positions, then 50 concurrent clients submit
market opens through the service (each reply after its group commit, as over HTTP) for a
few seconds while nothing else happens (the baseline), then again while the clock command
charges the boundary. Prints p50/p99 of both and their ratio, and how long the boundary took.

    python bench/funding.py [--positions 100000] [--clients 50] [--seconds 3]

With ``--http`` the same question is asked of a real server process over HTTP, as a user sees
it: the bench seeds a SQLite database with N positions through the engine service, starts
``velox run`` on it with a 60 s funding interval, and 50 HTTP clients open positions for
``--seconds`` before a boundary (quiet) and from the boundary on (during), in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import aiohttp

from bench.http import BIG_ACCOUNTS, ORDER, hammer, signup
from tests.system.load import percentile
from tests.system.server import ServerProcess
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


async def funded(service: EngineService, user: str) -> None:
    await service.submit(OpenAccount(user, service.clock()))
    await service.submit(Deposit(user, 10**7 * SCALE, service.clock()))


async def open_held(service: EngineService, positions: int, price: int, leverage: int) -> int:
    """``positions`` LONG BTC positions of 100 holders at ``price``; how many were opened."""
    holders = [f"holder-{i}" for i in range(100)]
    for user in holders:
        await funded(service, user)
    service.offer_tick(PriceTick(BTC, price * SCALE, service.clock()))
    per = positions // len(holders)
    await asyncio.gather(*(
        service.submit(OpenPosition(h, BTC, "LONG", leverage, service.clock(), margin=SCALE))
        for h in holders for _ in range(per)
    ))  # fmt: skip
    return per * len(holders)


async def main(positions: int, n_clients: int, seconds: float) -> None:
    now = [BOUNDARY - 60_000]
    settings = EngineSettings(max_open_positions=10**7)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store_for(f"sqlite:///{tmp}/bench.db")
        await store.open()
        service = EngineService(store, settings, snapshot_interval_s=3600, clock=lambda: now[0])
        await service.start()
        users = [f"c{i}" for i in range(n_clients)]
        for user in users:
            await funded(service, user)
        t0 = time.perf_counter()
        opened = await open_held(service, positions, 100_000, leverage=10)
        print(f"{opened:,} positions opened in {time.perf_counter() - t0:.1f} s")
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


HTTP_INTERVAL_S = 60


async def seed(url: str, positions: int) -> None:
    """``positions`` LONG BTC positions at 2x (far from liquidation whatever the simulator
    does) of 100 holders, opened at the simulator's start price, journaled and snapshotted."""
    settings = EngineSettings(max_open_positions=10**7, funding_interval_ms=HTTP_INTERVAL_S * 1000)
    store = open_store_for(url)
    await store.open()
    service = EngineService(store, settings, snapshot_interval_s=3600)
    await service.start()
    await open_held(service, positions, 95_000, leverage=2)
    await service.stop()
    await store.close()


async def over_http(positions: int, n_clients: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        t0 = time.perf_counter()
        await seed(url, positions)
        print(f"{positions:,} positions seeded in {time.perf_counter() - t0:.1f} s", flush=True)
        t0 = time.perf_counter()
        server = ServerProcess(url, Path(tmp), sim_rate=50, extra_args=(
            *BIG_ACCOUNTS, "--funding-interval", str(HTTP_INTERVAL_S)))  # fmt: skip
        await server.start()
        print(f"server ready in {time.perf_counter() - t0:.1f} s")
        try:
            async with aiohttp.ClientSession() as session:
                tokens = [await signup(session, server.base, i) for i in range(n_clients)]
            path = "/api/v1/order/open"
            # a boundary far enough ahead for the start-up's own boundary (if any) to be done
            # and a quiet window before it
            interval = HTTP_INTERVAL_S
            boundary = (int(time.time()) // interval + 1) * interval
            if boundary - time.time() < seconds + 20:
                boundary += interval
            print(f"waiting {boundary - time.time():.0f} s for the boundary", flush=True)
            await asyncio.sleep(boundary - seconds - 2 - time.time())
            quiet_errors, quiet = await hammer(server.base, tokens, seconds, "POST", path, ORDER)
            await asyncio.sleep(max(0.0, boundary - time.time()))
            errors, during = await hammer(server.base, tokens, seconds, "POST", path, ORDER)
        finally:
            await server.stop()
        with sqlite3.connect(f"{tmp}/bench.db") as db:
            charged, first, last = db.execute(
                "SELECT COUNT(*), MIN(seq), MAX(seq) FROM funding WHERE boundary = ?",
                (boundary * 1000,),
            ).fetchone()
            (between,) = db.execute(
                "SELECT COUNT(*) FROM journal WHERE seq BETWEEN ? AND ? AND type = ?",
                (first, last, "PositionOpened"),
            ).fetchone()
    q50, q99 = percentile(quiet, 0.5), percentile(quiet, 0.99)
    d50, d99 = percentile(during, 0.5), percentile(during, 0.99)
    print(f"{n_clients} HTTP clients, durable POST /api/v1/order/open, SQLite, "
          f"{positions:,} positions seeded, funding boundary {boundary}:")  # fmt: skip
    print(f"  quiet ({seconds:.0f} s before): {len(quiet):,} orders ({quiet_errors} errors), "
          f"p50 {q50:.1f} ms, p99 {q99:.1f} ms")  # fmt: skip
    print(f"  during ({seconds:.0f} s from the boundary): {len(during):,} orders ({errors} "
          f"errors), p50 {d50:.1f} ms, p99 {d99:.1f} ms")  # fmt: skip
    print(f"  p99 during / quiet: {d99 / q99:.2f}x; {charged:,} positions charged at the "
          f"boundary, {between:,} orders opened between its first and last charge")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--http", action="store_true", help="over HTTP, a server process")
    args = parser.parse_args()
    run = over_http if args.http else main
    asyncio.run(run(args.positions, args.clients, args.seconds))
