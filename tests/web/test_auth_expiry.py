"""Expired sign-in rows are deleted while the server runs, not only at its start.

An outside soak found every sign-out since the last restart kept in ``revoked_sessions`` on a
deployment where nobody asked for a magic link (the only request that deleted them): 684 rows
after 25 minutes, about 30 of them live, on SQLite and PostgreSQL alike. The server now deletes
expired rows every ``auth_expiry_s`` (an hour; here a twentieth of a second)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient

from tests.web.conftest import FAST, MakeClient
from velox.web.auth.expiry import AuthExpiry
from velox.web.keys import STORE
from velox.web.options import WebOptions


async def revocation_rows(client: TestClient[Any, Any]) -> list[str]:
    store = client.app[STORE]
    rows = await store._fetch("SELECT jti FROM revoked_sessions ORDER BY jti")
    return [r[0] for r in rows]


async def test_expired_sign_outs_go_and_live_ones_stay(make_client: MakeClient) -> None:
    options = WebOptions(bcrypt_rounds=FAST.bcrypt_rounds, auth_expiry_s=0.05)
    client = await make_client(options)
    store = client.app[STORE]
    now = int(time.time() * 1000)
    await store.revoke_session("expired", now - 1)
    await store.revoke_session("live", now + 3_600_000)
    for _ in range(100):  # 5 s at most; a round runs every 0.05 s
        if await revocation_rows(client) == ["live"]:
            break
        await asyncio.sleep(0.05)
    assert await revocation_rows(client) == ["live"]


class HangingStore:
    """A database that stopped answering in the middle of a round."""

    def __init__(self) -> None:
        self.began = asyncio.Event()

    async def forget_expired_auth(self, now_ms: int) -> int:
        self.began.set()
        await asyncio.sleep(3600)
        return 0


async def test_a_stop_does_not_wait_for_a_round_the_database_holds() -> None:
    """A diff review: the stop waited for the round, with no time limit (a gateway's store
    has none of its own)."""
    store = HangingStore()
    expiry = AuthExpiry(store, lambda: 0, interval_s=0.01)  # type: ignore[arg-type]
    expiry.start()
    async with asyncio.timeout(5):
        await store.began.wait()
    async with asyncio.timeout(2):
        await expiry.stop()
