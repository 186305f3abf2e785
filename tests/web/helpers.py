"""A small client for the web tests: sign up, trade, push prices, read the websocket."""

from __future__ import annotations

import itertools
import re
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from aiohttp import ClientResponse, ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from velox.engine.commands import PriceTick
from velox.money import units
from velox.service import EngineService
from velox.web.keys import SERVICE

PASSWORD = "correct horse"
JSON = {"Content-Type": "application/json"}  # for bodies sent as raw bytes
_emails = itertools.count(1)


def service_of(client: TestClient[Any, Any]) -> EngineService:
    service: EngineService = client.app[SERVICE]
    return service


async def settle(client: TestClient[Any, Any]) -> None:
    """Wait until everything offered so far is applied and durable.

    A read is answered at the start of the batch it lands in, so the second read can only be
    answered after the batch holding any earlier tick has been committed.
    """
    service = service_of(client)
    await service.read(lambda _engine: None)
    await service.read(lambda _engine: None)


async def tick(client: TestClient[Any, Any], asset: str, price: str) -> None:
    service = service_of(client)
    service.offer_tick(PriceTick(asset, units(price), service.clock()))
    await settle(client)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class User:
    """A signed-up user speaking to the API with a Bearer token (no cookie jar needed)."""

    def __init__(self, client: TestClient[Any, Any], email: str, token: str, user_id: str):
        self.client = client
        self.email = email
        self.token = token
        self.id = user_id

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.token)

    async def call(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def json(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        body = await response.json()
        assert response.status == status, (response.status, body)
        return body

    async def open(self, status: int = 201, **order: Any) -> Any:
        return await self.json("POST", "/api/v1/order/open", status, json=order)

    async def balance(self) -> Any:
        return await self.json("GET", "/api/v1/order/user/balance", 200)

    async def ws(self) -> ClientWebSocketResponse:
        ticket = (await self.json("GET", "/api/v1/user/ws-ticket", 200))["ticket"]
        return await self.client.ws_connect(f"/ws?ticket={ticket}")


async def signup(client: TestClient[Any, Any], email: str | None = None) -> User:
    email = email or f"trader{next(_emails)}@example.com"
    response = await client.post("/api/v1/user/signup", json={"email": email, "password": PASSWORD})
    body = await response.json()
    assert response.status == 201, body
    # The test client keeps cookies: clear them so each User speaks only through its token.
    client.session.cookie_jar.clear()
    return User(client, email, body["token"], body["user"]["id"])


async def next_of(ws: ClientWebSocketResponse, kind: str, timeout: float = 5.0) -> Any:
    """The next message of type ``kind``, skipping others (prices flow all the time)."""
    while True:
        message = await ws.receive_json(timeout=timeout)
        if message["type"] == kind:
            return message


def assert_error(body: Any, code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str)
    if field is not None:
        assert body["error"].get("field") == field, body


# A magic link opened as a user opens one from a mail program: the browser says the user
# made the navigation (an email link followed from another site asks first instead).
OPENED = {"Sec-Fetch-Site": "none"}


async def open_link(client: TestClient[Any, Any], token: str) -> ClientResponse:
    """GET the magic link of ``token`` as a browser opening it from a mail program."""
    return await client.get(
        f"/api/v1/user/auth/verify?token={token}", allow_redirects=False, headers=OPENED
    )


def outbox_link(data_dir: Path) -> str:
    """The token of the one magic link in the outbox (the file is removed)."""
    (eml,) = sorted((data_dir / "outbox").glob("*.eml"))
    assert eml.stat().st_mode & 0o777 == 0o600
    message = BytesParser(policy=default_policy).parsebytes(eml.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"http\S+/api/v1/user/auth/verify\?token=(\S+)", body.get_content())
    assert match is not None
    eml.unlink()
    return match.group(1)


async def sign_in(client: TestClient[Any, Any], user: User, password: str = PASSWORD) -> User:
    """A password sign-in of ``user``: a new session, as a User speaking through its token."""
    response = await client.post(
        "/api/v1/user/signin", json={"email": user.email, "password": password}
    )
    body = await response.json()
    assert response.status == 200, body
    client.session.cookie_jar.clear()
    return User(client, user.email, body["token"], user.id)


async def by_magic_link(client: TestClient[Any, Any], user: User, data_dir: Path) -> User:
    """A magic link to ``user``'s address, spent: a new session, as a User."""
    response = await client.post("/api/v1/user/magic-link", json={"email": user.email})
    assert response.status == 202
    verify = await open_link(client, outbox_link(data_dir))
    assert verify.headers["Location"] == "/trade"
    token = verify.cookies["token"].value
    client.session.cookie_jar.clear()
    return User(client, user.email, token, user.id)
