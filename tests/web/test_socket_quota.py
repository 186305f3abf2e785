"""--max-sockets-per-ip: websockets open at once per client address, one budget over the
native /ws and Binance's stream endpoints; refused 429 before the upgrade, and every slot
given back when its socket ends, however it ends."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import assert_error
from tests.web.test_client_ip import PROXY, via
from velox.web.keys import SOCKET_QUOTA


async def refused(client: TestClient[Any, Any], path: str, address: str) -> Any:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.ws_connect(path, headers=via(address))
    assert info.value.status == 429
    response = await client.get(path, headers={**via(address), **HANDSHAKE})
    assert response.status == 429 and response.headers["Retry-After"] == "1"  # SPEC 7
    return await response.json()


HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


async def test_one_budget_per_address_over_every_stream_endpoint(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_sockets_per_ip=3, trusted_proxies=PROXY)
    native = [await client.ws_connect("/ws", headers=via("1.1.1.1")) for _ in range(2)]
    binance = await client.ws_connect("/ws/btcusdt@trade", headers=via("1.1.1.1"))
    assert_error(await refused(client, "/ws", "1.1.1.1"), "RATE_LIMITED")
    assert await refused(client, "/stream?streams=btcusdt@trade", "1.1.1.1") == {
        "code": -1003, "msg": "too many websockets open from this address"
    }  # fmt: skip
    other = await client.ws_connect("/ws", headers=via("2.2.2.2"))  # its own budget
    await native[0].close()
    again = await client.ws_connect("/market/ws", headers=via("1.1.1.1"))  # a slot came back
    for ws in (native[1], binance, other, again):
        await ws.close()


async def test_every_way_a_socket_ends_gives_its_slot_back(make_client: MakeClient) -> None:
    client = await make_client(max_sockets_per_ip=1, trusted_proxies=PROXY)
    quota = client.app[SOCKET_QUOTA]
    for _ in range(3):  # refused before the upgrade: a bad ticket, an unknown listen key
        response = await client.get("/ws?ticket=nope", headers={**via("1.1.1.1"), **HANDSHAKE})
        assert response.status == 401
        response = await client.get("/ws/" + "k" * 64, headers={**via("1.1.1.1"), **HANDSHAKE})
        assert response.status == 400
    assert quota.open_from("1.1.1.1") == 0
    ws = await client.ws_connect("/ws", headers=via("1.1.1.1"))
    assert quota.open_from("1.1.1.1") == 1
    await ws.send_str("[" * 50_000)  # closed by the server (1007)
    closed = await ws.receive(timeout=5)
    assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    async with asyncio.timeout(5):  # the server's handler returns just after the close
        while quota.open_from("1.1.1.1"):
            await asyncio.sleep(0.01)
    ws = await client.ws_connect("/ws", headers=via("1.1.1.1"))
    await ws.close()


async def test_no_cap_with_zero(make_client: MakeClient) -> None:
    client = await make_client(max_sockets_per_ip=0)
    sockets = [await client.ws_connect("/ws") for _ in range(20)]
    assert client.app[SOCKET_QUOTA].open_from("127.0.0.1") == 20
    for ws in sockets:
        await ws.close()
