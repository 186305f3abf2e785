"""``POST /api/v1/user/password``: change the password, or set a first one.

Before it there was no way to change a password at all, and a user whose password the first
proof of their address ended (test_address_proof.py) could never have one again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import PASSWORD, User, assert_error, by_magic_link, sign_in, signup
from velox.web.auth import password_change
from velox.web.keys import SESSIONS

PASSWORD_PATH = "/api/v1/user/password"
NEW = "a much better passphrase"


async def _signin_status(client: TestClient[Any, Any], email: str, password: str) -> int:
    response = await client.post("/api/v1/user/signin", json={"email": email, "password": password})
    client.session.cookie_jar.clear()
    return response.status


async def _me(user: User) -> int:
    return (await user.call("GET", "/api/v1/user/me")).status


async def test_a_change_needs_the_current_password_and_ends_every_other_session(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client, "changer@example.com")
    other = await sign_in(client, user)
    account = (await user.json("GET", "/api/v1/accounts", 200))["accounts"][0]["accountId"]
    key = await user.json(
        "POST", "/api/v1/api-keys", 201,
        json={"name": "bot", "accountId": account, "permissions": ["read"]},
    )  # fmt: skip

    body = await user.json(
        "POST", PASSWORD_PATH, 200, json={"password": NEW, "currentPassword": PASSWORD}
    )
    assert body["user"] == {"id": user.id, "email": user.email}
    renewed = User(client, user.email, body["token"], user.id)
    assert await _me(renewed) == 200
    assert await _me(user) == await _me(other) == 401  # whoever held one knew the old one
    assert await _signin_status(client, user.email, PASSWORD) == 401
    assert await _signin_status(client, user.email, NEW) == 200
    keys = await renewed.json("GET", "/api/v1/api-keys", 200)
    assert [k["keyId"] for k in keys["apiKeys"]] == [key["keyId"]]  # a credential of its own


async def test_a_wrong_or_missing_current_password_changes_nothing(
    client: TestClient[Any, Any],
) -> None:
    user = await signup(client, "guessed@example.com")
    wrong = await user.call(
        "POST", PASSWORD_PATH, json={"password": NEW, "currentPassword": "not the password"}
    )
    assert wrong.status == 403  # not 401: the session is fine, the pages keep it
    assert_error(await wrong.json(), "WRONG_PASSWORD", "currentPassword")
    missing = await user.call("POST", PASSWORD_PATH, json={"password": NEW})
    assert missing.status == 403
    assert_error(await missing.json(), "WRONG_PASSWORD", "currentPassword")
    short = await user.call(
        "POST", PASSWORD_PATH, json={"password": "short", "currentPassword": PASSWORD}
    )
    assert short.status == 400
    assert_error(await short.json(), "VALIDATION_ERROR", "password")
    assert await _me(user) == 200
    assert await _signin_status(client, user.email, PASSWORD) == 200
    assert await _signin_status(client, user.email, NEW) == 401


async def test_signed_out_and_cross_site_requests_are_refused(
    client: TestClient[Any, Any],
) -> None:
    anonymous = await client.post(PASSWORD_PATH, json={"password": NEW})
    assert anonymous.status == 401
    assert_error(await anonymous.json(), "UNAUTHORIZED")
    user = await signup(client, "cookie@example.com")
    await client.post(
        "/api/v1/user/signin", json={"email": user.email, "password": PASSWORD}
    )  # the cookie, now in the client's jar
    forged = await client.post(
        PASSWORD_PATH,
        json={"password": NEW, "currentPassword": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert forged.status == 403
    assert_error(await forged.json(), "FORBIDDEN")
    client.session.cookie_jar.clear()
    assert await _signin_status(client, user.email, PASSWORD) == 200


async def test_a_user_without_a_password_sets_one_right_after_signing_in(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    """The first magic link ends the signup's password (the first proof of the address);
    its owner, just signed in by the link, may set a new one without knowing the old."""
    signed_up = await signup(client, "owner@example.com")
    owner = await by_magic_link(client, signed_up, tmp_path)
    assert await _signin_status(client, owner.email, PASSWORD) == 401
    body = await owner.json("POST", PASSWORD_PATH, 200, json={"password": NEW})
    assert await _me(User(client, owner.email, body["token"], owner.id)) == 200
    assert await _me(owner) == 401
    assert await _signin_status(client, owner.email, NEW) == 200


async def test_a_first_password_needs_a_fresh_sign_in(
    client: TestClient[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session stolen from a passwordless user must not become a password of the thief's:
    only a sign-in of the last 10 minutes may set a first one."""
    signed_up = await signup(client, "stale@example.com")
    owner = await by_magic_link(client, signed_up, tmp_path)
    session = owner.client.app[SESSIONS].verify(owner.token)
    assert session is not None
    later = session.issued_at + password_change.FRESH_MS + 1
    monkeypatch.setattr(password_change, "wall_now_ms", lambda: later)
    refused = await owner.call("POST", PASSWORD_PATH, json={"password": NEW})
    assert refused.status == 403
    assert_error(await refused.json(), "REAUTH_REQUIRED")
    assert await _me(owner) == 200
    assert await _signin_status(client, owner.email, NEW) == 401
    monkeypatch.setattr(password_change, "wall_now_ms", lambda: later - 1)  # 10 minutes
    await owner.json("POST", PASSWORD_PATH, 200, json={"password": NEW})
