"""``POST /api/v1/user/signout-all``: every session of the user issued so far stops working.

A security review found a leaked session could not be ended by its owner: signout ends only
the session presented, and signing in again (password or magic link) left the older ones
valid for the whole session TTL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import PASSWORD, User, bearer, by_magic_link, next_of, sign_in, signup
from velox.web.keys import HUB
from velox.web.ws.hub import SESSION_ENDED

SIGNOUT_ALL = "/api/v1/user/signout-all"


async def _me(user: User) -> int:
    return (await user.call("GET", "/api/v1/user/me")).status


async def _refused(client: TestClient[Any, Any], path: str) -> int:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await client.ws_connect(path)
    return info.value.status


async def test_every_session_of_the_user_stops_working(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    """Two sessions of one user, of two magic links: signout-all from one ends both, their
    tickets and their open sockets; another user's session is untouched. (The signup's
    own session cannot be one of them: the first magic link, as the first proof of the
    address, ends it, test_address_proof.py.)"""
    signed_up = await signup(client, "everywhere@example.com")
    first = await by_magic_link(client, signed_up, tmp_path)
    linked = await by_magic_link(client, signed_up, tmp_path)
    other = await signup(client)
    ticket = (await first.json("GET", "/api/v1/user/ws-ticket", 200))["ticket"]
    ended = await linked.ws()
    kept = await other.ws()
    assert await _me(first) == await _me(linked) == 200

    response = await linked.call("POST", SIGNOUT_ALL)
    assert response.status == 204
    for user in (first, linked):
        assert await _me(user) == 401
        assert (await user.call("GET", "/api/v1/user/ws-ticket")).status == 401
    assert await _refused(client, f"/ws?ticket={ticket}") == 401
    message = await ended.receive(timeout=5)
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, SESSION_ENDED)
    assert message.extra == "signed out"
    assert await _me(other) == 200
    await kept.send_json({"op": "ping"})
    assert await next_of(kept, "pong") == {"type": "pong"}
    assert len(client.app[HUB].connections) == 1
    await kept.close()
    await ended.close()


async def test_a_cookie_session_is_signed_out_and_its_cookie_cleared(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client, "cookie-everywhere@example.com")
    signin = await client.post(
        "/api/v1/user/signin", json={"email": user.email, "password": PASSWORD}
    )
    assert signin.status == 200  # the jar holds this session's cookie
    assert (await client.get("/api/v1/user/me")).status == 200
    response = await client.post(SIGNOUT_ALL)
    assert response.status == 204
    assert response.cookies["token"].value == ""
    assert await _me(user) == 401
    cookie = {"Cookie": f"token={(await signin.json())['token']}"}
    client.session.cookie_jar.clear()
    assert (await client.get("/api/v1/user/me", headers=cookie)).status == 401


async def test_it_needs_a_session_and_the_same_origin(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    assert (await client.post(SIGNOUT_ALL)).status == 401
    cookie = {"Cookie": f"token={user.token}"}
    foreign = await client.post(SIGNOUT_ALL, headers={**cookie, "Origin": "https://evil.example"})
    assert foreign.status == 403
    assert await _me(user) == 200


async def test_a_sign_in_afterwards_works_within_the_same_second(
    client: TestClient[Any, Any],
) -> None:
    """JWT ``iat`` is whole seconds: a session issued just after the signout-all, in the
    same second, must work, and one issued just before it must not."""
    user = await signup(client, "same-second@example.com")
    while time.time() % 1 > 0.5:  # room for the three calls in one second
        time.sleep(0.05)
    before = await sign_in(client, user)
    assert (await before.call("POST", SIGNOUT_ALL)).status == 204
    after = await sign_in(client, user)
    issued = [jwt.decode(u.token, options={"verify_signature": False})["iat"]
              for u in (before, after)]  # fmt: skip
    assert issued[0] == issued[1], "not within one second: the test proved nothing"
    assert await _me(before) == 401
    assert await _me(after) == 200
    assert (await after.call("POST", SIGNOUT_ALL)).status == 204
    assert await _me(after) == 401


async def test_it_survives_a_restart(make_client: MakeClient) -> None:
    first = await make_client()
    user = await signup(first)
    other = await sign_in(first, user)
    assert (await user.call("POST", SIGNOUT_ALL)).status == 204
    await first.close()
    second = await make_client()
    for old in (user, other):
        assert (await second.get("/api/v1/user/me", headers=bearer(old.token))).status == 401
    again = await second.post(
        "/api/v1/user/signin", json={"email": user.email, "password": PASSWORD}
    )
    token = (await again.json())["token"]
    assert (await second.get("/api/v1/user/me", headers=bearer(token))).status == 200
