"""A listen key outlives a restart of Velox, as one of Binance's outlives a restart of its
servers: a bot reconnects ``/ws/<listenKey>`` with the key it holds (ccxt makes a new one
only every 20 minutes). What was closed, revoked or expired stays so."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.binance.helpers import binance_error, make_key
from tests.binance.test_user_stream import listen_key, next_event, stream_of
from tests.web.conftest import MakeClient
from tests.web.helpers import User, signup, tick
from velox.binance.streams.listenbook import VALIDITY_MS
from velox.clock import ManualClock
from velox.web.options import WebOptions


def again(user: User, client: TestClient[Any, Any]) -> User:
    """The same user (the same token) speaking to the restarted server."""
    return User(client, user.email, user.token, user.id)


async def test_a_bots_listen_key_streams_again_after_a_restart(make_client: MakeClient) -> None:
    client = await make_client()
    user = await signup(client)
    key, listen, ws = await stream_of(client, user)
    await ws.close()
    await client.close()

    restarted = await make_client()
    user = again(user, restarted)
    ws = await restarted.ws_connect(f"/ws/{listen}")
    await tick(restarted, "BTCUSDT", "100000")
    order = await user.open(asset="BTCUSDT", side="LONG", leverage=2, margin="10")
    update = (await next_event(ws, "ORDER_TRADE_UPDATE"))["o"]
    assert (update["i"], update["S"]) == (int(order["orderId"]), "BUY")
    # Still the account's one live key: kept alive, or asked for again, it is the same.
    assert await (await listen_key(restarted, key, "PUT")).json() == {"listenKey": listen}
    assert await (await listen_key(restarted, key)).json() == {"listenKey": listen}
    await ws.close()


async def test_closed_or_revoked_listen_keys_stay_dead_after_a_restart(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    user = await signup(client)
    closed_key, closed, ws = await stream_of(client, user)
    await ws.close()
    assert await (await listen_key(client, closed_key, "DELETE")).json() == {}
    revoked_key, revoked, ws = await stream_of(client, user)
    await ws.close()
    response = await user.call("DELETE", f"/api/v1/api-keys/{revoked_key.key_id}")
    assert response.status == 204
    await client.close()

    restarted = await make_client()
    for dead in (closed, revoked):
        await binance_error(await restarted.get(f"/ws/{dead}"), 400, -1125)
    await binance_error(await listen_key(restarted, closed_key, "PUT"), 400, -1125)
    fresh = await (await listen_key(restarted, closed_key)).json()
    assert fresh["listenKey"] not in (closed, revoked)


async def test_a_listen_key_expires_across_a_restart_from_its_last_keepalive(
    make_client: MakeClient,
) -> None:
    clock = ManualClock()
    options = WebOptions(bcrypt_rounds=4, clock=clock)
    client = await make_client(options=options)
    user = await signup(client)
    key = await make_key(user)
    listen = (await (await listen_key(client, key)).json())["listenKey"]
    clock.advance(40 * 60 * 1000)
    assert await (await listen_key(client, key, "PUT")).json() == {"listenKey": listen}
    await client.close()

    clock.advance(VALIDITY_MS - 1)  # the keepalive's hour, not the creation's, is what counts
    restarted = await make_client(options=options)
    ws = await restarted.ws_connect(f"/ws/{listen}")
    await ws.close()
    await restarted.close()

    clock.advance(1)
    restarted = await make_client(options=options)
    await binance_error(await restarted.get(f"/ws/{listen}"), 400, -1125)
    await binance_error(await listen_key(restarted, key, "PUT"), 400, -1125)


async def test_the_stored_listen_key_is_sealed(make_client: MakeClient, tmp_path: Path) -> None:
    client = await make_client()
    user = await signup(client)
    _, listen, ws = await stream_of(client, user)
    await ws.close()
    with sqlite3.connect(tmp_path / "velox.db") as db:
        (sealed,) = db.execute("SELECT listen_key_sealed FROM listen_keys").fetchone()
    assert bytes(sealed).startswith(b"v1") and listen.encode() not in bytes(sealed)
