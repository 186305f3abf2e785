"""The first proof of an address, answered on one gateway, is in force on the other before
its reply (tests/web/test_address_proof.py has the single process).

A security review found a stranger who signed up with someone's address kept a way in once
its owner proved it (account pre-hijacking). The proof ends the signup's sessions with
signout-all's broadcast and its API keys with the key ring's: here gateway B applies every
broadcast late, so B would go on serving the stranger unless the owner's sign-in waited for
B's confirmations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.scale.cluster import Cluster
from tests.scale.helpers import PASSWORD, call, signup
from tests.scale.test_cross_gateway import netting_account, signed, trading_key
from tests.scale.test_revocations import LAG_S, lagging_deployment
from tests.web.helpers import OPENED, outbox_link

EMAIL = "victim@scale.example"


@pytest.fixture
async def lagging(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with lagging_deployment(tmp_path, str(LAG_S)) as deployment:
        yield deployment


async def test_a_proof_on_one_gateway_ends_the_signups_credentials_on_the_other(
    lagging: Cluster,
) -> None:
    a, b = lagging.bases
    stranger, user_id = await signup(a, EMAIL)
    key = await trading_key(a, stranger, await netting_account(a, stranger))
    assert (await signed(b, key, "GET", "/fapi/v2/balance"))[0] == 200  # B keeps it now
    async with aiohttp.ClientSession() as http:
        _, opened = await call(b, "GET", "/api/v1/user/ws-ticket", stranger)
        ws = await http.ws_connect(b.replace("http", "ws") + f"/ws?ticket={opened['ticket']}")

        status, _ = await call(a, "POST", "/api/v1/user/magic-link", body={"email": EMAIL})
        assert status == 202
        token = outbox_link(lagging.gateways[0].data_dir)
        verify = f"{a}/api/v1/user/auth/verify?token={token}"
        async with http.get(verify, headers=OPENED, allow_redirects=False) as answer:
            assert answer.headers["Location"] == "/trade"
            owner = answer.cookies["token"].value

        try:  # closed before the reply, after whatever prices were sent before it
            async with asyncio.timeout(0.5):
                while (msg := await ws.receive()).type is aiohttp.WSMsgType.TEXT:
                    pass
        except TimeoutError:
            raise AssertionError("B's socket is still open after the sign-in") from None
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), msg
        await ws.close()

    status, refused = await call(b, "GET", "/api/v1/user/me", stranger)
    assert (status, refused["error"]["code"]) == (401, "UNAUTHORIZED")
    status, refused = await signed(b, key, "GET", "/fapi/v2/balance")
    assert (status, refused.get("code")) == (401, -2015), refused
    body = {"email": EMAIL, "password": PASSWORD}
    status, refused = await call(b, "POST", "/api/v1/user/signin", body=body)
    assert (status, refused["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    for base in (a, b):
        status, me = await call(base, "GET", "/api/v1/user/me", owner)
        assert (status, me["user"]["id"]) == (200, user_id)
