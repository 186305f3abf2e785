"""Every per-address limit counts an IPv6 client by its /64: a host is given at least a /64
and picks any address in it, so per-address buckets let it rotate addresses for a fresh
budget (300 password guesses where 20 a minute are allowed). IPv4 is counted by the whole
address, IPv4-mapped IPv6 as the IPv4 address it carries."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.web.conftest import MakeClient
from tests.web.test_client_ip import PROXY, via
from tests.web.test_socket_quota import refused
from velox.web.auth.clientip import bucket_of
from velox.web.connections import ConnectionCap, CountedConnection

TOKEN = "an-admin-token-of-at-least-32-characters"
WRONG = {"email": "x@example.com", "password": "wrong password"}


@pytest.mark.parametrize(
    ("client", "bucket"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # IPv4-mapped: the IPv4 address
        ("2001:db8:1:1::1", "2001:db8:1:1::/64"),
        ("2001:db8:1:1:ffff:ffff:ffff:ffff", "2001:db8:1:1::/64"),
        ("2001:DB8:1:1:0:0:0:2", "2001:db8:1:1::/64"),  # spelt another way: the same
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),  # the next /64 is another client
        ("::1", "::/64"),
        ("unknown", "unknown"),  # no address (a Unix socket's peer): as it is
    ],
)
def test_bucket_of(client: str, bucket: str) -> None:
    assert bucket_of(client) == bucket


async def test_auth_limit_counts_an_ipv6_slash_64_once(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_auth=3, trusted_proxies=PROXY)
    statuses = [
        (
            await client.post(
                "/api/v1/user/signin", json=WRONG, headers=via(f"2001:db8:1:1::{i + 1:x}")
            )
        ).status
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]
    other = await client.post("/api/v1/user/signin", json=WRONG, headers=via("2001:db8:1:2::1"))
    assert other.status == 401  # the neighbouring /64 has its own budget
    mapped = [
        (await client.post("/api/v1/user/signin", json=WRONG, headers=via(a))).status
        for a in ("198.51.100.7", "::ffff:198.51.100.7", "198.51.100.7", "::ffff:198.51.100.7")
    ]
    assert mapped == [401, 401, 401, 429]  # IPv4 and IPv4-mapped IPv6 are one client


async def test_public_limit_counts_an_ipv6_slash_64_once(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_public=2, trusted_proxies=PROXY)
    statuses = [
        (await client.get("/api/v1/assets", headers=via(f"2001:db8:9:9::{i + 1:x}"))).status
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]


async def test_websockets_per_ip_count_an_ipv6_slash_64_once(make_client: MakeClient) -> None:
    client = await make_client(max_sockets_per_ip=2, trusted_proxies=PROXY)
    sockets = [
        await client.ws_connect("/ws", headers=via(f"2001:db8:7:7::{i + 1:x}")) for i in range(2)
    ]
    await refused(client, "/ws", "2001:db8:7:7::99")
    for ws in sockets:
        await ws.close()


async def test_admin_refusals_count_an_ipv6_slash_64_once(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(admin_token=TOKEN, rate_limit_auth=2, trusted_proxies=PROXY)
    with caplog.at_level(logging.WARNING, logger="velox.web.admin"):
        statuses = [
            (
                await client.get(
                    "/api/v1/admin/ledger",
                    headers={"Authorization": f"Bearer guess-{i}", **via(f"2001:db8:5:5::{i:x}")},
                )
            ).status
            for i in range(1, 5)
        ]
    assert statuses == [401, 401, 429, 429]
    warnings = [r.getMessage() for r in caplog.records if r.name == "velox.web.admin"]
    assert warnings == ["admin ledger refused to 2001:db8:5:5::/64: wrong or missing admin token"]


async def test_binance_weight_counts_an_ipv6_slash_64_once(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=2, trusted_proxies=PROXY)
    statuses = [
        (await client.get("/fapi/v1/ping", headers=via(f"2001:db8:3:3::{i + 1:x}"))).status
        for i in range(4)
    ]
    assert statuses.count(200) == 2 and set(statuses[2:]) == {429}


class _Transport:
    def __init__(self, peer: str) -> None:
        self.peer, self.closed = (peer, 1234, 0, 0), False

    def get_extra_info(self, name: str) -> Any:
        return self.peer if name == "peername" else None

    def close(self) -> None:
        self.closed = True


class _Handler:
    def connection_made(self, transport: Any) -> None: ...
    def connection_lost(self, exc: BaseException | None) -> None: ...


def test_connections_per_ip_count_an_ipv6_slash_64_once() -> None:
    cap = ConnectionCap(limit=2, first_request_s=0)
    server: Any = _Handler  # what web.Server() makes, as far as the connection goes
    transports = [_Transport(f"2001:db8:4:4::{i:x}") for i in range(1, 4)]
    connections = [CountedConnection(cap, server) for _ in transports]
    for connection, transport in zip(connections, transports, strict=True):
        connection.connection_made(transport)  # type: ignore[arg-type]
    assert [t.closed for t in transports] == [False, False, True]
    assert cap.open_from("2001:db8:4:4::/64") == 2
    other = _Transport("2001:db8:4:5::1")
    CountedConnection(cap, server).connection_made(other)  # type: ignore[arg-type]
    assert not other.closed
    connections[0].connection_lost(None)
    connections[2].connection_lost(None)  # a refused one gives nothing back
    assert cap.open_from("2001:db8:4:4::/64") == 1
