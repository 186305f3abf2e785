"""What Binance-style signing costs: signed /fapi reads next to the native API's, same run.

N concurrent clients (default 50), each its own user with its own API key, on keep-alive
connections against a real server process (``--feed sim``):

- baseline: ``GET /api/v1/order/user/balance`` with a Bearer session (a JWT check);
- ``GET /fapi/v2/balance``, signed: key lookup, timestamp window, HMAC-SHA256 over the query,
  request weight, the same account figures in Binance's shape.

Both read the same engine state through the same queue, so the difference is the adapter:
parameters, signature and weights. Printed as req/s, p50/p99 and the ratio to the baseline.
(Signed ``POST /fapi/v1/order`` next to ``POST /api/v1/order/open`` joins when the order
endpoint lands with NETTING accounts.)

    python bench/binance.py [--clients 50] [--seconds 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import asyncio
import hashlib
import hmac
import tempfile
import time
from collections.abc import Callable
from urllib.parse import urlencode

import aiohttp

from tests.system.load import percentile
from tests.system.server import ServerProcess

Request = Callable[[], tuple[str, dict[str, str]]]  # -> (path and query, headers)


async def user_with_key(session: aiohttp.ClientSession, base: str, i: int) -> tuple[str, dict]:
    async with session.post(
        base + "/api/v1/user/signup",
        json={"email": f"bot{i}@example.com", "password": "bench-password"},
    ) as r:
        body = await r.json()
    token, user_id = body["token"], body["user"]["id"]
    async with session.post(
        base + "/api/v1/api-keys",
        json={"name": "bench", "accountId": user_id, "permissions": ["read"]},
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        key = await r.json()
    return token, key


def native(token: str) -> Request:
    headers = {"Authorization": f"Bearer {token}"}
    return lambda: ("/api/v1/order/user/balance", headers)


def signed(key: dict) -> Request:
    """Signed requests, re-signed once a second (with recvWindow 10000 each stays valid), so
    that the load generator's own HMAC work, in this process, does not throttle the run."""
    headers = {"X-MBX-APIKEY": key["apiKey"]}
    secret = key["secret"].encode()
    cache: list[tuple[int, str]] = []

    def make() -> tuple[str, dict[str, str]]:
        now = time.time_ns() // 1_000_000
        if not cache or now - cache[0][0] > 1000:
            query = urlencode({"recvWindow": 10000, "timestamp": now})
            signature = hmac.new(secret, query.encode(), hashlib.sha256).hexdigest()
            cache[:] = [(now, f"/fapi/v2/balance?{query}&signature={signature}")]
        return cache[0][1], headers

    return make


async def hammer(base: str, requests: list[Request], seconds: float) -> tuple[int, list[float]]:
    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=len(requests))
    async with aiohttp.ClientSession(connector=connector) as session:
        stop = time.perf_counter() + seconds

        async def client(make: Request) -> None:
            nonlocal errors
            while time.perf_counter() < stop:
                path, headers = make()
                t = time.perf_counter()
                async with session.get(base + path, headers=headers) as r:
                    await r.read()
                    errors += r.status != 200
                latencies.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(client(m) for m in requests))
    return errors, latencies


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            f"sqlite:///{tmp}/bench.db", Path(tmp), sim_rate=5,
            extra_args=("--binance-weight-limit", "0", "--max-api-keys", "10"),
        )  # fmt: skip
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                users = [await user_with_key(session, server.base, i) for i in range(args.clients)]
            runs = {
                "native GET /api/v1/order/user/balance": [native(t) for t, _ in users],
                "signed GET /fapi/v2/balance": [signed(k) for _, k in users],
            }
            print(f"{args.clients} concurrent clients, {args.seconds:.0f} s each")
            print(f"{'request':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            rates: dict[str, list[float]] = {name: [] for name in runs}
            for requests in runs.values():
                await hammer(server.base, requests, 1.0)  # warm up
            for _ in range(2):  # twice, alternating, so neither always runs first
                for name, requests in runs.items():
                    errors, lat = await hammer(server.base, requests, args.seconds)
                    rates[name].append(len(lat) / args.seconds)
                    print(f"{name:<40} {rates[name][-1]:>8.0f} {percentile(lat, 0.5):>8.2f} "
                          f"{percentile(lat, 0.99):>8.2f} {errors:>7}")  # fmt: skip
            base_rate, signed_rate = (sum(r) / len(r) for r in rates.values())
            print(f"signed / native throughput: {signed_rate / base_rate:.2f}")
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
