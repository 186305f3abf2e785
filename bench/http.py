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

import argparse
import asyncio
import json
import shutil
import tempfile
import time

import aiohttp

from tests.system.load import percentile
from tests.system.server import ServerProcess

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


HANDSHAKE = (
    "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


class ThinListener(asyncio.Protocol):
    """A deliberately thin websocket reader: a protocol callback per read (no task, no JSON
    decoding), so that 1,000 of them in one Python process measure the server's fan-out
    rather than the client's own cost per message."""

    MARKER = b'"timestamp":'

    def __init__(self, host: str, delays: list[float], ready: list[int]) -> None:
        self.host, self.delays, self.ready = host, delays, ready
        self.buf = b""
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(HANDSHAKE.format(host=self.host).encode())

    def data_received(self, data: bytes) -> None:
        now = time.time() * 1000
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.buf, self.upgraded = self.buf[end + 4 :], True
            self.ready.append(1)
        buf = self.buf
        while len(buf) >= 2:
            size, offset = buf[1] & 0x7F, 2
            if size == 126:
                size, offset = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                size, offset = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < offset + size:
                break
            payload, buf = buf[offset : offset + size], buf[offset + size :]
            at = payload.find(self.MARKER)
            if at >= 0 and b"price_update" in payload:
                stamp = payload[at + len(self.MARKER) : payload.find(b"}", at)]
                self.delays.append(now - int(stamp))
        self.buf = buf


async def fanout(base: str, sockets: int, seconds: float) -> list[float]:
    host, port = base.removeprefix("http://").split(":")
    delays: list[float] = []
    ready: list[int] = []
    loop = asyncio.get_running_loop()
    transports = []
    for _ in range(sockets):
        transport, _ = await loop.create_connection(
            lambda: ThinListener(f"{host}:{port}", delays, ready), host, int(port)
        )
        transports.append(transport)
    while len(ready) < sockets:
        await asyncio.sleep(0.1)
    await asyncio.sleep(1)
    delays.clear()  # measure only once every client is connected
    await asyncio.sleep(seconds)
    for transport in transports:
        transport.close()
    return delays


WRK_SCRIPT = """
tokens = {%s}
body = '%s'
i = 0
request = function()
  i = i %% #tokens + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. tokens[i]}, body)
end
"""


async def wrk_opens(base: str, tokens: list[str], seconds: float, tmp: str) -> str | None:
    """The same durable opens driven by wrk (a C load generator), when it is installed: the
    Python client above costs the server most of a core on this 2-core machine."""
    if shutil.which("wrk") is None:
        return None
    script = Path(tmp) / "open.lua"
    quoted = ", ".join(f'"{t}"' for t in tokens)
    script.write_text(WRK_SCRIPT % (quoted, json.dumps(ORDER)))
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{len(tokens)}",
        f"-d{int(seconds)}s",
        "--latency",
        "-s",
        str(script),
        base + "/api/v1/order/open",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    return out.decode()


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
            rates, p99s = {}, {}
            async with aiohttp.ClientSession() as session:
                tokens = [await signup(session, server.base, i) for i in range(args.clients)]
            for name, method, path, body in (
                ("GET /healthz (HTTP stack only)", "GET", "/healthz", None),
                ("POST /api/v1/order/open (durable)", "POST", "/api/v1/order/open", ORDER),
            ):
                errors, lat = await hammer(server.base, tokens, args.seconds, method, path, body)
                rates[name] = len(lat) / args.seconds
                p99s[name] = percentile(lat, 0.99)
                print(
                    f"{name:<34} {rates[name]:>8,.0f} {percentile(lat, 0.5):>8.2f} "
                    f"{percentile(lat, 0.99):>8.2f} {errors:>7}"
                )
            health, opens = rates.values()
            health_p99, opens_p99 = p99s.values()
            rate_ratio, p99_ratio = opens / health, opens_p99 / health_p99
            print(f"rate ratio: durable opens / GET /healthz = {rate_ratio:.2f} (goal >= 0.6)")
            print(f"p99 ratio: durable opens / GET /healthz = {p99_ratio:.2f} (goal <= 2)")
            report = await wrk_opens(server.base, tokens, args.seconds, tmp)
            if report is None:
                print("wrk not installed: no C-client measurement (apt-get install wrk)")
            else:
                print(f"POST /api/v1/order/open driven by wrk, {args.clients} connections:")
                print(report.rstrip())
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
