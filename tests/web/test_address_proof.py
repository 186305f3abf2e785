"""Account pre-hijacking (Sudhodanan & Paverd 2022, "classic-federated merge"), on both stores
over real HTTP.

A security review found that anyone could sign up with someone else's address and a password
(signup proves no mailbox) and keep a way in: when the address's owner later signed in with
an identity provider that vouches for it, or with a magic link, Velox signed the owner in to
that same user, and the stranger's password, sessions, API keys and webhook tokens went on
working on the owner's account. The first proof of an address now ends all of them; a user
whose address is proven already is signed in with nothing ended.

``db_url`` comes first in each signature so the app is torn down before the PostgreSQL
schema is dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from tests.binance.helpers import Bot, binance_error, first_account, make_key
from tests.fakes.oidc_provider import FakeOidcProvider
from tests.web.helpers import PASSWORD, User, assert_error, by_magic_link, signup
from tests.web.oidc_flow import app_client, sign_in
from velox.config import Settings
from velox.store.base import Store
from velox.web.auth.passwords import Passwords
from velox.web.keys import PASSWORDS, STORE
from velox.web.ws.hub import SESSION_ENDED

VICTIM = "victim@example.com"
ACCOUNT = "/fapi/v2/account"
HOOK = "/api/v1/webhooks/tradingview"


@pytest.fixture
async def provider() -> AsyncIterator[FakeOidcProvider]:
    async with FakeOidcProvider() as fake:
        fake.person.email = VICTIM
        yield fake


@pytest.fixture
async def velox(
    db_url: str, aiohttp_client: Any, settings: Settings, provider: FakeOidcProvider
) -> TestClient[Any, Any]:
    make = app_client(aiohttp_client, settings)
    return await make(
        db=db_url,
        oidc_issuer=provider.issuer,
        oidc_client_id=provider.client_id,
        oidc_client_secret=provider.client_secret,
    )


@dataclass
class Credentials:
    """What a password signup can hand out: a session, its socket, an API key, a webhook
    token."""

    user: User
    socket: ClientWebSocketResponse
    bot: Bot
    hook_token: str


async def _credentials(user: User) -> Credentials:
    client = user.client
    bot = Bot(client, await make_key(user, ["read"]))
    await bot.json("GET", ACCOUNT)  # works, and is in the key ring's cache now
    account = await first_account(user)
    hook = await user.json("POST", f"/api/v1/accounts/{account}/webhook", 201)
    return Credentials(user, await user.ws(), bot, hook["token"])


async def _password_sign_in(client: TestClient[Any, Any], email: str) -> aiohttp.ClientResponse:
    response = await client.post("/api/v1/user/signin", json={"email": email, "password": PASSWORD})
    client.session.cookie_jar.clear()  # each User speaks through its own token
    return response


async def _hook_status(client: TestClient[Any, Any], token: str) -> tuple[int, Any]:
    alert = {"token": token, "action": "close", "asset": "BTCUSDT"}
    response = await client.post(HOOK, json=alert)
    return response.status, await response.json()


async def _proven(client: TestClient[Any, Any]) -> bool:
    store: Store = client.app[STORE]
    user = await store.user_by_email(VICTIM)
    assert user is not None
    return user.email_proven


async def _by_provider(client: TestClient[Any, Any], user_id: str) -> User:
    """The owner signs in with the identity provider: the session it gets, as a User."""
    done = await sign_in(client, "oidc")
    assert done.headers["Location"] == "/trade"
    token = done.cookies["token"].value
    client.session.cookie_jar.clear()
    return User(client, VICTIM, token, user_id)


async def _assert_all_ended(left: Credentials, owner: User) -> None:
    """Nothing the signup handed out works; the owner, in the same user, does."""
    client = left.user.client
    assert (await owner.json("GET", "/api/v1/user/me", 200))["user"]["id"] == left.user.id
    refused = await _password_sign_in(client, VICTIM)
    assert refused.status == 401
    assert_error(await refused.json(), "INVALID_CREDENTIALS")
    stale = await left.user.call("GET", "/api/v1/user/me")
    assert stale.status == 401
    assert_error(await stale.json(), "UNAUTHORIZED")
    message = await left.socket.receive(timeout=5)
    assert (message.type, message.data) == (aiohttp.WSMsgType.CLOSE, SESSION_ENDED)
    await binance_error(await left.bot.call("GET", ACCOUNT), 401, -2015)
    status, body = await _hook_status(client, left.hook_token)
    assert status == 401
    assert_error(body, "UNAUTHORIZED")
    assert await owner.json("GET", "/api/v1/api-keys", 200) == {"apiKeys": []}
    assert (await owner.json("GET", "/api/v1/user/me", 200))["user"]["email"] == VICTIM
    await owner.balance()  # the owner's new session works, in the millisecond of the mark


async def test_the_first_provider_sign_in_ends_what_a_password_signup_left(
    db_url: str, velox: TestClient[Any, Any]
) -> None:
    left = await _credentials(await signup(velox, VICTIM))
    owner = await _by_provider(velox, left.user.id)
    await _assert_all_ended(left, owner)
    assert await _proven(velox)


async def test_the_first_magic_link_ends_what_a_password_signup_left(
    db_url: str, velox: TestClient[Any, Any], settings: Settings
) -> None:
    left = await _credentials(await signup(velox, VICTIM))
    owner = await by_magic_link(velox, left.user, Path(settings.data_dir))
    await _assert_all_ended(left, owner)


async def test_a_proven_users_next_provider_sign_in_ends_nothing(
    db_url: str, velox: TestClient[Any, Any]
) -> None:
    """Once proven, a sign-in is a sign-in: the owner's own session, socket, key and webhook
    token from before it all go on working."""
    stranger = await signup(velox, VICTIM)
    owner = await _by_provider(velox, stranger.id)
    kept = await _credentials(owner)
    again = await _by_provider(velox, owner.id)
    assert again.token != owner.token
    for user in (owner, again):
        assert (await user.json("GET", "/api/v1/user/me", 200))["user"]["id"] == owner.id
    await kept.bot.json("GET", ACCOUNT)
    assert (await _hook_status(velox, kept.hook_token))[0] == 200
    keys = await owner.json("GET", "/api/v1/api-keys", 200)
    assert [k["apiKey"] for k in keys["apiKeys"]] == [kept.bot.key.api_key]
    await kept.socket.send_json({"op": "ping"})
    assert (await kept.socket.receive_json(timeout=5))["type"] == "pong"
    await kept.socket.close()


async def test_a_password_sign_in_proves_nothing_and_ends_nothing(
    db_url: str, velox: TestClient[Any, Any]
) -> None:
    """Signup then signin with the password works as before, the signup's session and key
    included; the address is still unproven, so the owner's first proof still ends them."""
    user = await signup(velox, VICTIM)
    left = await _credentials(user)
    signed_in = await _password_sign_in(velox, VICTIM)
    assert signed_in.status == 200
    second = User(velox, VICTIM, (await signed_in.json())["token"], user.id)
    for session in (user, second):
        assert (await session.json("GET", "/api/v1/user/me", 200))["user"]["id"] == user.id
    await left.bot.json("GET", ACCOUNT)
    assert (await _hook_status(velox, left.hook_token))[0] == 200
    owner = await _by_provider(velox, user.id)
    await _assert_all_ended(left, owner)
    assert (await second.call("GET", "/api/v1/user/me")).status == 401


async def test_a_password_sign_in_that_races_the_first_proof_gets_no_session(
    db_url: str, velox: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proof clears the password while the stranger's sign-in is in bcrypt (which has
    already matched the old hash): the sign-in is refused, as if it had come after."""
    stranger = await signup(velox, VICTIM)
    passwords: Passwords = velox.app[PASSWORDS]
    checked = passwords.verify
    store: Store = velox.app[STORE]

    async def proof_meanwhile(password: str, hashed: str | None) -> bool:
        matched = await checked(password, hashed)
        await store.set_password(stranger.id, None)
        return matched

    monkeypatch.setattr(passwords, "verify", proof_meanwhile)
    raced = await _password_sign_in(velox, VICTIM)
    assert raced.status == 401
    assert_error(await raced.json(), "INVALID_CREDENTIALS")
