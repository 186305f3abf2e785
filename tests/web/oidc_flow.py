"""Walking a provider sign-in by hand over real HTTP, one redirect at a time.

The test client plays the browser: it keeps Velox's cookies (the flow cookie, then the
session), follows Velox's redirect to the fake provider, and the provider's back to Velox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from tests.ports import free_port
from tests.web.conftest import FAST
from velox.config import Settings
from velox.web.app import create_app
from velox.web.options import WebOptions

AppClient = Callable[..., Awaitable[TestClient[Any, Any]]]
FLOW_COOKIE = "velox_oauth"


def app_client(aiohttp_client: Any, settings: Settings) -> AppClient:
    """``await make(**setting_changes)``: an app listening on the port its settings name, so
    the callback URL it registers (from ``--port``) is where it really answers; ``options``
    (the app's clock, say) may be given too."""

    async def make(options: WebOptions = FAST, **changes: Any) -> TestClient[Any, Any]:
        port = free_port()
        # Each app its own database: one database takes one running Velox.
        own_db = f"sqlite:///{Path(settings.data_dir) / f'velox-{port}.db'}"
        changes = {"db": own_db, **changes}
        app = create_app(settings.with_(port=port, **changes), feed=None, options=options)
        client: TestClient[Any, Any] = await aiohttp_client(app, server_kwargs={"port": port})
        return client

    return make


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def start(
    client: TestClient[Any, Any], slug: str, headers: dict[str, str] | None = None
) -> ClientResponse:
    """Click the button: ``GET /api/v1/user/auth/<slug>`` as a page of this site would."""
    headers = {"Referer": str(client.make_url("/signin")), **(headers or {})}
    return await client.get(f"/api/v1/user/auth/{slug}", headers=headers, allow_redirects=False)


async def at_provider(client: TestClient[Any, Any], authorize_url: str) -> str:
    """The provider's answer to the authorization request: the URL it sends the browser to."""
    response = await client.session.get(authorize_url, allow_redirects=False)
    assert response.status == 302, await response.text()
    return response.headers["Location"]


async def back_at_velox(client: TestClient[Any, Any], callback_url: str) -> ClientResponse:
    return await client.session.get(callback_url, allow_redirects=False)


async def to_callback(client: TestClient[Any, Any], slug: str) -> str:
    """Start and pass the provider: the callback URL, not yet followed."""
    response = await start(client, slug)
    assert response.status == 302, await response.text()
    return await at_provider(client, response.headers["Location"])


async def sign_in(client: TestClient[Any, Any], slug: str) -> ClientResponse:
    """The whole flow; the answer of Velox's callback (a redirect)."""
    return await back_at_velox(client, await to_callback(client, slug))


def flow_cookie(client: TestClient[Any, Any]) -> str:
    (value,) = [c.value for c in client.session.cookie_jar if c.key == FLOW_COOKIE]
    return value


async def me(client: TestClient[Any, Any]) -> tuple[int, Any]:
    response = await client.get("/api/v1/user/me")
    return response.status, await response.json()


async def assert_refused(
    client: TestClient[Any, Any], response: ClientResponse, error: str, slug: str
) -> None:
    """Ended on /signin with ``error``, no session cookie set, nobody signed in."""
    assert response.status == 302
    assert response.headers["Location"] == f"/signin?error={error}&provider={slug}"
    assert "token" not in response.cookies
    assert not [c for c in client.session.cookie_jar if c.key == "token"]
    status, body = await me(client)
    assert status == 401, body
