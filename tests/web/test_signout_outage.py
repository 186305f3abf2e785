"""A sign-out the database cannot record changes nothing, so the retry it is told to make
works.

Both sign-outs voided the session in the process's memory before writing it to the store:
with the database away they answered 503 DATABASE_UNAVAILABLE ("retry shortly"), the session
was already refused (a retry of signout-all was 401), and the sign-out, never stored nor told
to the other gateways, was gone at the next restart: the "signed out" session worked again
(found by the last look at this session's changes, on PostgreSQL)."""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped, unused-ignore]
import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import User, assert_error, signup
from velox.web.keys import STORE


def _database_away(monkeypatch: pytest.MonkeyPatch, store: Any, method: str) -> None:
    async def refused(*_args: Any, **_kwargs: Any) -> None:
        raise asyncpg.CannotConnectNowError("the database system is shutting down")

    monkeypatch.setattr(store, method, refused)


async def _me(user: User) -> int:
    return (await user.call("GET", "/api/v1/user/me")).status


@pytest.mark.parametrize(
    "path, method",
    [("/api/v1/user/signout-all", "sign_out_everywhere"),
     ("/api/v1/user/signout", "revoke_session")],
)  # fmt: skip
async def test_a_sign_out_the_store_refuses_changes_nothing_and_its_retry_works(
    client: TestClient[Any, Any], monkeypatch: pytest.MonkeyPatch, path: str, method: str
) -> None:
    user = await signup(client)
    with monkeypatch.context() as away:
        _database_away(away, client.app[STORE], method)
        failed = await user.call("POST", path)
        assert failed.status == 503
        assert_error(await failed.json(), "DATABASE_UNAVAILABLE")
        assert await _me(user) == 200  # nothing happened: the session still works
    retried = await user.call("POST", path)
    assert retried.status == 204
    assert await _me(user) == 401
