"""Memory stays bounded: closed positions leave the engine, closed sockets leave the hub."""

from __future__ import annotations

import tracemalloc
from pathlib import Path
from typing import Any

from velox.config import Settings
from velox.engine.commands import ClosePosition, Deposit, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.settings import EngineSettings
from velox.money import SCALE
from velox.web.app import create_app
from velox.web.keys import HUB
from velox.web.options import WebOptions

T0 = 1_700_000_000_000


def churn(engine: Engine, rounds: int, start: int) -> None:
    for i in range(start, start + rounds):
        out = engine.handle(
            OpenPosition("u", "BTCUSDT", "LONG", 10, T0, margin=SCALE, trailing_stop=SCALE)
        )
        engine.on_tick(PriceTick("BTCUSDT", 100_000 * SCALE + i, T0 + i))  # marks move
        engine.handle(ClosePosition("u", out.events[0].order_id, T0 + i))  # type: ignore[union-attr]


def test_closed_positions_leave_no_trace_in_the_engine() -> None:
    engine = Engine(EngineSettings(max_price_age_ms=10**12))
    engine.handle(OpenAccount("u", T0))
    engine.handle(Deposit("u", 10**9 * SCALE, T0))
    engine.on_tick(PriceTick("BTCUSDT", 100_000 * SCALE, T0))
    churn(engine, 5_000, 1)  # warm up allocator and heaps
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    churn(engine, 20_000, 10_000)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert engine.positions == {} and engine.account_of("u", None).open_orders == {}
    books = engine.index._books.values()
    assert all(
        len(b.adverse) + len(b.target) + len(b.by_mark) + len(b.by_level) <= 200 for b in books
    )
    assert after - before < 64 * 1024, f"engine grew {after - before} bytes over 20k closes"


async def test_disconnected_websockets_leave_nothing_in_the_hub(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    settings = Settings(data_dir=str(tmp_path), db=f"sqlite:///{tmp_path / 'v.db'}")
    client = await aiohttp_client(
        create_app(settings, feed=None, options=WebOptions(bcrypt_rounds=4))
    )
    r = await client.post(
        "/api/v1/user/signup", json={"email": "m@example.com", "password": "memory-test-pw"}
    )
    token = (await r.json())["token"]
    hub = client.app[HUB]
    auth = {"Authorization": f"Bearer {token}"}
    for i in range(100):
        path = "/ws"
        if i % 2:  # every other socket signed in with a one-time ticket
            ticket = await (await client.get("/api/v1/user/ws-ticket", headers=auth)).json()
            path += f"?ticket={ticket['ticket']}"
        ws = await client.ws_connect(path)
        if i == 1:
            assert len(hub._by_user) == 1  # the signed-in socket is indexed by its user
        await ws.send_json(
            {"op": "subscribe", "channel": "candles", "symbol": "BTCUSDT", "duration": "1m"}
        )
        await ws.send_json({"op": "ping"})
        assert (await ws.receive_json())["type"] == "pong"
        await ws.close()
    for _ in range(50):
        if not hub.connections:
            break
        await client.get("/healthz")
    assert hub.connections == set()
    assert hub._by_user == {} and hub._by_channel == {}
