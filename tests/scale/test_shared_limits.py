"""Rate limits hold for the cluster, not for each gateway (SPEC 10, 15): an outside review
sent 40 wrong passwords from one address through two gateways with the default limit of 20
per 60 s and got 40 answers of 401 and no 429; with N gateways a client had N times every
limit (sign-in attempts, orders per user, Binance weight)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.scale.cluster import Cluster
from tests.scale.conftest import deployment
from tests.scale.helpers import call, signup

pytestmark = pytest.mark.slow
AUTH_LIMIT = 4


@pytest.fixture
async def limited(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with deployment(tmp_path, extra=("--rate-limit-auth", str(AUTH_LIMIT))) as started:
        yield started


async def test_wrong_passwords_through_two_gateways_meet_one_limit(limited: Cluster) -> None:
    a, b = limited.bases
    await signup(a, "victim@scale.example")  # signup is an auth attempt too: 1 of 4 spent
    answers = []
    for i in range(2 * AUTH_LIMIT):
        base = (a, b)[i % 2]
        body = {"email": "victim@scale.example", "password": f"guess-{i}-x"}
        status, data = await call(base, "POST", "/api/v1/user/signin", body=body)
        answers.append((status, data["error"]["code"]))
        await asyncio.sleep(0.1)  # the counts meet within a flush and a NATS delivery
    assert answers == [(401, "INVALID_CREDENTIALS")] * (AUTH_LIMIT - 1) + [
        (429, "RATE_LIMITED")
    ] * (AUTH_LIMIT + 1)
