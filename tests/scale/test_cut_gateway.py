"""A gateway cut off from NATS for a few seconds catches up with what it missed (found by
the outside review, defect 2).

Gateway B reaches NATS through a proxy the test cuts (B's link only: NATS, the engine and
gateway A carry on) and heals. Before, B came back without the broadcasts sent meanwhile,
and never read them: a session signed out on A during the cut kept working on B (/me 200,
orders, tickets) until it expired, 7 days later, and a listen key made on A was unknown on
B (-1125). Now B refuses sessions (503) from the cut until it has read the store again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.scale.cluster import Cluster
from tests.scale.conftest import deployment
from tests.scale.helpers import call, healthy, listen_key, open_order, signup, until
from tests.scale.test_cluster import read_key
from tests.tcpproxy import TcpProxy

pytestmark = pytest.mark.slow


@pytest.fixture
async def cut_off(tmp_path: Path) -> AsyncIterator[tuple[Cluster, TcpProxy]]:
    """A deployment whose second gateway reaches NATS through a ``TcpProxy``."""
    proxies: list[TcpProxy] = []

    def through_proxy(cluster: Cluster) -> None:
        proxy = TcpProxy(cluster.nats.port)
        proxies.append(proxy)
        cluster.gateways[1].bus = proxy.url(cluster.nats.url)
        proxy.start()

    try:
        async with deployment(tmp_path, prepare=through_proxy) as started:
            yield started, proxies[0]
            if not proxies[0].listening:
                proxies[0].start()  # healed, whatever the test did: B stops cleanly
    finally:
        for proxy in proxies:
            proxy.stop()


async def _me(base: str, token: str) -> int:
    status, _ = await call(base, "GET", "/api/v1/user/me", token)
    return status


async def _caught_up(base: str, token: str) -> bool:
    """Healthy, and answering for sessions again (no more 503)."""
    return await healthy(base) and await _me(base, token) != 503


async def test_signouts_made_while_a_gateway_was_cut_off_hold_there_once_it_is_back(
    cut_off: tuple[Cluster, TcpProxy],
) -> None:
    cluster, proxy = cut_off
    a, b = cluster.bases
    one, _ = await signup(a, "cut-signout@example.com")
    everywhere, _ = await signup(a, "cut-signout-all@example.com")
    bystander, _ = await signup(a, "cut-bystander@example.com")
    assert [await _me(b, t) for t in (one, everywhere, bystander)] == [200, 200, 200]
    proxy.stop()
    # B cannot know what it misses now: it vouches for no session
    await until(lambda: _me_is(b, bystander, 503), "B refuses sessions while cut off")
    status, data = await call(b, "GET", "/api/v1/user/me", bystander)
    assert (status, data["error"]["code"]) == (503, "ENGINE_NOT_READY"), data
    assert (await call(a, "POST", "/api/v1/user/signout", one))[0] == 204
    assert (await call(a, "POST", "/api/v1/user/signout-all", everywhere))[0] == 204
    proxy.start()
    await until(lambda: _caught_up(b, bystander), "B back and caught up")
    for token in (one, everywhere):
        assert await _me(b, token) == 401
        status, _ = await open_order(b, token, margin="1")
        assert status == 401
        status, _ = await call(b, "GET", "/api/v1/user/ws-ticket", token)
        assert status == 401
    assert await _me(b, bystander) == 200
    status, data = await open_order(b, bystander, margin="1")
    assert status == 201, data


async def _me_is(base: str, token: str, expected: int) -> bool:
    return await _me(base, token) == expected


async def test_a_listen_key_made_while_a_gateway_was_cut_off_works_there_once_it_is_back(
    cut_off: tuple[Cluster, TcpProxy],
) -> None:
    cluster, proxy = cut_off
    a, b = cluster.bases
    token, key = await read_key(a, "cut-listener@example.com")

    proxy.stop()
    await until(lambda: _me_is(b, token, 503), "B knows it is cut off")
    status, made = await listen_key(a, key["apiKey"], "POST")
    assert status == 200, made
    proxy.start()
    await until(lambda: _caught_up(b, token), "B back and caught up")
    assert await listen_key(b, key["apiKey"], "PUT") == (200, made)  # kept alive on B
    assert await listen_key(b, key["apiKey"], "POST") == (200, made)  # the one live key, on B too
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(b.replace("http", "ws") + f"/ws/{made['listenKey']}")
        assert not ws.closed
        await ws.close()
    # closed on A during another cut: gone on B once it is back
    proxy.stop()
    await until(lambda: _me_is(b, token, 503), "B knows it is cut off again")
    assert (await listen_key(a, key["apiKey"], "DELETE"))[0] == 200
    proxy.start()
    await until(lambda: _caught_up(b, token), "B back and caught up again")
    status, refused = await listen_key(b, key["apiKey"], "PUT")
    assert (status, refused.get("code")) == (400, -1125), (status, refused)
