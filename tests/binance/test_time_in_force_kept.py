"""A LIMIT's time in force is the order's from placement to its end, as on Binance: every
later read (``order``, ``openOrders``, ``allOrders``) and the user stream's ``f`` say the
GTX, IOC, FOK, GTD or GTC it was placed with. They said GTC (GTD with a ``goodTillDate``)
for all but the answer to the order: a bot placing post-only orders read back GTC.

Also after a restart, from the snapshot and from the journal, on both stores: the rows keep
it, and the engine's resting orders too, which the stream shows when they fill or end.
The quote: BTC bid 99950, ask 100050.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.binance.helpers import Bot, netting_bot, now_ms
from tests.binance.test_user_stream import listen_key
from tests.web.conftest import MakeClient
from tests.web.helpers import tick
from velox.config import Settings
from velox.store.factory import open_store_for
from velox.store.sqlstore import SqlStore

ORDER, BTC = "/fapi/v1/order", "BTCUSDT"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """The web tests' settings on each store."""
    return Settings(data_dir=str(tmp_path), db=db_url, rate_limit_auth=1000,
                    rate_limit_orders=1000, rate_limit_public=1000, snapshot_interval=3600.0,
                    funding_interval=0)  # fmt: skip


def limit(side: str, price: str, tif: str, qty: str = "0.01", **more: Any) -> dict[str, Any]:
    return {"symbol": BTC, "side": side, "type": "LIMIT", "quantity": qty, "price": price,
            "timeInForce": tif, **more}  # fmt: skip


async def streamed(ws: aiohttp.ClientWebSocketResponse) -> dict[int, list[tuple[str, str]]]:
    """Each order's ORDER_TRADE_UPDATEs (``X``, ``f``) until the stream is quiet."""
    out: dict[int, list[tuple[str, str]]] = {}
    while True:
        try:
            message = await ws.receive_json(timeout=1)
        except TimeoutError:
            return out
        if message.get("e") == "ORDER_TRADE_UPDATE":
            o = message["o"]
            out.setdefault(o["i"], []).append((o["X"], o["f"]))


async def read_back(bot: Bot, expected: dict[int, tuple[str, str]]) -> None:
    """``expected``: order id -> (status, timeInForce), as each read shows it."""
    for order_id, shown in expected.items():
        got = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": order_id})
        assert (got["status"], got["timeInForce"]) == shown, got
    listed = await bot.json("GET", "/fapi/v1/allOrders", {"symbol": BTC})
    assert {o["orderId"]: (o["status"], o["timeInForce"]) for o in listed} == expected
    opened = await bot.json("GET", "/fapi/v1/openOrders", {"symbol": BTC})
    resting = {i: s for i, s in expected.items() if s[0] == "NEW"}
    assert {o["orderId"]: (o["status"], o["timeInForce"]) for o in opened} == resting


async def restarted(make_client: MakeClient, client: Any, bot: Bot, db_url: str, *,
                    journal: bool) -> tuple[Any, Bot]:  # fmt: skip
    """Velox stopped (a final snapshot) and started again: from that snapshot, or with
    ``journal`` from the whole journal (the snapshots deleted)."""
    await client.close()
    if journal:
        store = open_store_for(db_url)
        await store.open()
        assert isinstance(store, SqlStore)
        async with store._transaction() as tx:
            await tx.execute("DELETE FROM snapshots")
        await store.close()
    again = await make_client()
    await tick(again, BTC, "100000")
    return again, Bot(again, bot.key)


async def test_each_order_keeps_its_time_in_force(make_client: MakeClient, db_url: str) -> None:
    client = await make_client(binance_weight_limit=100_000)
    _, bot, _ = await netting_bot(client)
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    await tick(client, BTC, "100000")
    gtd = now_ms() + 3_600_000
    sent = [
        limit("BUY", "99000", "GTX"),  # rests as a maker
        limit("BUY", "95000", "GTX"),
        limit("BUY", "98000", "GTD", goodTillDate=gtd),
        limit("BUY", "97000", "GTC"),
        limit("BUY", "100049", "IOC"),  # short of the ask: EXPIRED at once
        limit("BUY", "100100", "FOK"),  # opens a LONG 0.01
        limit("BUY", "100100", "IOC"),  # adds to it
        limit("SELL", "99000", "IOC"),  # reduces it
        limit("SELL", "90000", "FOK", qty="0.02"),  # closes it, opens a SHORT 0.01
    ]
    expected: dict[int, tuple[str, str]] = {}
    for params in sent:
        answer = await bot.json("POST", ORDER, params)
        expected[answer["orderId"]] = (answer["status"], answer["timeInForce"])
    gtx, far_gtx, gtd_id, gtc, *_ = expected
    statuses = [s for s, _ in expected.values()]
    assert statuses == ["NEW"] * 4 + ["EXPIRED"] + ["FILLED"] * 4
    assert [t for _, t in expected.values()] == [p["timeInForce"] for p in sent]
    await read_back(bot, expected)
    updates = await streamed(ws)
    for order_id, (_, tif) in expected.items():  # NEW, then its trades or its end
        assert {f for _, f in updates[order_id]} == {tif}, (order_id, updates[order_id])
    assert len(updates[list(expected)[-1]]) == 3  # the flip: NEW, two trades
    await ws.close()

    # from the snapshot: the resting GTX fills (it reduces the SHORT) as a GTX
    client, bot = await restarted(make_client, client, bot, str(db_url), journal=False)
    await read_back(bot, expected)
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    await tick(client, BTC, "98900")  # ask 98949.45: reaches 99000
    assert (await streamed(ws))[gtx] == [("FILLED", "GTX")]
    await ws.close()
    expected[gtx] = ("FILLED", "GTX")
    await read_back(bot, expected)

    # from the journal: the other GTX and the GTD end as they were placed
    client, bot = await restarted(make_client, client, bot, str(db_url), journal=True)
    await read_back(bot, expected)
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    for order_id in (far_gtx, gtd_id, gtc):
        await bot.json("DELETE", ORDER, {"symbol": BTC, "orderId": order_id})
    ended = await streamed(ws)
    assert [ended[i] for i in (far_gtx, gtd_id, gtc)] == [
        [("CANCELED", "GTX")], [("CANCELED", "GTD")], [("CANCELED", "GTC")]
    ]  # fmt: skip
    await ws.close()
    for order_id in (far_gtx, gtd_id, gtc):
        expected[order_id] = ("CANCELED", expected[order_id][1])
    await read_back(bot, expected)
    await client.close()
