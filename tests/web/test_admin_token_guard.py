"""The admin token is guarded as a password is: a wrong one counts against
``--rate-limit-auth`` for the client's address (429 past it, even for the right token, until
the window frees a try), each refusal is logged at WARNING at most once a minute per
address, and the token itself is never logged. A token under 32 characters is refused at
start in one line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.cli.test_startup_refusals import refused, velox
from tests.web.conftest import MakeClient

TOKEN = "an-admin-token-of-at-least-32-characters"
LEDGER = "/api/v1/admin/ledger"


async def test_wrong_admin_tokens_are_rate_limited_and_logged(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = await make_client(admin_token=TOKEN, rate_limit_auth=3)
    right = {"Authorization": f"Bearer {TOKEN}"}
    assert (await client.get(LEDGER, headers=right)).status == 200  # not counted
    assert (await client.get(LEDGER, headers=right)).status == 200
    with caplog.at_level(logging.WARNING, logger="velox.web.admin"):
        statuses = [
            (await client.get(LEDGER, headers={"Authorization": f"Bearer guess-{n}"})).status
            for n in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]
    refused_now = await client.get(LEDGER, headers=right)
    assert refused_now.status == 429 and "Retry-After" in refused_now.headers
    warnings = [r.getMessage() for r in caplog.records if r.name == "velox.web.admin"]
    assert warnings == ["admin ledger refused to 127.0.0.1: wrong or missing admin token"]
    assert not any("guess" in m or TOKEN in m for m in caplog.messages)


@pytest.mark.parametrize("token, length", [("zq", 2), ("Q" * 31, 31)])
def test_a_short_admin_token_is_refused_at_start(token: str, length: int, tmp_path: Path) -> None:
    done = velox("run", "--data-dir", str(tmp_path), "--port", "0", "--admin-token", token)
    assert refused(done) == (
        f"velox: --admin-token: {length} characters; the admin token must be at least 32 "
        "(see velox run --help)"
    )
    assert token not in done.stderr
