"""/ws: authentication at the handshake, fan-out, privacy, ops, slow clients."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import PASSWORD, User, next_of, signup, tick
from velox.money import format_units
from velox.store.records import CandleRecord
from velox.web.auth.sessions import Session
from velox.web.keys import HUB, SESSIONS, TICKETS
from velox.web.options import WebOptions
from velox.web.ws.connection import Connection
from velox.web.ws.hub import SESSION_ENDED, Hub

BTC: dict[str, Any] = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "100"}


async def _refused(client: TestClient[Any, Any], path: str, **kwargs: Any) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.ws_connect(path, **kwargs)
    return info.value.status


async def test_public_connection_gets_prices(client: TestClient[Any, Any]) -> None:
    async with client.ws_connect("/ws") as ws:
        await tick(client, "BTCUSDT", "100000")
        message = await next_of(ws, "price_update")
        assert message == {
            "type": "price_update",
            "symbol": "BTCUSDT",
            "data": {
                "bidPrice": "99950.00000000",
                "askPrice": "100050.00000000",
                "timestamp": message["data"]["timestamp"],
            },
        }
        await ws.send_json({"op": "ping"})
        assert await next_of(ws, "pong") == {"type": "pong"}


async def test_tickets_are_single_use(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    ticket = (await user.json("GET", "/api/v1/user/ws-ticket", 200))["ticket"]
    ws = await client.ws_connect(f"/ws?ticket={ticket}")
    await ws.close()
    assert await _refused(client, f"/ws?ticket={ticket}") == 401
    assert await _refused(client, "/ws?ticket=made-up") == 401
    assert await _refused(client, "/ws?ticket=") == 401


async def test_expired_ticket_is_refused(make_client: MakeClient) -> None:
    client = await make_client(options=WebOptions(bcrypt_rounds=4, ticket_ttl_s=0.05))
    user = await signup(client)
    ticket = (await user.json("GET", "/api/v1/user/ws-ticket", 200))["ticket"]
    await asyncio.sleep(0.1)
    assert await _refused(client, f"/ws?ticket={ticket}") == 401


async def test_cookie_auth_and_bad_cookie(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    assert await _refused(client, "/ws", headers={"Cookie": "token=forged"}) == 401
    async with client.ws_connect("/ws", headers={"Cookie": f"token={user.token}"}) as ws:
        await tick(client, "BTCUSDT", "100000")
        await user.open(**BTC)
        opened = await next_of(ws, "order_opened")
        assert opened["data"]["margin"] == "100.00000000"


async def test_bearer_with_a_bad_cookie_is_refused(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    headers = {"Authorization": f"Bearer {user.token}", "Cookie": "token=forged"}
    assert await _refused(client, "/ws", headers=headers) == 401
    async with client.ws_connect("/ws", headers={"Authorization": f"Bearer {user.token}"}) as ws:
        await ws.send_json({"op": "ping"})
        await next_of(ws, "pong")


async def test_full_flow_to_liquidation(client: TestClient[Any, Any]) -> None:
    """signup -> signin -> ticket -> socket -> open -> ticks -> liquidation, exact to the unit."""
    user = await signup(client, "flow@example.com")
    signin = await client.post(
        "/api/v1/user/signin", json={"email": "flow@example.com", "password": "correct horse"}
    )
    user.token = (await signin.json())["token"]
    client.session.cookie_jar.clear()
    await tick(client, "BTCUSDT", "100000")
    ws = await user.ws()
    order = await user.open(**BTC)
    assert (await next_of(ws, "order_opened"))["data"] == order
    assert (await next_of(ws, "balance"))["data"]["balance"] == "900.00000000"

    await tick(client, "BTCUSDT", "95000")  # bid 94952.5, qty 0.009995
    live = await next_of(ws, "balance")
    pnl = (9495250 - 10005000) * 999_500 // 100
    assert live["data"]["unrealizedPnl"] == format_units(pnl) == "-50.94951250"
    listed = await user.json("GET", "/api/v1/order/user/orders?status=OPEN", 200)
    assert listed["orders"][0]["unrealizedPnl"] == "-50.94951250"

    await tick(client, "BTCUSDT", "91000")  # bid 90954.5 <= liq 91045.49774888
    closed = (await next_of(ws, "order_closed"))["data"]
    loss = (9095450 - 10005000) * 999_500 // 100
    assert closed["closeReason"] == "LIQUIDATION"
    assert closed["closePrice"] == "90954.50000000"
    assert closed["pnl"] == "-90.90952250" == format_units(loss)
    final = (await next_of(ws, "balance"))["data"]
    expected = 1000 * 10**8 - 100 * 10**8 + (100 * 10**8 + loss)
    assert final["balance"] == format_units(expected) == "909.09047750"
    assert final["usedMargin"] == "0.00000000" and final["marginLevel"] is None
    history = await user.json("GET", "/api/v1/order/user/orders?status=CLOSED", 200)
    assert history["orders"] == [closed]
    assert await user.balance() == final
    await ws.close()


async def test_private_events_stay_private(client: TestClient[Any, Any]) -> None:
    alice, bob = await signup(client), await signup(client)
    await tick(client, "BTCUSDT", "100000")
    alice_tabs = [await alice.ws(), await alice.ws()]
    bob_ws = await bob.ws()
    public = await client.ws_connect("/ws")
    await alice.open(**BTC)
    for ws in alice_tabs:  # every tab of the owner
        await next_of(ws, "order_opened")
    await tick(client, "ETHUSDT", "3000")
    for ws in (bob_ws, public):
        while True:
            message = await ws.receive_json(timeout=5)
            assert message["type"] == "price_update", message
            if message["symbol"] == "ETHUSDT":
                break
    for ws in (*alice_tabs, bob_ws, public):
        await ws.close()


async def test_client_ops(client: TestClient[Any, Any]) -> None:
    hub = client.app[HUB]
    candle = CandleRecord("BTCUSDT", "1m", 60_000, 1, 3, 1, 2, 5)
    async with client.ws_connect("/ws") as ws:
        for bad in (
            "not json",
            "[1]",
            '{"op":"dance"}',
            '{"op":"subscribe","channel":"trades","symbol":"BTCUSDT","duration":"1m"}',
            '{"op":"subscribe","channel":"candles","symbol":"DOGE","duration":"1m"}',
            '{"op":"subscribe","channel":"candles","symbol":"BTCUSDT","duration":"2m"}',
        ):
            await ws.send_str(bad)
            assert (await ws.receive_json(timeout=5))["type"] == "error"
        sub = {"op": "subscribe", "channel": "candles", "symbol": "BTCUSDT", "duration": "1m"}
        await ws.send_json(sub)
        await ws.send_json({"op": "ping"})
        await next_of(ws, "pong")  # the subscription is in place
        hub.publish_candle("BTCUSDT", "5m", candle)  # another channel: not sent
        hub.publish_candle("BTCUSDT", "1m", candle)
        assert await ws.receive_json(timeout=5) == {
            "type": "candle",
            "symbol": "BTCUSDT",
            "duration": "1m",
            "data": {
                "time": 60_000,
                "open": "0.00000001",
                "high": "0.00000003",
                "low": "0.00000001",
                "close": "0.00000002",
                "volume": "0.00000005",
            },
        }
        await ws.send_json({**sub, "op": "unsubscribe"})
        await ws.send_json({"op": "ping"})
        await next_of(ws, "pong")
        hub.publish_candle("BTCUSDT", "1m", candle)
        await ws.send_json({"op": "ping"})
        assert await ws.receive_json(timeout=5) == {"type": "pong"}


async def test_signout_closes_that_sessions_sockets(client: TestClient[Any, Any]) -> None:
    """Only the signed-out session's sockets close: another session of the same user and
    other users keep streaming."""
    user = await signup(client, "two-tabs@example.com")
    other_user = await signup(client)
    signin = await client.post(
        "/api/v1/user/signin", json={"email": user.email, "password": PASSWORD}
    )
    second = User(client, user.email, (await signin.json())["token"], user.id)
    client.session.cookie_jar.clear()
    ended = [await user.ws(), await user.ws()]
    kept = [await second.ws(), await other_user.ws()]
    assert (await client.post("/api/v1/user/signout", headers=user.headers)).status == 204
    for ws in ended:
        message = await ws.receive(timeout=5)
        assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, SESSION_ENDED)
        assert message.extra == "signed out"
    for ws in kept:
        await ws.send_json({"op": "ping"})
        assert await next_of(ws, "pong") == {"type": "pong"}
    assert len(client.app[HUB].connections) == len(kept)
    for ws in (*ended, *kept):
        await ws.close()


async def test_a_ticket_minted_before_signout_is_refused(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    ticket = (await user.json("GET", "/api/v1/user/ws-ticket", 200))["ticket"]
    assert (await client.post("/api/v1/user/signout", headers=user.headers)).status == 204
    assert await _refused(client, f"/ws?ticket={ticket}") == 401


async def test_a_ticket_outliving_its_session_is_refused(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    soon = int(time.time() * 1000) + 200
    ticket = client.app[TICKETS].issue(Session(user.id, "short-lived", soon))
    await asyncio.sleep(0.3)  # the ticket (30 s) is fresh, its session is not
    assert await _refused(client, f"/ws?ticket={ticket}") == 401


async def test_a_socket_closes_when_its_session_expires(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    now = int(time.time())
    token = jwt.encode(
        {"sub": user.id, "iat": now, "exp": now + 2, "jti": "expiring"},
        client.app[SESSIONS]._secret,
        algorithm="HS256",
    )
    lasting = await user.ws()
    expiring = [
        await client.ws_connect("/ws", headers={"Cookie": f"token={token}"}),
        await client.ws_connect("/ws", headers={"Authorization": f"Bearer {token}"}),
    ]
    for ws in expiring:
        await ws.send_json({"op": "ping"})
        await next_of(ws, "pong")  # open until the session's expiry
    for ws in expiring:
        message = await ws.receive(timeout=5)
        assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, SESSION_ENDED)
        assert message.extra == "session expired"
        await ws.close()
    await lasting.send_json({"op": "ping"})
    assert await next_of(lasting, "pong") == {"type": "pong"}
    await lasting.close()


async def test_deeply_nested_json_closes_the_socket_quietly(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with client.ws_connect("/ws") as ws:
        await ws.send_str("[" * 50_000)
        await ws.send_str("[" * 50_000)
        message = await ws.receive(timeout=5)
        assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, 1007)
    async with client.ws_connect("/ws") as ws:  # the server is fine
        await ws.send_json({"op": "ping"})
        assert await next_of(ws, "pong") == {"type": "pong"}
    ours = [r for r in caplog.records if r.name.startswith("velox")]
    assert not [r for r in ours if r.levelno >= logging.ERROR or r.exc_info], ours
    assert len([r for r in ours if "nest" in r.getMessage()]) == 1


async def test_slow_client_is_dropped_without_stalling_others() -> None:
    """A connection whose queue is full is closed; the others keep receiving."""
    stuck = asyncio.Event()
    received: list[bytes] = []
    closed: list[int] = []

    async def never(_data: bytes) -> None:
        await stuck.wait()

    async def fast(data: bytes) -> None:
        received.append(data)

    async def close(code: int, _reason: bytes) -> object:
        closed.append(code)
        return True

    hub = Hub(engine=lambda: None)  # type: ignore[arg-type, return-value]
    slow = Connection(never, close, lambda: None, None, queue_size=4)
    quick = Connection(fast, close, lambda: None, None, queue_size=4)
    hub.attach(slow)
    hub.attach(quick)
    for i in range(50):
        hub.send(hub.connections, {"type": "price_update", "n": i})
        await asyncio.sleep(0)  # the quick writer drains between messages
    await asyncio.sleep(0.01)
    assert slow not in hub.connections and slow.closed
    assert closed == [1013]
    assert quick in hub.connections and len(received) == 50
    await slow.stop()
    await quick.stop()


async def test_cross_origin_cookie_socket_is_forbidden(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    cookie = f"token={user.token}"
    evil = {"Cookie": cookie, "Origin": "https://evil.example"}
    assert await _refused(client, "/ws", headers=evil) == 403
    ours = {"Cookie": cookie, "Origin": f"http://{client.host}:{client.port}"}
    async with client.ws_connect("/ws", headers=ours) as ws:
        await ws.send_json({"op": "ping"})
        await next_of(ws, "pong")
    async with client.ws_connect("/ws", headers={"Origin": "https://evil.example"}) as public:
        await public.send_json({"op": "ping"})  # no credentials: public data is fine anywhere
        await next_of(public, "pong")


async def test_shutdown_closes_open_sockets(make_client: MakeClient) -> None:
    client = await make_client()
    user = await signup(client)
    ws = await user.ws()
    await asyncio.wait_for(client.close(), 5)
    message = await ws.receive(timeout=5)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    await ws.close()
