"""The hub's cost and exactness (issue 11 section 3): real sockets on an aiohttp test server.

Work is counted, not timed: reads of the engine's positions inside the engine's task while a
price is published, figure computations per push, messages per socket under trailing moves.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from tests.web.conftest import MakeClient
from tests.web.helpers import User, settle, signup, tick
from velox.web.keys import HUB, SERVICE
from velox.web.options import WebOptions
from velox.web.ws.connection import Connection

LONG_BTC: dict[str, Any] = {"asset": "BTCUSDT", "side": "LONG", "leverage": 10, "margin": "10"}


class CountingDict(dict[str, Any]):
    """The engine's positions, counting every lookup of one position."""

    reads = 0

    def __getitem__(self, key: str) -> Any:
        CountingDict.reads += 1
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        CountingDict.reads += 1
        return super().get(key, default)


async def _until_pong(ws: ClientWebSocketResponse) -> list[dict[str, Any]]:
    """Every message the server sent before answering a ping sent now (in order)."""
    await ws.send_json({"op": "ping"})
    seen: list[dict[str, Any]] = []
    while True:
        message = await ws.receive_json(timeout=10)
        if message["type"] == "pong":
            return seen
        seen.append(message)


async def _quiet(client: TestClient[Any, Any]) -> None:
    """The engine committed everything offered and the pusher has nothing left to push."""
    await settle(client)
    settled = getattr(client.app[HUB], "settled", None)
    if settled is not None:
        await settled()


def _of(messages: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in messages if m["type"] == kind]


async def test_a_price_touches_only_the_users_holding_that_asset(
    client: TestClient[Any, Any],
) -> None:
    await tick(client, "BTCUSDT", "100000")
    await tick(client, "ETHUSDT", "3000")
    btc_users: list[User] = [await signup(client) for _ in range(12)]
    for user in btc_users:
        for _ in range(3):
            await user.open(**LONG_BTC)
    eth_user = await signup(client)
    await eth_user.open(asset="ETHUSDT", side="SHORT", leverage=5, margin="20")
    sockets = [await user.ws() for user in btc_users]
    eth_ws = await eth_user.ws()
    await tick(client, "BTCUSDT", "100100")  # every connected user's figures are read once
    await _quiet(client)
    for ws in [*sockets, eth_ws]:
        await _until_pong(ws)
    await asyncio.sleep(0.3)  # past the old hub's 250 ms gate between price-driven pushes

    hub, engine = client.app[HUB], client.app[SERVICE].engine
    engine.positions = CountingDict(engine.positions)
    computed = hub.book.computations if hasattr(hub, "book") else 0
    CountingDict.reads = 0
    await tick(client, "ETHUSDT", "2990")
    reads_in_engine_task = CountingDict.reads
    await _quiet(client)

    # The engine's task read no position of the 12 BTC holders (nor the ETH holder's: the
    # figures are the pusher's, from its own book); before, it scanned every connected user.
    assert reads_in_engine_task == 0
    assert hub.book.computations - computed == 1  # one user holds ETH
    eth_seen = await _until_pong(eth_ws)
    (balance,) = _of(eth_seen, "balance")
    assert balance["data"] == await eth_user.balance()
    for ws in sockets:
        assert _of(await _until_pong(ws), "balance") == []

    computed = hub.book.computations
    await tick(client, "BTCUSDT", "100200")
    await _quiet(client)
    assert hub.book.computations - computed == len(btc_users)
    for user, ws in zip(btc_users, sockets, strict=True):
        (balance,) = _of(await _until_pong(ws), "balance")
        assert balance["data"] == await user.balance()
    for ws in [*sockets, eth_ws]:
        await ws.close()


async def test_trailing_moves_send_at_most_one_update_per_order_per_push(
    make_client: MakeClient,
) -> None:
    client = await make_client(options=WebOptions(bcrypt_rounds=4, ws_push_interval_s=60.0))
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    trailing = {**LONG_BTC, "trailingStop": "500"}
    orders = [(await user.open(**trailing))["orderId"] for _ in range(8)]
    ws = await user.ws()
    for step in range(1, 21):  # each tick its own batch, each a new high for all 8 marks
        await tick(client, "BTCUSDT", str(100000 + 10 * step))
    seen = await _until_pong(ws)
    updates = _of(seen, "order_updated")
    # One push per user per minute here: the first moves went out at once (leading edge),
    # the 19 later highs wait for the next push. Before: 8 messages per tick, 160 in all.
    assert len(updates) <= len(orders)
    assert {u["data"]["orderId"] for u in updates} <= set(orders)
    assert len(_of(seen, "balance")) <= 1
    await ws.close()


