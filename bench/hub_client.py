"""The client side of bench/hub.py, run as its own process so it does not share the server's
event loop: websocket users, a few probe sockets timing prices, one HTTP order client.

    python bench/hub_client.py PORT TOKENS_JSON SECONDS SOCKETS PROBES

``SOCKETS`` users connect (``PROBES`` of them through aiohttp, timing every price_update from
the tick's timestamp to its arrival; the rest through a bare protocol that discards what it
reads, so 2,000 sockets cost the client little). The order client opens and closes a LONG
with a 10 ms pause between requests. Prints one JSON line of results.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # bench/http.py shadows http

import aiohttp

HOST = "127.0.0.1"


class Drain(asyncio.Protocol):
    """A websocket that reads and discards everything after a 101 answer."""

    def __init__(self) -> None:
        self.upgraded: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.head = b""
        self.received = 0

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if not self.upgraded.done():
            self.head += data
            if b"\r\n\r\n" in self.head:
                self.upgraded.set_result(self.head.startswith(b"HTTP/1.1 101"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_result(False)


async def drain_socket(port: int, token: str) -> tuple[asyncio.Transport, Drain]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(Drain, HOST, port)
    key = base64.b64encode(os.urandom(16)).decode()
    transport.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    if not await proto.upgraded:
        raise RuntimeError(f"handshake refused: {proto.head[:80]!r}")
    return transport, proto


async def probe(ws: aiohttp.ClientWebSocketResponse, out: dict[str, Any]) -> None:
    async for message in ws:
        if message.type is not aiohttp.WSMsgType.TEXT:
            continue
        data = json.loads(message.data)
        kind = data["type"]
        if not out["measuring"]:
            continue
        out["counts"][kind] = out["counts"].get(kind, 0) + 1
        if kind == "price_update":
            out["latencies"].append(time.time() * 1000 - data["data"]["timestamp"])


async def orders(session: aiohttp.ClientSession, base: str, token: str, out: dict[str, Any]):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 2, "margin": "10"}
    while True:
        t = time.perf_counter()
        async with session.post(f"{base}/api/v1/order/open", json=body, headers=headers) as r:
            opened = await r.json()
            assert r.status == 201, opened
        out["orders"].append((time.perf_counter() - t) * 1000)
        await asyncio.sleep(0.01)
        t = time.perf_counter()
        path = f"{base}/api/v1/order/close/{opened['orderId']}"
        async with session.post(path, json={}, headers=headers) as r:
            assert r.status == 200, await r.text()
        out["orders"].append((time.perf_counter() - t) * 1000)
        await asyncio.sleep(0.01)


async def main() -> None:
    port, tokens_file, seconds, sockets, probes = sys.argv[1:6]
    tokens: list[str] = json.loads(Path(tokens_file).read_text())  # [order client, users...]
    base = f"http://{HOST}:{port}"
    out: dict[str, Any] = {"counts": {}, "latencies": [], "orders": [], "measuring": False}
    users = tokens[1 : 1 + int(sockets)]
    async with aiohttp.ClientSession() as session:
        probes_ws = [
            await session.ws_connect(f"{base}/ws", headers={"Authorization": f"Bearer {t}"})
            for t in users[: int(probes)]
        ]
        readers = [asyncio.create_task(probe(ws, out)) for ws in probes_ws]
        drains = []
        for i in range(int(probes), len(users), 100):
            drains += await asyncio.gather(
                *(drain_socket(int(port), t) for t in users[i : i + 100])
            )
        print("ready", flush=True)
        # the server says when to start measuring (read off the loop: the sockets keep reading)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        out["measuring"] = True
        cpu = time.process_time()
        order_task = asyncio.create_task(orders(session, base, tokens[0], out))
        await asyncio.sleep(float(seconds))
        order_task.cancel()
        out["measuring"] = False
        out["client_cpu"] = time.process_time() - cpu
        print(json.dumps(results(out, users, drains)), flush=True)
        # the server measures its floor (a bare write to every socket), then says bye
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for transport, _proto in drains:
            transport.close()
        for ws in probes_ws:
            await ws.close()
        for reader in readers:
            reader.cancel()


def results(out: dict[str, Any], users: list[str], drains: list[Any]) -> dict[str, Any]:
    return {
        "counts": out["counts"],
        "latencies": out["latencies"],
        "orders": out["orders"],
        "sockets": len(users),
        "client_cpu": out["client_cpu"],
        "dropped": sum(1 for transport, _proto in drains if transport.is_closing()),
        "drained_bytes": sum(proto.received for _t, proto in drains),
    }


if __name__ == "__main__":
    asyncio.run(main())
