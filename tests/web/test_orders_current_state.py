"""OPEN and PENDING are current state, not a history: ``GET /api/v1/order/user/orders``
lists every open position (and every resting order), however many --max-open-positions
allows, more than the 1000 a history page holds; ``limit`` asks for the newest only
(rev7 s2: README now says so, where a reader took "a page is at most 1000" for them too)."""

from __future__ import annotations

import asyncio

from tests.web.conftest import MakeClient
from tests.web.helpers import service_of, signup, tick
from velox.engine.commands import OpenPosition
from velox.money import units

BTC, COUNT = "BTCUSDT", 1005


async def test_open_lists_every_position_and_limit_the_newest(make_client: MakeClient) -> None:
    client = await make_client(max_open_positions=2000, initial_balance="1000000")
    user = await signup(client)
    await tick(client, BTC, "100000")
    service = service_of(client)

    def buy() -> OpenPosition:
        return OpenPosition(user.id, BTC, "LONG", 10, service.clock(), margin=units("1"))

    for start in range(0, COUNT, 100):
        batch = range(start, min(COUNT, start + 100))
        outcomes = await asyncio.gather(*(service.submit(buy()) for _ in batch))
        assert all(o.refusal is None for o in outcomes), outcomes[0]

    every = (await user.json("GET", "/api/v1/order/user/orders?status=OPEN", 200))["orders"]
    assert len(every) == COUNT
    keys = [(o["openedAt"], int(o["orderId"])) for o in every]
    assert keys == sorted(keys, reverse=True)
    newest = await user.json("GET", "/api/v1/order/user/orders?status=OPEN&limit=3", 200)
    assert newest["orders"] == every[:3]
