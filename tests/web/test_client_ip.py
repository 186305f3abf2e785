"""Per-IP decisions behind reverse proxies (--trusted-proxies), the public rate limit
(--rate-limit-public), the loopback-only dev outbox and the magic-link token purge."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import MakeClient
from tests.web.helpers import PASSWORD, assert_error, signup
from velox.web.auth.clientip import ClientAddresses
from velox.web.keys import PURGE_AUTH, STORE

PROXY = ("127.0.0.0/8",)  # the test client connects from 127.0.0.1


def via(client_address: str) -> dict[str, str]:
    return {"X-Forwarded-For": client_address}


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", [], "203.0.113.9"),
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # an untrusted peer's claim
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),  # left part is the client's
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1, 10.0.0.3"], "198.51.100.1"),
        ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),  # all proxies: the farthest
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["not-an-ip, 10.0.0.3"], "10.0.0.3"),  # garbage: the last vouched hop
        ("10.0.0.2", [" 2001:db8::1 "], "2001:db8::1"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),  # IPv4-mapped peer
        ("::1", ["198.51.100.1"], "::1"),  # ::1 is not in 10.0.0.0/8
        (None, ["198.51.100.1"], "unknown"),
    ],
)
def test_client_address_resolution(peer: str | None, forwarded: list[str], client: str) -> None:
    assert ClientAddresses(("10.0.0.0/8",)).client_of(peer, forwarded) == client


def test_no_trusted_proxies_means_the_peer() -> None:
    assert ClientAddresses(()).client_of("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"
    with pytest.raises(ValueError):
        ClientAddresses(("not a network",))


async def test_auth_limit_is_per_forwarded_client(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_auth=2, trusted_proxies=PROXY)
    wrong = {"email": "x@example.com", "password": "wrong password"}
    for _ in range(2):
        response = await client.post("/api/v1/user/signin", json=wrong, headers=via("1.1.1.1"))
        assert response.status == 401
    spoofed = via("9.9.9.9, 1.1.1.1")  # what the client wrote is left of what nginx added
    limited = await client.post("/api/v1/user/signin", json=wrong, headers=spoofed)
    assert limited.status == 429
    assert_error(await limited.json(), "RATE_LIMITED")
    other = await client.post("/api/v1/user/signin", json=wrong, headers=via("2.2.2.2"))
    assert other.status == 401  # another client behind the same proxy has its own bucket


async def test_untrusted_forwarded_for_is_ignored(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_auth=2)
    wrong = {"email": "x@example.com", "password": "wrong password"}
    statuses = [
        (await client.post("/api/v1/user/signin", json=wrong, headers=via(f"1.1.1.{i}"))).status
        for i in range(3)
    ]
    assert statuses == [401, 401, 429]  # one bucket: the peer's


async def test_public_rate_limit(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_public=3, trusted_proxies=PROXY)
    ip = via("1.1.1.1")
    assert (await client.get("/api/v1/assets", headers=ip)).status == 200
    assert (await client.get("/api/v1/candles?asset=BTCUSDT", headers=ip)).status == 200
    verify = await client.get("/api/v1/user/auth/verify", headers=ip, allow_redirects=False)
    assert verify.status == 302
    for method, path in [
        ("GET", "/api/v1/assets"),
        ("GET", "/api/v1/candles?asset=BTCUSDT"),
        ("GET", "/api/v1/user/auth/verify?token=x"),
        ("POST", "/api/v1/user/magic-link"),
    ]:
        response = await client.request(
            method, path, headers=ip, json={"email": "a@b.co"}, allow_redirects=False
        )
        assert response.status == 429, path
        assert response.headers["Retry-After"] == "1"
        assert_error(await response.json(), "RATE_LIMITED")
    assert (await client.get("/api/v1/assets", headers=via("2.2.2.2"))).status == 200
    assert (await client.get("/healthz", headers=ip)).status == 200  # not an API read


async def test_public_rate_limit_zero_is_off(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_public=0)
    for _ in range(60):
        assert (await client.get("/api/v1/assets")).status == 200


async def test_magic_links_purge_expired_tokens_at_most_once_a_minute(
    make_client: MakeClient,
) -> None:
    client = await make_client()
    store = client.app[STORE]
    purges: list[int] = []
    original = store.forget_expired_auth

    async def counting(now_ms: int) -> None:
        purges.append(now_ms)
        await original(now_ms)

    store.forget_expired_auth = counting  # type: ignore[method-assign]
    for i in range(5):  # recipients apart: --magic-links-per-recipient allows 3 each
        response = await client.post("/api/v1/user/magic-link", json={"email": f"a{i}@b.co"})
        assert response.status == 202
    gate = client.app[PURGE_AUTH]
    assert len(purges) == 1
    gate.clock = lambda: 1e12  # a minute and more later
    await client.post("/api/v1/user/magic-link", json={"email": "a5@b.co"})
    await client.post("/api/v1/user/magic-link", json={"email": "a6@b.co"})
    assert len(purges) == 2


async def test_dev_outbox_is_for_loopback_clients_only(make_client: MakeClient) -> None:
    local = await make_client(dev=True)
    assert (await local.get("/dev/outbox")).status == 200
    through_proxy = await local.get("/dev/outbox", headers=via("203.0.113.5"))
    assert through_proxy.status == 403  # a proxy we were not told to trust: not local
    assert_error(await through_proxy.json(), "FORBIDDEN")
    await local.close()
    proxied = await make_client(dev=True, trusted_proxies=PROXY)
    remote = await proxied.get("/dev/outbox", headers=via("203.0.113.5"))
    assert remote.status == 403
    assert (await proxied.get("/dev/outbox", headers=via("127.0.0.1"))).status == 200


async def test_dev_outbox_answers_only_names_of_this_machine(make_client: MakeClient) -> None:
    """A page of another name that resolves to 127.0.0.1 (DNS rebinding) fetched the outbox
    as a same-origin request from the developer's own browser: every unused sign-in link
    (an outside security review). The Host must name this machine or --public-url."""
    local = await make_client(dev=True, public_url="https://velox.example")
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "velox.example"):
        assert (await local.get("/dev/outbox", headers={"Host": host})).status == 200, host
    for host in ("rebind.attacker.example:8000", "127.0.0.1.nip.io", "velox.example.evil"):
        refused = await local.get("/dev/outbox", headers={"Host": host,
                                                          "Origin": f"http://{host}"})  # fmt: skip
        assert refused.status == 403, host
        assert_error(await refused.json(), "FORBIDDEN")


async def test_sign_in_still_works_behind_a_proxy(make_client: MakeClient) -> None:
    client = await make_client(trusted_proxies=PROXY)
    user = await signup(client, "proxied@example.com")
    signin = await client.post(
        "/api/v1/user/signin",
        json={"email": user.email, "password": PASSWORD},
        headers=via("198.51.100.7"),
    )
    assert signin.status == 200
    body: Any = await signin.json()
    assert body["user"]["id"] == user.id