async def test_the_latest_mark_and_figures_win(client: TestClient[Any, Any]) -> None:
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    trailing = {**LONG_BTC, "trailingStop": "500"}
    for _ in range(5):
        await user.open(**trailing)
    ws = await user.ws()
    for step in range(1, 31):
        await tick(client, "BTCUSDT", str(100000 + 7 * step))
    await _quiet(client)
    seen = await _until_pong(ws)
    listed = await user.json("GET", "/api/v1/order/user/orders?status=OPEN", 200)
    last: dict[str, Any] = {}
    for update in _of(seen, "order_updated"):
        last[update["data"]["orderId"]] = update["data"]
    assert last == {order["orderId"]: order for order in listed["orders"]}
    assert _of(seen, "balance")[-1]["data"] == await user.balance()
    await ws.close()


async def _last_balance(
    client: TestClient[Any, Any], ws: ClientWebSocketResponse, previous: Any
) -> Any:
    await _quiet(client)
    balances = _of(await _until_pong(ws), "balance")
    return balances[-1]["data"] if balances else previous


async def test_the_figures_on_the_socket_equal_the_rest_balance_to_the_unit(
    client: TestClient[Any, Any],
) -> None:
    await tick(client, "BTCUSDT", "100000")
    await tick(client, "ETHUSDT", "3000")
    user = await signup(client)
    other = await signup(client)
    await other.open(**LONG_BTC)
    ws = await user.ws()
    shown = None

    async def check() -> None:
        nonlocal shown
        shown = await _last_balance(client, ws, shown)
        assert shown == await user.balance()

    a = (await user.open(**{**LONG_BTC, "margin": "33.33333333", "leverage": 7}))["orderId"]
    await check()
    b = (await user.open(asset="ETHUSDT", side="SHORT", leverage=3, margin="12.5"))["orderId"]
    await check()
    await user.open(asset="BTCUSDT", side="SHORT", leverage=50, qty="0.00123457")
    await check()
    for price in ("100013.37", "99871.11", "100500"):
        await tick(client, "BTCUSDT", price)
        await check()
    await tick(client, "ETHUSDT", "3011.11")
    await check()
    await user.json("POST", f"/api/v1/order/close/{a}", 200, json={"percent": 37})
    await check()
    await user.json("POST", f"/api/v1/order/{b}/margin", 200, json={"amount": "1.23456789"})
    await check()
    await tick(client, "ETHUSDT", "2987.65")
    await check()
    await user.json("POST", f"/api/v1/order/close/{b}", 200, json={})
    await check()
    await tick(client, "BTCUSDT", "98050")  # the 50x SHORT gains, the LONG loses
    await check()
    await tick(client, "BTCUSDT", "102100")  # the 50x SHORT is liquidated
    await check()
    assert shown is not None and shown["usedMargin"] != "0.00000000"

    # engine v2: a pending LIMIT reserves margin (equity keeps it); a second account's
    # positions are not the first account's figures (REST and socket default to the first)
    limit = {**LONG_BTC, "type": "LIMIT", "price": "90000", "margin": "21.5"}
    pending = (await user.open(**limit))["orderId"]
    await check()
    assert shown["pendingMargin"] == "21.50000000"
    second = await user.json("POST", "/api/v1/accounts", 201, json={"name": "B", "mode": "HEDGING"})
    other_account = {"X-Velox-Account": second["accountId"]}
    await user.json("POST", "/api/v1/order/open", 201, json=LONG_BTC, headers=other_account)
    await check()
    await tick(client, "BTCUSDT", "101900")
    await check()
    await user.json("DELETE", f"/api/v1/order/{pending}", 200)
    await check()
    assert shown["pendingMargin"] == "0.00000000"
    await ws.close()


