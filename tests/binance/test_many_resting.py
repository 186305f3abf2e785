"""More resting orders than one store page (1,000): ``openOrders``, the native PENDING list
and ``DELETE /fapi/v1/allOpenOrders`` see every one of them (rev7 item 3: each stopped at the
newest 1,000, and cancel-all answered success with 100 orders still resting)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.binance.helpers import netting_bot, orders_of
from tests.web.conftest import MakeClient
from tests.web.helpers import service_of, tick
from velox.engine.commands import OpenPosition
from velox.money import units

BTC, ETH, OPEN_ORDERS = "BTCUSDT", "ETHUSDT", "/fapi/v1/openOrders"
BTC_COUNT, ETH_COUNT = 1100, 30


async def rest(client: Any, user_id: str, account: str, asset: str, price: str, n: int) -> None:
    """``n`` resting LIMIT buys under the market, placed through the engine (fast)."""
    service = service_of(client)

    def order() -> OpenPosition:
        return OpenPosition(
            user_id, asset, "LONG", 10, service.clock(), margin=units("1"),
            account_id=account, order_type="LIMIT", price=units(price),
        )  # fmt: skip

    for start in range(0, n, 100):
        batch = range(start, min(n, start + 100))
        outcomes = await asyncio.gather(*(service.submit(order()) for _ in batch))
        assert all(o.refusal is None for o in outcomes), outcomes[0]


async def test_every_resting_order_is_listed_and_cancelled(make_client: MakeClient) -> None:
    client = await make_client(max_open_positions=2000, initial_balance="1000000")
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    await tick(client, ETH, "3000")
    await rest(client, user.id, account, BTC, "90000", BTC_COUNT)
    await rest(client, user.id, account, ETH, "2000", ETH_COUNT)

    btc = await bot.json("GET", OPEN_ORDERS, {"symbol": BTC})
    assert len(btc) == BTC_COUNT  # was 1,000
    assert {o["symbol"] for o in btc} == {BTC}
    assert len(await bot.json("GET", OPEN_ORDERS)) == BTC_COUNT + ETH_COUNT  # was 1,000
    assert len(await bot.json("GET", OPEN_ORDERS, {"symbol": ETH})) == ETH_COUNT

    pending = await orders_of(user, account, "PENDING")
    assert len(pending) == BTC_COUNT + ETH_COUNT  # was 1,000, the rest out of reach
    assert len({o["orderId"] for o in pending}) == len(pending)
    keys = [(o["createdAt"], int(o["orderId"])) for o in pending]
    assert keys == sorted(keys, reverse=True)  # newest first, as before
    path = f"/api/v1/order/user/orders?status=PENDING&asset={BTC}&limit=5"
    newest = await user.json("GET", path, 200, headers={"X-Velox-Account": account})
    assert newest["orders"] == [o for o in pending if o["asset"] == BTC][:5]

    done = await bot.json("DELETE", "/fapi/v1/allOpenOrders", {"symbol": BTC})
    assert done == {"code": 200, "msg": "The operation of cancel all open order is done."}
    assert await bot.json("GET", OPEN_ORDERS, {"symbol": BTC}) == []  # 100 were left
    assert len(await bot.json("GET", OPEN_ORDERS, {"symbol": ETH})) == ETH_COUNT
    left = await orders_of(user, account, "PENDING")
    assert {o["asset"] for o in left} == {ETH}
