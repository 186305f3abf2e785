"""Small HTTP and websocket helpers for the scale-out tests (real sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

PASSWORD = "scale-test-password"


async def call(
    base: str, method: str, path: str, token: str = "", body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, base + path, json=body, headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)


async def signup(base: str, email: str) -> tuple[str, str]:
    """(token, user id) of a new user, signed up through ``base``."""
    status, data = await call(
        base, "POST", "/api/v1/user/signup", body={"email": email, "password": PASSWORD}
    )
    assert status == 201, data
    return data["token"], data["user"]["id"]


async def open_order(base: str, token: str, margin: str = "10", **extra: Any) -> tuple[int, Any]:
    body = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": margin, **extra}
    return await call(base, "POST", "/api/v1/order/open", token, body)


async def healthy(base: str) -> bool:
    """``/healthz`` answers 200 (a gateway or engine that is up and READY)."""
    try:
        status, _ = await call(base, "GET", "/healthz")
    except OSError:
        return False
    return status == 200


async def until(predicate: Any, what: str, give_up_s: float = 60.0) -> None:
    """Poll an async predicate until true (behaviour, not timing: the limit only stops a
    broken build from hanging)."""
    deadline = asyncio.get_running_loop().time() + give_up_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never happened: {what}")
        await asyncio.sleep(0.1)


async def next_message(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    """The next message of type ``kind``, skipping prices and the like."""
    while True:
        msg = await asyncio.wait_for(ws.receive(), 30)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        data: dict[str, Any] = msg.json()
        if data["type"] == kind:
            return data


async def listen_key(base: str, api_key: str, method: str) -> tuple[int, Any]:
    """``method`` (POST, PUT, DELETE) on ``/fapi/v1/listenKey`` with ``api_key``."""
    headers = {"X-MBX-APIKEY": api_key}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{base}/fapi/v1/listenKey", headers=headers) as r,
    ):
        return r.status, await r.json(content_type=None)
