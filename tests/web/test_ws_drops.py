"""``/ws`` clients that vanish mid-write, or before their upgrade is answered, end as a
close does: nothing logged at ERROR (see dropped.py)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.dropped import all_closed, errors, reset, reset_before_the_answer, upgraded
from tests.web.helpers import tick


async def test_a_client_gone_mid_write_is_a_normal_close(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        writer = await upgraded(client, "/ws")
        reset(writer)
        for price in ("100000", "100010", "100020"):
            await tick(client, "BTCUSDT", price)
        await all_closed(client)
    assert errors(caplog) == []


async def test_a_client_gone_before_its_upgrade_is_answered(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        await reset_before_the_answer(client, "/ws")
    await all_closed(client)
    assert errors(caplog) == []