async def test_no_socket_is_written_in_the_engines_task(
    client: TestClient[Any, Any], monkeypatch: Any
) -> None:
    """Prices go out from the conflator's task: the listener writes to no socket at all."""
    service = client.app[SERVICE]
    in_listener = False
    writes_in_listener = 0

    def counting(method: Any) -> Any:
        def wrapper(self: Connection, *args: Any) -> bool:
            nonlocal writes_in_listener
            writes_in_listener += in_listener
            result: bool = method(self, *args)
            return result

        return wrapper

    for name in ("offer", "offer_all"):
        if hasattr(Connection, name):
            monkeypatch.setattr(Connection, name, counting(getattr(Connection, name)))

    def in_engine_task(call: Any) -> Any:
        def wrapped(*args: Any) -> Any:
            nonlocal in_listener
            in_listener = True
            try:
                return call(*args)
            finally:
                in_listener = False

        return wrapped

    hub = client.app[HUB]
    # staged: both the read and the reveal run in the engine's task
    if getattr(hub, "stage", None) in service._staged:
        at = service._staged.index(hub.stage)

        def stage(published: Any) -> Any:
            after = in_engine_task(hub.stage)(published)
            return None if after is None else in_engine_task(after)

        service._staged[at] = stage
    else:
        at = service._listeners.index(hub.on_published)
        service._listeners[at] = in_engine_task(hub.on_published)
    sockets = [await client.ws_connect("/ws") for _ in range(10)]
    await tick(client, "BTCUSDT", "100000")
    await tick(client, "ETHUSDT", "3000")
    await _quiet(client)
    assert writes_in_listener == 0  # before: one per socket per price sent at once
    for ws in sockets:
        seen = await _until_pong(ws)
        prices = {m["symbol"]: m["data"]["bidPrice"] for m in _of(seen, "price_update")}
        assert prices == {"BTCUSDT": "99950.00000000", "ETHUSDT": "2998.50000000"}
    for ws in sockets:
        await ws.close()


async def test_a_price_and_the_holders_figures_leave_in_one_write(
    client: TestClient[Any, Any], monkeypatch: Any
) -> None:
    """The socket write is the hub's unit cost: a tick costs a holder's socket one."""
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    await user.open(**LONG_BTC)
    ws = await user.ws()
    await tick(client, "BTCUSDT", "100010")
    await _quiet(client)
    await _until_pong(ws)
    await asyncio.sleep(0.3)  # past the user's last push: the next one may go at once
    writes: list[int] = []
    offer_all = Connection.offer_all

    def counting(self: Connection, messages: list[bytes], frames: bytes) -> bool:
        writes.append(len(messages))
        return offer_all(self, messages, frames)

    monkeypatch.setattr(Connection, "offer_all", counting)
    await tick(client, "BTCUSDT", "100020")
    await _quiet(client)
    assert writes == [2]  # one write: the price, then the balance
    seen = await _until_pong(ws)
    assert [m["type"] for m in seen] == ["price_update", "balance"]
    assert seen[1]["data"] == await user.balance()
    await ws.close()


async def test_figures_that_prices_moved_ride_in_the_price_write(
    client: TestClient[Any, Any], monkeypatch: Any
) -> None:
    """A steady stream of ticks: a holder's socket gets one write per price pass, its figures
    inside it, never a second write of figures alone between two price passes (with 2,000
    sockets each such write is a system call; bench/hub.py)."""
    await tick(client, "BTCUSDT", "100000")
    user = await signup(client)
    await user.open(**LONG_BTC)
    ws = await user.ws()
    await _quiet(client)
    await _until_pong(ws)
    writes: list[list[str]] = []
    offer_all = Connection.offer_all

    def counting(self: Connection, messages: list[bytes], frames: bytes) -> bool:
        if self.user_id == user.id:
            writes.append([json.loads(m)["type"] for m in messages])
        return offer_all(self, messages, frames)

    monkeypatch.setattr(Connection, "offer_all", counting)
    for i in range(60):  # 50 ticks a second for 1.2 s: about 12 price passes, 4 pushes
        await tick(client, "BTCUSDT", str(100_000 + i))
        await asyncio.sleep(0.02)
    await _quiet(client)
    pushes = [w for w in writes if "balance" in w]
    assert len(pushes) >= 3, writes  # the figures did go, several times
    # alone only if a push fell due in a gap with no price pending (at most once here;
    # before, every push but the first went alone)
    assert sum("price_update" not in w for w in writes) <= 1, writes
    seen = await _until_pong(ws)
    assert _of(seen, "balance")[-1]["data"] == await user.balance()
    await ws.close()
