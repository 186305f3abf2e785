"""HTTP and websocket benchmark against a real server process.

1. Durable opens over real HTTP: N concurrent clients (default 50, in this second process),
   each opening 100x LONG BTC positions back to back on a keep-alive connection; opens/s and
   p50/p99 latency. Baseline in the same run: the same server with ``--max-batch 1``-like
   behaviour is not exposed over HTTP, so the baseline is GET /healthz (no engine, no
   journal) at the same concurrency: what the HTTP stack alone costs.
2. Websocket fan-out: 1,000 connected clients, p50/p99 delay from a tick's local receive
   time on the server to its receipt by a client.

    python bench/http.py [--clients 50] [--seconds 10] [--sockets 1000]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: run as a script, its folder would shadow the standard
# library's http package for everything imported below. Put the repository first instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import aiohttp  # noqa: E402

from tests.system.load import percentile  # noqa: E402
from tests.system.server import ServerProcess  # noqa: E402

# Every client opens thousands of positions: lift the per-user limits; and the default
# snapshot interval (the system tests' server snapshots every 2 s).
BIG_ACCOUNTS = (
    *("--initial-balance", "10000000", "--max-open-positions", "1000000"),
    *("--snapshot-interval", "15"),
)
ORDER = {"asset": "BTCUSDT", "side": "LONG", "leverage": 100, "margin": "1"}


async def signup(session: aiohttp.ClientSession, base: str, i: int) -> str:
    async with session.post(
        base + "/api/v1/user/signup",
        json={"email": f"bench{i}@example.com", "password": "bench-password"},
    ) as r:
        return str((await r.json())["token"])


async def hammer(
    base: str, tokens: list[str], seconds: float, method: str, path: str, body: object | None
) -> tuple[int, list[float]]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=len(tokens))
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.perf_counter() + seconds

        async def client(token: str) -> None:
            nonlocal errors
            headers = {"Authorization": f"Bearer {token}"}
            while time.perf_counter() < stop:
                t = time.perf_counter()
                async with session.request(method, base + path, json=body, headers=headers) as r:
                    await r.read()
                    if r.status >= 300:
                        errors += 1
                latencies.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(client(t) for t in tokens))
    return errors, latencies


async def fanout(base: str, sockets: int, seconds: float) -> list[float]:
    delays: list[float] = []
    stop = asyncio.Event()
    connected = 0

    async def listener(session: aiohttp.ClientSession) -> None:
        nonlocal connected
        async with session.ws_connect(base.replace("http", "ws") + "/ws") as ws:
            connected += 1
            async for msg in ws:
                if stop.is_set():
                    break
                if msg.type == aiohttp.WSMsgType.TEXT and '"price_update"' in msg.data[:40]:
                    delays.append(time.time() * 1000 - msg.json()["data"]["timestamp"])

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(listener(session)) for _ in range(sockets)]
        while connected < sockets:
            await asyncio.sleep(0.1)
        delays.clear()  # measure only once every client is connected
        await asyncio.sleep(seconds)
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return delays


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--sockets", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            f"sqlite:///{tmp}/bench.db",
            Path(tmp),
            sim_rate=5,
            extra_args=BIG_ACCOUNTS,
        )
        await server.start()
        try:
            print(f"{args.clients} concurrent HTTP clients, {args.seconds:.0f} s each")
            print(f"{'request':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            rates = {}
            async with aiohttp.ClientSession() as session:
                tokens = [await signup(session, server.base, i) for i in range(args.clients)]
            for name, method, path, body in (
                ("GET /healthz (HTTP stack only)", "GET", "/healthz", None),
                ("POST /api/v1/order/open (durable)", "POST", "/api/v1/order/open", ORDER),
            ):
                errors, lat = await hammer(server.base, tokens, args.seconds, method, path, body)
                rates[name] = len(lat) / args.seconds
                print(
                    f"{name:<34} {rates[name]:>8,.0f} {percentile(lat, 0.5):>8.2f} "
                    f"{percentile(lat, 0.99):>8.2f} {errors:>7}"
                )
            health, opens = rates.values()
            print(f"durable opens / bare HTTP requests = {opens / health:.2f}")
            delays = await fanout(server.base, args.sockets, args.seconds)
            print(
                f"websocket fan-out to {args.sockets} clients: {len(delays):,} price updates, "
                f"tick-to-receipt p50 {percentile(delays, 0.5):.1f} ms, "
                f"p99 {percentile(delays, 0.99):.1f} ms"
            )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
