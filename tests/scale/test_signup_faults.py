"""A signup answered 503 ENGINE_NOT_READY through a gateway (the engine stopped, or killed,
right then) can be retried (SPEC 15: the client sees what the single process shows). The
gateway used to write the user before the engine opened the account, so the retry found the
email taken (409 EMAIL_TAKEN) though the first signup had answered that nothing was done.
Now the retry with the same email and password completes that signup: 201, one user, one
account, even when the stopped engine runs the first OpenAccount once it resumes."""

from __future__ import annotations

import os
import signal
from collections.abc import Awaitable, Callable

from tests.scale.cluster import Cluster
from tests.scale.helpers import PASSWORD, call, healthy, until
from velox.store.factory import open_store_for

SIGNUP = "/api/v1/user/signup"


async def _accounts_of(db_url: str, email: str) -> list[str]:
    """The account ids of the one user with ``email`` (the email is unique), read back
    from PostgreSQL as the engine projected them."""
    store = open_store_for(db_url)
    await store.open(writer=False)
    try:
        user = await store.user_by_email(email)
        assert user is not None
        return [a.account_id for a in await store.accounts_for_user(user.id)]
    finally:
        await store.close()


async def _signup_while_the_engine_is_away(
    cluster: Cluster, email: str, away: Callable[[], Awaitable[None]],
    back: Callable[[], Awaitable[None]],
) -> None:  # fmt: skip
    a, b = cluster.bases
    await away()
    body = {"email": email, "password": PASSWORD}
    status, first = await call(a, "POST", SIGNUP, body=body)
    assert (status, first["error"]["code"]) == (503, "ENGINE_NOT_READY"), first
    await back()
    for base in (a, b):
        await until(lambda base=base: healthy(base), f"{base} READY again")
    wrong = {"email": email, "password": PASSWORD + "-not"}
    status, refused = await call(b, "POST", SIGNUP, body=wrong)  # only the same password
    assert (status, refused["error"]["code"]) == (409, "EMAIL_TAKEN"), refused
    status, again = await call(b, "POST", SIGNUP, body=body)
    assert status == 201, again
    assert again["user"]["email"] == email
    status, accounts = await call(a, "GET", "/api/v1/accounts", again["token"])
    assert status == 200 and len(accounts["accounts"]) == 1, accounts
    status, signed_in = await call(a, "POST", "/api/v1/user/signin", body=body)
    assert status == 200 and signed_in["user"]["id"] == again["user"]["id"], signed_in
    status, taken = await call(a, "POST", SIGNUP, body=body)  # now it is a finished signup
    assert (status, taken["error"]["code"]) == (409, "EMAIL_TAKEN"), taken
    assert await _accounts_of(cluster.db_url, email) == [
        a["accountId"] for a in accounts["accounts"]
    ]


async def test_a_signup_503_while_the_engine_is_stopped_is_completed_by_its_retry(
    cluster: Cluster,
) -> None:
    """SIGSTOP: the gateway gives up on OpenAccount, which the engine still runs when it
    resumes; the retry answers 201 and opens no second account."""
    proc = cluster.engine.proc
    assert proc is not None

    async def stop() -> None:
        os.kill(proc.pid, signal.SIGSTOP)

    async def resume() -> None:
        os.kill(proc.pid, signal.SIGCONT)

    try:
        await _signup_while_the_engine_is_away(cluster, "stopped@scale.example", stop, resume)
    finally:
        os.kill(proc.pid, signal.SIGCONT)  # never leave it stopped for the fixture's SIGTERM


async def test_a_signup_503_while_the_engine_is_killed_is_completed_by_its_retry(
    cluster: Cluster,
) -> None:
    """kill -9: OpenAccount never ran; the restarted engine opens it at the retry."""
    await _signup_while_the_engine_is_away(
        cluster, "killed@scale.example", cluster.engine.kill9, cluster.engine.start
    )
