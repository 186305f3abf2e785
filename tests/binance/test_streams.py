"""Binance market streams spoken by a plain websocket client, in Binance's message shapes;
and one Velox feeding another through them (``--feed binance --binance-url ws://<A>``)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from tests.binance.fakes import fed_client
from tests.binance.helpers import now_ms
from velox.config import Settings

STREAMS = "btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@markPrice@1s/btcusdt@kline_1m"


async def until(ws: aiohttp.ClientWebSocketResponse, stream: str, timeout: float = 5.0) -> Any:
    """The next combined-stream message of ``stream``, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive_json()
            if message.get("stream") == stream:
                return message["data"]


async def native_quote(client: TestClient[Any, Any], symbol: str) -> dict[str, Any]:
    assets = (await (await client.get("/api/v1/assets")).json())["assets"]
    quote: dict[str, Any] = next(a for a in assets if a["symbol"] == symbol)
    return quote


async def test_combined_streams_in_binance_shapes(aiohttp_client: Any, settings: Settings) -> None:
    client, feed = await fed_client(aiohttp_client, settings)
    ws = await client.ws_connect(f"/stream?streams={STREAMS}")
    ms = now_ms()
    feed.trade("BTCUSDT", 7001, "100000.5", "0.25", ms)

    trade = await until(ws, "btcusdt@trade")
    assert trade == {"e": "trade", "E": trade["E"], "s": "BTCUSDT", "t": 7001,
                     "p": "100000.50000000", "q": "0.25000000", "T": ms, "m": False,
                     "M": True}  # fmt: skip
    agg = await until(ws, "btcusdt@aggTrade")
    assert (agg["e"], agg["a"], agg["f"], agg["l"], agg["p"], agg["q"], agg["T"]) == (
        "aggTrade", 7001, 7001, 7001, "100000.50000000", "0.25000000", ms
    )  # fmt: skip
    book = await until(ws, "btcusdt@bookTicker")
    quote = await native_quote(client, "BTCUSDT")
    assert (book["e"], book["s"], book["b"], book["a"]) == (
        "bookTicker", "BTCUSDT", quote["bid"], quote["ask"]
    )  # fmt: skip
    assert isinstance(book["u"], int) and book["B"] == book["A"] == "1000000.00000000"
    mark = await until(ws, "btcusdt@markPrice@1s")
    assert (mark["e"], mark["p"], mark["r"]) == ("markPriceUpdate", "100000.50000000",
                                                 "0.00010000")  # fmt: skip
    kline = await until(ws, "btcusdt@kline_1m")  # after the writer's flush (<= 1 s)
    k = kline["k"]
    assert kline["e"] == "kline" and k["i"] == "1m" and k["t"] == ms - ms % 60_000
    assert (k["o"], k["h"], k["l"], k["c"], k["v"], k["x"]) == (
        "100000.50000000", "100000.50000000", "100000.50000000", "100000.50000000",
        "0.25000000", False,
    )  # fmt: skip

    feed.trade("BTCUSDT", 7002, "100001", "1", ms + 1)
    second = await until(ws, "btcusdt@trade")
    assert (second["t"], second["p"]) == (7002, "100001.00000000")
    later = await until(ws, "btcusdt@bookTicker")
    assert later["u"] > book["u"]  # update ids only grow
    await ws.close()


async def test_raw_stream_and_control_messages(aiohttp_client: Any, settings: Settings) -> None:
    client, feed = await fed_client(aiohttp_client, settings)
    ws = await client.ws_connect("/ws/ethusdt@bookTicker")
    feed.trade("ETHUSDT", 1, "3000", "2", now_ms())
    book = await ws.receive_json(timeout=5)
    assert book["e"] == "bookTicker" and book["s"] == "ETHUSDT"  # a raw payload, unwrapped
    await ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@trade"], "id": 1})
    await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 2})
    await ws.send_json({"method": "SUBSCRIBE", "params": ["dogeusdt@trade"], "id": 3})
    await ws.send_json({"method": "UNSUBSCRIBE", "params": ["ethusdt@bookTicker"], "id": 4})
    replies = []
    while len(replies) < 4:
        message = await ws.receive_json(timeout=5)
        if "id" in message:
            replies.append(message)
    assert replies[0] == {"result": None, "id": 1}
    assert replies[1] == {"result": ["ethusdt@bookTicker", "ethusdt@trade"], "id": 2}
    assert replies[2]["code"] == 2 and replies[2]["id"] == 3
    assert replies[3] == {"result": None, "id": 4}
    feed.trade("ETHUSDT", 2, "3001", "1", now_ms())
    trade = await ws.receive_json(timeout=5)
    assert (trade["e"], trade["t"]) == ("trade", 2)  # no bookTicker any more
    await ws.close()


async def test_unknown_streams_refuse_the_handshake(
    aiohttp_client: Any, settings: Settings
) -> None:
    client, _ = await fed_client(aiohttp_client, settings)
    for path in (
        "/ws/dogeusdt@trade",
        "/ws/btcusdt@depth7",
        "/stream?streams=btcusdt@trade/dogeusdt@trade",
        "/ws/BTCUSDT@trade",
    ):
        response = await client.get(path)
        assert response.status == 400, path
        assert (await response.json())["code"] == -1121


async def test_one_velox_feeds_another(
    aiohttp_client: Any, settings: Settings, tmp_path: Any
) -> None:
    upstream, feed = await fed_client(aiohttp_client, settings)
    base = str(upstream.make_url("")).rstrip("/").replace("http://", "ws://")
    second = settings.with_(data_dir=str(tmp_path / "b"), db=f"sqlite:///{tmp_path / 'b.db'}",
                            feed="binance", binance_url=base, history_candles=0)  # fmt: skip
    from tests.binance.fakes import FAST
    from velox.web.app import create_app

    downstream: TestClient[Any, Any] = await aiohttp_client(create_app(second, options=FAST))
    trade_id = 100
    quote: dict[str, Any] = {"bid": None}
    async with asyncio.timeout(15):
        while quote["bid"] is None:  # until B has connected and priced BTC
            trade_id += 1
            feed.trade("BTCUSDT", trade_id, "64000.25", "0.1", now_ms())
            await asyncio.sleep(0.1)
            quote = await native_quote(downstream, "BTCUSDT")
    upstream_quote = await native_quote(upstream, "BTCUSDT")
    assert (quote["bid"], quote["ask"]) == (upstream_quote["bid"], upstream_quote["ask"])
    assert (quote["bid"], quote["ask"]) == ("63968.24987500", "64032.25012500")
    feed.trade("BTCUSDT", trade_id + 1, "65000", "0.1", now_ms())
    async with asyncio.timeout(10):
        while quote["bid"] != "64967.50000000":
            await asyncio.sleep(0.05)
            quote = await native_quote(downstream, "BTCUSDT")
    health = await (await downstream.get("/healthz")).json()
    assert health["feed"]["name"] == "binance" and health["feed"]["simulated"] is False
