"""Rate limits, the CSRF origin check, body limit, error shapes, and nothing secret leaking."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from tests.web.helpers import JSON, PASSWORD, assert_error, signup, tick
from velox.config import Settings
from velox.web.app import create_app
from velox.web.auth.passwords import Passwords
from velox.web.keys import PASSWORDS

BTC: dict[str, Any] = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}


async def test_auth_rate_limit_per_ip_across_routes(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_auth=3)
    checks = 0
    passwords: Passwords = client.app[PASSWORDS]
    original = passwords.verify

    async def counting(password: str, hashed: str | None) -> bool:
        nonlocal checks
        checks += 1
        return await original(password, hashed)

    passwords.verify = counting  # type: ignore[method-assign]
    wrong = {"email": "x@example.com", "password": "wrong password"}
    assert (await client.post("/api/v1/user/signin", json=wrong)).status == 401
    assert (await client.post("/api/v1/user/magic-link", json={"email": "a@b.co"})).status == 202
    assert (await client.post("/api/v1/user/signup", json={"email": "bad"})).status == 400
    for path, body in [
        ("/api/v1/user/signin", wrong),
        ("/api/v1/user/signup", {"email": "y@example.com", "password": PASSWORD}),
        ("/api/v1/user/magic-link", {"email": "y@example.com"}),
    ]:
        response = await client.post(path, json=body)
        assert response.status == 429, path
        assert_error(await response.json(), "RATE_LIMITED")
        retry = response.headers["Retry-After"]
        assert retry.isdigit() and 1 <= int(retry) <= 60
    assert checks == 1  # refused before any bcrypt


async def test_order_rate_limit_per_user(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_orders=2)
    alice, bob = await signup(client), await signup(client)
    await tick(client, "BTCUSDT", "100000")
    await alice.open(**BTC)
    await alice.open(**BTC)
    response = await alice.call("POST", "/api/v1/order/open", json=BTC)
    assert response.status == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert_error(await response.json(), "RATE_LIMITED")
    # refused even for a malformed body or someone else's order: checked first
    assert (await alice.call("PATCH", "/api/v1/order/1", json={})).status == 429
    assert (await alice.call("POST", "/api/v1/order/close/1")).status == 429
    assert (await alice.call("GET", "/api/v1/order/user/balance")).status == 200  # reads free
    await bob.open(**BTC)  # per user


async def test_zero_turns_limits_off(make_client: MakeClient) -> None:
    client = await make_client(rate_limit_auth=0, rate_limit_orders=0)
    for _ in range(30):
        response = await client.post("/api/v1/user/magic-link", json={"email": "a@b.co"})
        assert response.status == 202


async def test_cross_origin_cookie_requests_are_forbidden(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")
    cookie = {"Cookie": f"token={user.token}"}
    host = f"http://{client.host}:{client.port}"
    evil = [
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/x"},
        {"Origin": "null"},
        {"Origin": f"http://{client.host}:1"},
    ]
    for headers in evil:
        response = await client.post("/api/v1/order/open", json=BTC, headers={**cookie, **headers})
        assert response.status == 403, headers
        assert_error(await response.json(), "FORBIDDEN")
    signout = await client.post(
        "/api/v1/user/signout", headers={**cookie, "Origin": "https://evil.example"}
    )
    assert signout.status == 403
    same = await client.post("/api/v1/order/open", json=BTC, headers={**cookie, "Origin": host})
    assert same.status == 201
    referer = await client.post(
        "/api/v1/order/open", json=BTC, headers={**cookie, "Referer": f"{host}/trade"}
    )
    assert referer.status == 201
    no_origin = await client.post("/api/v1/order/open", json=BTC, headers=cookie)
    assert no_origin.status == 201  # not a browser: SameSite already guards browsers
    bearer = await user.call(
        "POST", "/api/v1/order/open", json=BTC, headers={"Origin": "https://evil.example"}
    )
    assert bearer.status == 201  # Bearer cannot be sent cross-origin without CORS
    read = await client.get(
        "/api/v1/order/user/balance", headers={**cookie, "Origin": "https://evil.example"}
    )
    assert read.status == 200


async def test_public_url_host_is_same_origin(make_client: MakeClient) -> None:
    client = await make_client(public_url="https://velox.example")
    signed = await client.post(
        "/api/v1/user/signup", json={"email": "tls@example.com", "password": PASSWORD}
    )
    assert signed.cookies["token"]["secure"]  # TLS ends at the proxy of an https public URL
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")
    headers = {"Cookie": f"token={user.token}", "Origin": "https://velox.example"}
    response = await client.post("/api/v1/order/open", json=BTC, headers=headers)
    assert response.status == 201


async def test_body_limit(client: TestClient[Any, Any]) -> None:
    user = await signup(client)
    big = b'{"email": "' + b"a" * (1024 * 1024) + b'"}'
    declared = await client.post("/api/v1/user/signup", data=io.BytesIO(big))
    assert declared.status == 413
    assert_error(await declared.json(), "BODY_TOO_LARGE")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b" " * 65536

    chunked = await user.call("POST", "/api/v1/order/open", data=chunks(), headers=JSON)
    assert chunked.status == 413
    assert_error(await chunked.json(), "BODY_TOO_LARGE")
    exact = io.BytesIO(b" " * (1024 * 1024 - 2) + b"{}")
    at_limit = await client.post("/api/v1/user/signin", data=exact, headers=JSON)
    assert at_limit.status == 400  # read and parsed: fields missing


async def test_unknown_route_and_wrong_method(client: TestClient[Any, Any]) -> None:
    missing = await client.get("/api/v1/nothing")
    assert missing.status == 404
    assert_error(await missing.json(), "NOT_FOUND")
    wrong = await client.get("/api/v1/order/open")
    assert wrong.status == 405
    assert_error(await wrong.json(), "METHOD_NOT_ALLOWED")
    assert "POST" in wrong.headers["Allow"]
    assert (await client.delete("/api/v1/user/me")).status == 405


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError("database password is hunter2")


async def test_unexpected_errors_are_500_with_a_request_id(
    aiohttp_client: Any, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, feed=None, options=FAST)
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/boom?token=abc")
    assert response.status == 500
    body = await response.json()
    request_id = body["error"]["requestId"]
    assert body == {
        "error": {"code": "INTERNAL", "message": body["error"]["message"], "requestId": request_id}
    }
    assert "hunter2" not in await response.text()
    assert request_id in caplog.text
    assert "token=abc" not in caplog.text


async def test_no_secret_in_logs_or_responses(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post(
        "/api/v1/user/signup", json={"email": "quiet@example.com", "password": PASSWORD}
    )
    body = await response.text()
    assert PASSWORD not in body and "$2b$" not in body
    token = (await response.json())["token"]
    await client.post("/api/v1/user/signin", json={"email": "quiet@example.com", "password": "no"})
    await client.post("/api/v1/user/magic-link", json={"email": "quiet@example.com"})
    ticket = await client.get("/api/v1/user/ws-ticket")
    secret = (tmp_path / "jwt_secret").read_text().strip()
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o777 == 0o600
    # aiosqlite's own DEBUG log echoes SQL parameters; the CLI logs at INFO (see report).
    ours = "\n".join(
        record.getMessage() for record in caplog.records if not record.name.startswith("aiosqlite")
    )
    assert "magic-link" in ours  # the access log was captured
    for value in (PASSWORD, token, (await ticket.json())["ticket"], secret, "$2b$"):
        assert value not in ours


JSON_ROUTES = [
    ("POST", "/api/v1/user/signup"),
    ("POST", "/api/v1/user/signin"),
    ("POST", "/api/v1/user/magic-link"),
    ("POST", "/api/v1/order/open"),
    ("POST", "/api/v1/order/close/{oid}"),
    ("POST", "/api/v1/order/{oid}/margin"),
    ("PATCH", "/api/v1/order/{oid}"),
]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_json_bodies_need_a_json_content_type(
    client: TestClient[Any, Any], content_type: str | None
) -> None:
    """A cross-site form can post text/plain: JSON must be declared, else 415."""
    user = await signup(client, "victim@example.com")
    await tick(client, "BTCUSDT", "100000")
    oid = (await user.open(**BTC))["orderId"]
    bodies = {
        "/api/v1/user/signup": {"email": "new@example.com", "password": PASSWORD},
        "/api/v1/user/signin": {"email": "victim@example.com", "password": PASSWORD},
        "/api/v1/user/magic-link": {"email": "victim@example.com"},
        "/api/v1/order/open": BTC,
        "/api/v1/order/close/{oid}": {"percent": 50},
        "/api/v1/order/{oid}/margin": {"amount": "1"},
        "/api/v1/order/{oid}": {"stopLoss": "90000"},
    }
    headers = {} if content_type is None else {"Content-Type": content_type}
    for method, path in JSON_ROUTES:
        raw = json.dumps(bodies[path]).encode()
        response = await user.call(method, path.format(oid=oid), data=raw, headers=headers)
        assert response.status == 415, (path, content_type)
        assert_error(await response.json(), "UNSUPPORTED_MEDIA_TYPE")
        assert "token" not in response.cookies
    assert (await user.json("GET", f"/api/v1/order/{oid}", 200))["margin"] == "10.00000000"
    assert (await user.json("GET", "/api/v1/order/user/orders", 200))["orders"][0]["orderId"] == oid
    declared = await user.call(
        "POST",
        f"/api/v1/order/close/{oid}",
        data=b'{"percent": 50}',
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert declared.status == 200
    bare = await user.call("POST", f"/api/v1/order/close/{oid}")  # no body: nothing to declare
    assert bare.status == 200


async def test_sign_in_routes_check_the_origin(client: TestClient[Any, Any]) -> None:
    """Login CSRF: another site must not sign a visitor into the attacker's account."""
    await signup(client, "attacker@example.com")
    host = f"http://{client.host}:{client.port}"
    bodies = {
        "/api/v1/user/signin": {"email": "attacker@example.com", "password": PASSWORD},
        "/api/v1/user/signup": {"email": "other@example.com", "password": PASSWORD},
        "/api/v1/user/magic-link": {"email": "attacker@example.com"},
    }
    for path, body in bodies.items():
        for evil in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/"}):
            response = await client.post(path, json=body, headers=evil)
            assert response.status == 403, (path, evil)
            assert_error(await response.json(), "FORBIDDEN")
            assert "token" not in response.cookies
    third = {"email": "third@example.com", "password": PASSWORD}
    ours = {"Origin": host}
    assert (await client.post("/api/v1/user/signup", json=third, headers=ours)).status == 201
    signin = bodies["/api/v1/user/signin"]
    assert (await client.post("/api/v1/user/signin", json=signin, headers=ours)).status == 200
    assert (await client.post("/api/v1/user/signin", json=signin)).status == 200  # not a browser


async def test_deeply_nested_json_is_a_clear_400(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    user = await signup(client)
    for path in ("/api/v1/order/open", "/api/v1/user/signin"):
        for raw in (b"[" * 50_000, b'{"a":' * 50_000):
            response = await user.call("POST", path, data=raw, headers=JSON)
            assert response.status == 400, path
            assert_error(await response.json(), "INVALID_JSON")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_lone_surrogates_are_invalid_json(client: TestClient[Any, Any]) -> None:
    """Half a UTF-16 pair cannot be encoded for bcrypt or the database: refused up front."""
    raw = b'{"email": "s@example.com", "password": "\\ud800 long enough"}'
    response = await client.post("/api/v1/user/signup", data=raw, headers=JSON)
    assert response.status == 400
    assert_error(await response.json(), "INVALID_JSON")
    signin = await client.post("/api/v1/user/signin", data=raw, headers=JSON)
    assert signin.status == 400
