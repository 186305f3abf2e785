"""What Binance-style signing costs, and how soon the user-data stream tells of a fill.

N concurrent clients (default 50), each its own user with a NETTING account and an API key
for it, on keep-alive connections against a real server process (``--feed sim``). Each pair
runs in the same server, alternating, twice:

- reads: native ``GET /api/v1/order/user/balance`` (Bearer session) against signed
  ``GET /fapi/v2/balance`` (key lookup, timestamp window, HMAC-SHA256, weights);
- durable market orders: native ``POST /api/v1/order/open`` against signed
  ``POST /fapi/v1/order`` (type MARKET), the same engine command, 0.001 BTC at 20x.

During the signed order runs, ``--listeners`` clients (default 10) hold ``/ws/<listenKey>``
open; the delay from each fill's time (``o.T``, the engine's stamp) to the receipt of its
ORDER_TRADE_UPDATE is the user-data latency.

    python bench/binance.py [--clients 50] [--seconds 10] [--listeners 10]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

import argparse
import asyncio
import hashlib
import hmac
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tests.system.load import percentile
from tests.system.server import ServerProcess

# method, path with query, headers, body
Call = tuple[str, str, dict[str, str], bytes | None]
Request = Callable[[], Call]
BIG = ("--initial-balance", "100000000", "--binance-weight-limit", "0",
       "--max-open-positions", "1000000", "--snapshot-interval", "15")  # fmt: skip
QTY = "0.001"


@dataclass
class Bot:
    token: str
    account: str
    api_key: str
    secret: bytes


async def make_bot(session: aiohttp.ClientSession, base: str, i: int) -> Bot:
    async with session.post(
        base + "/api/v1/user/signup",
        json={"email": f"bot{i}@example.com", "password": "bench-password"},
    ) as r:
        token = (await r.json())["token"]
    auth = {"Authorization": f"Bearer {token}"}
    async with session.post(
        base + "/api/v1/accounts", json={"name": "bot", "mode": "NETTING"}, headers=auth
    ) as r:
        account = (await r.json())["accountId"]
    async with session.post(
        base + "/api/v1/api-keys",
        json={"name": "bench", "accountId": account, "permissions": ["read", "trade"]},
        headers=auth,
    ) as r:
        key = await r.json()
    return Bot(token, account, key["apiKey"], key["secret"].encode())


def native_read(bot: Bot) -> Request:
    headers = {"Authorization": f"Bearer {bot.token}", "X-Velox-Account": bot.account}
    return lambda: ("GET", "/api/v1/order/user/balance", headers, None)


def native_order(bot: Bot) -> Request:
    headers = {"Authorization": f"Bearer {bot.token}", "X-Velox-Account": bot.account,
               "Content-Type": "application/json"}  # fmt: skip
    body = json.dumps({"asset": "BTCUSDT", "side": "LONG", "leverage": 20, "qty": QTY}).encode()
    return lambda: ("POST", "/api/v1/order/open", headers, body)


def _sign(bot: Bot, params: dict[str, Any]) -> str:
    query = urlencode({**params, "recvWindow": 10000, "timestamp": time.time_ns() // 1_000_000})
    return f"{query}&signature={hmac.new(bot.secret, query.encode(), hashlib.sha256).hexdigest()}"


def signed_read(bot: Bot) -> Request:
    """Re-signed once a second (recvWindow 10000 keeps it valid), so the load generator's
    own HMAC work, in this process, does not throttle the run."""
    headers = {"X-MBX-APIKEY": bot.api_key}
    cache: list[tuple[float, str]] = []

    def make() -> Call:
        now = time.monotonic()
        if not cache or now - cache[0][0] > 1.0:
            cache[:] = [(now, "/fapi/v2/balance?" + _sign(bot, {}))]
        return "GET", cache[0][1], headers, None

    return make


def signed_order(bot: Bot) -> Request:
    headers = {"X-MBX-APIKEY": bot.api_key,
               "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
    params = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": QTY}
    cache: list[tuple[float, bytes]] = []

    def make() -> Call:
        now = time.monotonic()
        if not cache or now - cache[0][0] > 1.0:
            cache[:] = [(now, _sign(bot, params).encode())]
        return "POST", "/fapi/v1/order", headers, cache[0][1]

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
                method, path, headers, body = make()
                t = time.perf_counter()
                async with session.request(method, base + path, headers=headers,
                                           data=body) as r:  # fmt: skip
                    await r.read()
                    errors += r.status >= 300
                latencies.append((time.perf_counter() - t) * 1000)

        await asyncio.gather(*(client(m) for m in requests))
    return errors, latencies


async def listen(base: str, bots: list[Bot], delays: list[float], stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as session:
        sockets = []
        for bot in bots:
            async with session.post(base + "/fapi/v1/listenKey",
                                    headers={"X-MBX-APIKEY": bot.api_key}) as r:  # fmt: skip
                listen_key = (await r.json())["listenKey"]
            ws_url = base.replace("http://", "ws://") + f"/ws/{listen_key}"
            sockets.append(await session.ws_connect(ws_url))

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for msg in ws:
                now = time.time() * 1000
                data = json.loads(msg.data)
                if data.get("e") == "ORDER_TRADE_UPDATE":
                    delays.append(now - data["o"]["T"])

        readers = [asyncio.create_task(read(ws)) for ws in sockets]
        await stop.wait()
        for ws in sockets:
            await ws.close()
        await asyncio.gather(*readers, return_exceptions=True)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--listeners", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(f"sqlite:///{tmp}/bench.db", Path(tmp), sim_rate=5,
                               extra_args=BIG)  # fmt: skip
        await server.start()
        try:
            async with aiohttp.ClientSession() as session:
                bots = [await make_bot(session, server.base, i) for i in range(args.clients)]
            pairs = {
                "reads": {"native GET /api/v1/order/user/balance": native_read,
                          "signed GET /fapi/v2/balance": signed_read},
                "orders": {"native POST /api/v1/order/open": native_order,
                           "signed POST /fapi/v1/order": signed_order},
            }  # fmt: skip
            print(f"{args.clients} concurrent clients, {args.seconds:.0f} s per run")
            print(f"{'request':<40} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            delays: list[float] = []
            for runs in pairs.values():
                rates: dict[str, list[float]] = {name: [] for name in runs}
                for make in runs.values():
                    await hammer(server.base, [make(b) for b in bots], 1.0)  # warm up
                for _ in range(2):  # twice, alternating, so neither always runs first
                    for name, make in runs.items():
                        stop = asyncio.Event()
                        listening = None
                        if name.startswith("signed POST"):
                            listening = asyncio.create_task(
                                listen(server.base, bots[: args.listeners], delays, stop)
                            )
                            await asyncio.sleep(0.5)
                        errors, lat = await hammer(server.base, [make(b) for b in bots],
                                                   args.seconds)  # fmt: skip
                        stop.set()
                        if listening is not None:
                            await listening
                        rates[name].append(len(lat) / args.seconds)
                        print(f"{name:<40} {rates[name][-1]:>8.0f} "
                              f"{percentile(lat, 0.5):>8.2f} {percentile(lat, 0.99):>8.2f} "
                              f"{errors:>7}")  # fmt: skip
                native, signed = (sum(r) / len(r) for r in rates.values())
                print(f"signed / native throughput: {signed / native:.2f}")
            print(
                f"user-data stream, fill to ORDER_TRADE_UPDATE ({len(delays)} updates): "
                f"p50 {percentile(delays, 0.5):.1f} ms, p99 {percentile(delays, 0.99):.1f} ms"
            )
        finally:
            await server.stop()


if __name__ == "__main__":
    asyncio.run(main())
