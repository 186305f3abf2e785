"""An acknowledged order that cannot be read back is a bug (seen when a stray second engine
answered a gateway's command): it is answered like every other 500 of SPEC section 7, with
a requestId that is logged with the failure, not as a bare ``INTERNAL`` nobody can trace."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import signup, tick
from velox.engine.engine import Engine, Outcome
from velox.web import orders_v2


async def test_an_order_that_cannot_be_read_back_is_a_logged_500_with_a_request_id(
    client: TestClient[Any, Any], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await signup(client)
    await tick(client, "BTCUSDT", "100000")

    def nowhere(user_id: str) -> Any:
        def view(engine: Engine, outcome: Outcome) -> orders_v2.Reply:
            return 201, None, "0" * 16  # acknowledged, yet in none of the places it could be

        return view

    monkeypatch.setattr(orders_v2, "_reply_of", nowhere)
    caplog.set_level(logging.ERROR)
    body = await user.open(500, asset="BTCUSDT", side="LONG", leverage=10, margin="10")
    request_id = body["error"]["requestId"]
    assert body["error"]["code"] == "INTERNAL" and request_id
    assert f"request {request_id} POST /api/v1/order/open failed" in caplog.text
