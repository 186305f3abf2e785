"""A request signed in when it began, whose write lands after the first proof of the address.

The handlers checked the session once, at the start; the password, API key or webhook token
was written later (after bcrypt, after the body arrived). A stranger who signed up with the
owner's address and held such a request open (a slow body) kept a password, a trading key or
a webhook token on the owner's account after the owner's first magic link had ended
everything else (found by the review of the change that brought the proof). The proof runs
here inside the request, between its check and its write, on both stores."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import first_account
from tests.web.helpers import PASSWORD, User, assert_error, by_magic_link, signup
from velox.config import Settings
from velox.web.keys import PASSWORDS, STORE

VICTIM = "victim@example.com"


@pytest.fixture
async def velox(db_url: str, make_client: Any) -> TestClient[Any, Any]:
    client: TestClient[Any, Any] = await make_client(db=db_url)
    return client


def proof_inside(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, prove: Callable[[], Awaitable[Any]]
) -> None:
    """``target.name`` runs the owner's first proof, then does its own work."""
    original = getattr(target, name)

    async def meanwhile(*args: Any, **kwargs: Any) -> Any:
        await prove()
        return await original(*args, **kwargs)

    monkeypatch.setattr(target, name, meanwhile)


async def _refused(stranger: User, method: str, path: str, **kwargs: Any) -> None:
    response = await stranger.call(method, path, **kwargs)
    assert response.status == 401, await response.text()
    assert_error(await response.json(), "UNAUTHORIZED")


async def test_a_password_hashed_while_the_proof_runs_is_not_kept(
    velox: TestClient[Any, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = await signup(velox, VICTIM)  # a fresh session: may set a first password
    owner: list[User] = []

    async def prove() -> None:
        owner.append(await by_magic_link(velox, stranger, Path(settings.data_dir)))

    proof_inside(monkeypatch, velox.app[PASSWORDS], "hash", prove)
    change = {"password": "mine now!", "currentPassword": PASSWORD}  # the stranger's own
    await _refused(stranger, "POST", "/api/v1/user/password", json=change)
    monkeypatch.undo()
    attempt = {"email": VICTIM, "password": "mine now!"}
    signin = await velox.post("/api/v1/user/signin", json=attempt)
    assert signin.status == 401
    assert_error(await signin.json(), "INVALID_CREDENTIALS")
    assert await owner[0].json("GET", "/api/v1/user/me", 200)


async def test_an_api_key_created_while_the_proof_runs_is_not_kept(
    velox: TestClient[Any, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = await signup(velox, VICTIM)
    account = await first_account(stranger)
    owner: list[User] = []

    async def prove() -> None:
        owner.append(await by_magic_link(velox, stranger, Path(settings.data_dir)))

    proof_inside(monkeypatch, velox.app[STORE], "create_api_key", prove)
    body = {"name": "mine", "accountId": account, "permissions": ["read"]}
    await _refused(stranger, "POST", "/api/v1/api-keys", json=body)
    assert await owner[0].json("GET", "/api/v1/api-keys", 200) == {"apiKeys": []}


async def test_a_webhook_token_made_while_the_proof_runs_is_not_kept(
    velox: TestClient[Any, Any], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    stranger = await signup(velox, VICTIM)
    account = await first_account(stranger)

    async def prove() -> None:
        await by_magic_link(velox, stranger, Path(settings.data_dir))

    proof_inside(monkeypatch, velox.app[STORE], "set_webhook_token", prove)
    await _refused(stranger, "POST", f"/api/v1/accounts/{account}/webhook")
    assert await velox.app[STORE].webhook_token(account) is None
