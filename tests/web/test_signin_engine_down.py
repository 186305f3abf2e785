"""A new user signing in with a magic link or an identity provider while the engine cannot
open their first account (starting, replaying, recovering) is not signed in: they go back to
/signin with a message, and nothing is created.

Before, the user was created and signed in without an account: the trade page had nothing
to trade with until their next sign-in healed it. A user who has an account is signed in
as before (the store knows it has one; no engine needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.fakes.oidc_provider import FakeOidcProvider
from tests.web.helpers import bearer, open_link, outbox_link, signup
from tests.web.oidc_flow import me, sign_in
from tests.web.test_oidc import balance, make, oidc_settings, provider  # noqa: F401
from velox.service import EngineState
from velox.web.keys import SERVICE, STORE

UNAVAILABLE = "/signin?error=unavailable"


def engine_state(client: TestClient[Any, Any], state: EngineState) -> None:
    client.app[SERVICE].state = state


async def magic(client: TestClient[Any, Any], tmp_path: Path, email: str) -> Any:
    response = await client.post("/api/v1/user/magic-link", json={"email": email})
    assert response.status == 202
    token = outbox_link(tmp_path)
    return await open_link(client, token)


async def test_a_new_address_by_magic_link_waits_for_the_engine(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    engine_state(client, EngineState.REPLAYING)
    refused = await magic(client, tmp_path, "new@example.com")
    assert (refused.status, refused.headers["Location"]) == (302, UNAVAILABLE)
    assert "token" not in refused.cookies
    assert await client.app[STORE].user_by_email("new@example.com") is None
    page = await client.get(UNAVAILABLE)
    assert "Velox is starting up and could not open your account" in await page.text()
    engine_state(client, EngineState.READY)
    verify = await magic(client, tmp_path, "new@example.com")
    assert verify.headers["Location"] == "/trade"
    session = verify.cookies["token"].value
    response = await client.get("/api/v1/order/user/balance", headers=bearer(session))
    assert (await response.json())["balance"] == "1000.00000000"


async def test_a_user_with_an_account_signs_in_by_magic_link_as_before(
    client: TestClient[Any, Any], tmp_path: Path
) -> None:
    user = await signup(client, "had@example.com")
    engine_state(client, EngineState.REPLAYING)
    verify = await magic(client, tmp_path, "had@example.com")
    assert verify.headers["Location"] == "/trade"
    engine_state(client, EngineState.READY)
    me_now = await client.get("/api/v1/user/me", headers=bearer(verify.cookies["token"].value))
    assert (await me_now.json())["user"]["id"] == user.id


async def test_a_new_person_from_a_provider_waits_for_the_engine(
    make: Any,  # noqa: F811
    provider: FakeOidcProvider,  # noqa: F811
) -> None:
    velox = await make(**oidc_settings(provider))
    engine_state(velox, EngineState.REPLAYING)
    refused = await sign_in(velox, "oidc")
    assert (refused.status, refused.headers["Location"]) == (302, UNAVAILABLE)
    assert "token" not in refused.cookies
    assert (await me(velox))[0] == 401
    assert await velox.app[STORE].user_by_email("ann@example.com") is None
    engine_state(velox, EngineState.READY)
    done = await sign_in(velox, "oidc")
    assert done.headers["Location"] == "/trade"
    assert await balance(velox) == "1000.00000000"
