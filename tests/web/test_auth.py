"""/api/v1/user: signup, signin, signout, me, magic links, websocket tickets."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import (
    OPENED,
    PASSWORD,
    assert_error,
    bearer,
    open_link,
    outbox_link,
    settle,
    signup,
)
from velox.store.records import UserRecord
from velox.web.keys import PASSWORDS, SERVICE, SESSIONS, STORE


async def test_signup_signs_in_and_funds_the_account(client: TestClient[Any, Any]) -> None:
    response = await client.post(
        "/api/v1/user/signup",
        json={"email": "Ann@Example.COM", "password": PASSWORD, "phone": "+1 555 0100"},
    )
    assert response.status == 201
    body = await response.json()
    assert set(body) == {"user", "token"}
    assert body["user"]["email"] == "ann@example.com"
    assert re.fullmatch(r"[0-9a-f]{32}", body["user"]["id"])
    cookie = response.cookies["token"]
    assert cookie.value == body["token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # plain http here; set on https
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["sub"] == body["user"]["id"]
    assert {"exp", "iat", "jti"} <= set(claims)
    me = await client.get("/api/v1/user/me")  # by cookie
    assert await me.json() == {"user": body["user"]}
    balance = await client.get("/api/v1/order/user/balance")
    assert (await balance.json())["balance"] == "1000.00000000"
    deposits = await client.app[SERVICE].read(lambda e: e.deposits)
    assert deposits == 1000 * 10**8  # a journaled deposit, not a bare balance


async def test_signup_refusals(client: TestClient[Any, Any]) -> None:
    await signup(client, "taken@example.com")
    cases: list[tuple[Any, int, str, str | None]] = [
        ({"email": "TAKEN@example.com", "password": PASSWORD}, 409, "EMAIL_TAKEN", "email"),
        ({"email": "not-an-email", "password": PASSWORD}, 400, "VALIDATION_ERROR", "email"),
        ({"email": "a@b", "password": PASSWORD}, 400, "VALIDATION_ERROR", "email"),
        ({"email": 5, "password": PASSWORD}, 400, "VALIDATION_ERROR", "email"),
        ({"password": PASSWORD}, 400, "VALIDATION_ERROR", "email"),
        ({"email": "x@example.com"}, 400, "VALIDATION_ERROR", "password"),
        ({"email": "x@example.com", "password": "short"}, 400, "VALIDATION_ERROR", "password"),
        ({"email": "x@example.com", "password": "é" * 257}, 400, "VALIDATION_ERROR", "password"),
        ({"email": " x@example.com", "password": PASSWORD}, 400, "VALIDATION_ERROR", "email"),
        (
            {"email": "x@example.com", "password": PASSWORD, "phone": ""},
            400,
            "VALIDATION_ERROR",
            "phone",
        ),
        (
            {"email": "x@example.com", "password": PASSWORD, "phone": "555 0100\n"},
            400,
            "VALIDATION_ERROR",
            "phone",
        ),
        (
            {"email": "x@example.com", "password": PASSWORD, "phone": "call me"},
            400,
            "VALIDATION_ERROR",
            "phone",
        ),
        (
            {"email": "x@example.com", "password": PASSWORD, "admin": True},
            400,
            "VALIDATION_ERROR",
            "admin",
        ),
    ]
    for body, status, code, field in cases:
        response = await client.post("/api/v1/user/signup", json=body)
        assert response.status == status, body
        assert_error(await response.json(), code, field)


async def test_long_non_ascii_passwords_work_whole(client: TestClient[Any, Any]) -> None:
    """bcrypt reads 72 bytes at most: the prehash makes every character count."""
    long = "é" * 100  # 200 bytes in UTF-8
    await client.post("/api/v1/user/signup", json={"email": "long@example.com", "password": long})
    right = {"email": "long@example.com", "password": long}
    almost = {"email": "long@example.com", "password": "é" * 99 + "e"}
    assert (await client.post("/api/v1/user/signin", json=right)).status == 200
    assert (await client.post("/api/v1/user/signin", json=almost)).status == 401


async def test_signin(client: TestClient[Any, Any]) -> None:
    user = await signup(client, "bob@example.com")
    response = await client.post(
        "/api/v1/user/signin", json={"email": "BOB@example.com", "password": PASSWORD}
    )
    assert response.status == 200
    body = await response.json()
    assert body["user"] == {"id": user.id, "email": "bob@example.com"}
    assert response.cookies["token"].value == body["token"]
    wrong = await client.post(
        "/api/v1/user/signin", json={"email": "bob@example.com", "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/v1/user/signin", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert wrong.status == unknown.status == 401
    assert await wrong.json() == await unknown.json()
    assert_error(await wrong.json(), "INVALID_CREDENTIALS")
    long = await client.post(
        "/api/v1/user/signin", json={"email": "bob@example.com", "password": "x" * 100}
    )
    assert long.status == 401
    malformed = await client.post("/api/v1/user/signin", json={"email": "bob", "password": "x"})
    assert malformed.status == 400


async def test_signout_revokes_the_session(
    make_client: MakeClient, client: TestClient[Any, Any]
) -> None:
    user = await signup(client)
    assert (await client.get("/api/v1/user/me", headers=user.headers)).status == 200
    response = await client.post("/api/v1/user/signout", headers=user.headers)
    assert response.status == 204
    assert response.cookies["token"].value == ""  # cleared
    me = await client.get("/api/v1/user/me", headers=user.headers)
    assert me.status == 401
    assert_error(await me.json(), "UNAUTHORIZED")
    # idempotent: no session, or a dead one, still answers 204
    assert (await client.post("/api/v1/user/signout")).status == 204
    assert (await client.post("/api/v1/user/signout", headers=user.headers)).status == 204


async def test_revocations_survive_a_restart(make_client: MakeClient) -> None:
    first = await make_client()
    user = await signup(first)
    await first.post("/api/v1/user/signout", headers=user.headers)
    await first.close()
    second = await make_client()
    assert (await second.get("/api/v1/user/me", headers=user.headers)).status == 401
    again = await second.post(
        "/api/v1/user/signin", json={"email": user.email, "password": PASSWORD}
    )
    token = (await again.json())["token"]
    assert (await second.get("/api/v1/user/me", headers=bearer(token))).status == 200


async def test_bad_tokens(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    sessions = client.app[SESSIONS]
    now = int(time.time())
    expired = jwt.encode(
        {"sub": user.id, "iat": now - 100, "exp": now - 10, "jti": "x"},
        sessions._secret,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": user.id, "iat": now, "exp": now + 100, "jti": "y"}, "another secret" * 4
    )
    unsigned = jwt.encode({"sub": user.id, "iat": now, "exp": now + 100, "jti": "z"}, None, "none")
    for token in (expired, forged, unsigned, "garbage", user.token + "x"):
        response = await client.get("/api/v1/user/me", headers=bearer(token))
        assert response.status == 401, token
        cookie = await client.get("/api/v1/user/me", cookies={"token": token})
        assert cookie.status == 401
    basic = await client.get("/api/v1/user/me", headers={"Authorization": "Basic abc"})
    assert basic.status == 401
    assert (await client.get("/api/v1/user/me")).status == 401


async def test_magic_link_signs_in_once(
    client: TestClient[Any, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = await signup(client, "magic@example.com")
    response = await client.post("/api/v1/user/magic-link", json={"email": "Magic@Example.com"})
    assert response.status == 202
    token = outbox_link(tmp_path)
    assert token not in caplog.text
    verify = await open_link(client, token)
    assert verify.status == 302
    assert verify.headers["Location"] == "/trade"
    session = verify.cookies["token"].value
    me = await client.get("/api/v1/user/me", headers=bearer(session))
    assert (await me.json())["user"]["id"] == user.id
    again = await open_link(client, token)
    assert again.status == 302
    assert again.headers["Location"].startswith("/signin?")
    assert "token" not in again.cookies
    for bad in ("", "?token=", "?token=nope"):
        response = await client.get(
            f"/api/v1/user/auth/verify{bad}", allow_redirects=False, headers=OPENED
        )
        assert response.status == 302
        assert response.headers["Location"].startswith("/signin?")


async def test_magic_link_for_a_new_address_creates_the_account(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    response = await client.post("/api/v1/user/magic-link", json={"email": "new@example.com"})
    assert response.status == 202
    token = outbox_link(tmp_path)
    verify = await open_link(client, token)
    session = verify.cookies["token"].value
    balance = await client.get("/api/v1/order/user/balance", headers=bearer(session))
    assert (await balance.json())["balance"] == "1000.00000000"
    # a password-less account cannot be signed into with a password
    signin = await client.post(
        "/api/v1/user/signin", json={"email": "new@example.com", "password": "whatever1"}
    )
    assert signin.status == 401


async def test_magic_link_expires(make_client: MakeClient, tmp_path: Path) -> None:
    from velox.web.options import WebOptions

    client = await make_client(options=WebOptions(bcrypt_rounds=4, magic_ttl_s=0))
    await client.post("/api/v1/user/magic-link", json={"email": "late@example.com"})
    token = outbox_link(tmp_path)
    time.sleep(0.002)
    verify = await open_link(client, token)
    assert verify.headers["Location"].startswith("/signin?")


async def test_magic_link_validation(client: TestClient[Any, Any]) -> None:
    for body in ({"email": "nope"}, {}, {"email": None}, {"email": "a@example.com", "x": 1}):
        response = await client.post("/api/v1/user/magic-link", json=body)
        assert response.status == 400
        assert_error(await response.json(), "VALIDATION_ERROR")


async def test_dev_outbox(make_client: MakeClient) -> None:
    plain = await make_client()
    assert (await plain.get("/dev/outbox")).status == 404
    await plain.close()
    dev = await make_client(dev=True)
    await dev.post("/api/v1/user/magic-link", json={"email": "dev@example.com"})
    listing = await (await dev.get("/dev/outbox")).json()
    (message,) = listing["messages"]
    assert message["to"] == "dev@example.com"
    assert "/api/v1/user/auth/verify?token=" in message["body"]


async def test_ws_ticket(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    assert (await client.get("/api/v1/user/ws-ticket")).status == 401
    response = await client.get("/api/v1/user/ws-ticket", headers=user.headers)
    assert response.status == 200
    body = await response.json()
    assert set(body) == {"ticket"} and len(body["ticket"]) >= 32
    await settle(client)


async def test_a_presented_invalid_credential_is_refused(client: TestClient[Any, Any]) -> None:
    """Bearer and cookie together: both must be valid, neither is silently ignored."""
    user = await signup(client)
    valid_cookie = {"Cookie": f"token={user.token}"}
    for headers in (
        {**bearer(user.token), "Cookie": "token=forged"},
        {**bearer(user.token), "Cookie": "token="},
        {**bearer("forged"), **valid_cookie},
        {"Authorization": "Basic abc", **valid_cookie},
    ):
        for path in ("/api/v1/user/me", "/api/v1/user/ws-ticket", "/api/v1/order/user/balance"):
            response = await client.get(path, headers=headers)
            assert response.status == 401, (path, headers)
            assert_error(await response.json(), "UNAUTHORIZED")
    both = await client.get("/api/v1/user/me", headers={**bearer(user.token), **valid_cookie})
    assert (await both.json())["user"]["id"] == user.id


async def test_a_signin_finishes_an_unfinished_signup(client: TestClient[Any, Any]) -> None:
    """A signup answered 503 stays unfinished so that its retry completes it (scale-out);
    once its user signed in (the account then exists), the mark is gone and a signup with
    that email is 409 EMAIL_TAKEN again, whatever the password. It stayed: signup remained
    a second way in with the password."""
    app = client.server.app
    email = "unfinished@example.com"
    hashed = await app[PASSWORDS].hash(PASSWORD)
    await app[STORE].create_user(
        UserRecord("u-unfinished", email, hashed, None, 1), unfinished=True
    )
    body = {"email": email, "password": PASSWORD}
    response = await client.post("/api/v1/user/signin", json=body)
    assert response.status == 200, await response.json()
    assert not await app[STORE].signup_unfinished("u-unfinished")
    response = await client.post("/api/v1/user/signup", json=body)
    assert response.status == 409 and (await response.json())["error"]["code"] == "EMAIL_TAKEN"
