"""Market-data throughput: the trade writer into SQLite and PostgreSQL, the candle query,
and the Binance client on loopback against the pure parser measured in the same run.

    python bench/market.py [--trades 30000] [--messages 50000]

The loopback figure includes the fake server, which shares the one event loop and CPU with
the client, so the client/parser ratio is a lower bound on the client's own efficiency.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The repository instead of bench/ itself: bench/http.py would shadow the stdlib http.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

import orjson

from tests import pgscratch
from tests.fakes.binance_server import FakeBinanceServer
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.binance import BinanceFeed
from velox.feeds.binance_parse import parse_binance
from velox.feeds.symbols import binance_symbols
from velox.market.query import query_candles
from velox.market.writer import TradeWriter
from velox.store.factory import open_store_for

T0 = 1_736_812_800_000
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def trade_ticks(count: int) -> list[FeedTick]:
    """Trades 100 ms apart per symbol: enough 1s candles for a full 1000-candle page."""
    return [
        FeedTick(sym, T0, 9_500_000_000_000 + (i * 7919) % 10**8, 1000 + i % 97, i, T0 + i * 100)
        for i in range(count // len(SYMBOLS))
        for sym in SYMBOLS
    ]


async def bench_store(url: str, trades: int) -> tuple[float, float]:
    """(trades/s written with candles for all 8 durations, median ms for 1000 1s candles)."""
    store = open_store_for(url)
    await store.open()
    try:
        ticks = trade_ticks(trades)
        writer = TradeWriter(store, queue_size=len(ticks) + 1, clock=ManualClock(T0))
        for tick in ticks:
            writer.offer(tick)
        start = time.perf_counter()
        writer.start()
        while writer.written < len(ticks):
            await asyncio.sleep(0.001)
        rate = len(ticks) / (time.perf_counter() - start)
        await writer.stop()
        samples = []
        for _ in range(20):
            t = time.perf_counter()
            got = await query_candles(store, writer.aggregator, "BTCUSDT", "1s", None, None, 1000)
            samples.append((time.perf_counter() - t) * 1000)
            assert len(got) == 1000, len(got)
        return rate, statistics.median(samples)
    finally:
        await store.close()


def message(i: int) -> str:
    data = {
        "e": "trade", "E": T0 + i, "s": "BTCUSDT", "t": i, "p": f"{95000 + i % 1000}.12",
        "q": "0.00052000", "T": T0 + i, "m": i % 2 == 0, "M": True,
    }  # fmt: skip
    return orjson.dumps({"stream": "btcusdt@trade", "data": data}).decode()


def messages(count: int) -> list[str]:
    return [message(i) for i in range(count)]


def bench_parse(texts: list[str]) -> float:
    symbols = binance_symbols()
    start = time.perf_counter()
    for text in texts:
        parse_binance(orjson.loads(text), 0, symbols)
    return len(texts) / (time.perf_counter() - start)


async def bench_client(texts: list[str]) -> float:
    server = FakeBinanceServer()
    await server.start()
    feed = BinanceFeed(server.url, SYMBOLS)
    received = 0
    done = asyncio.Event()

    async def sink(tick: FeedTick) -> None:
        nonlocal received
        received += 1
        if received == len(texts):
            done.set()

    task = asyncio.create_task(feed.run(sink))
    try:
        await server.wait_connections(1)
        conn = server.connections[0]
        start = time.perf_counter()
        for text in texts:
            await conn.ws.send_str(text)
        await asyncio.wait_for(done.wait(), 120)
        return len(texts) / (time.perf_counter() - start)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trades", type=int, default=30_000)
    parser.add_argument("--messages", type=int, default=50_000)
    args = parser.parse_args()
    print(f"trade writer: {args.trades} trades, batches of 100, candles for 8 durations")
    print(f"{'store':<12} {'trades/s':>10} {'1000 candles ms':>16}")
    with tempfile.TemporaryDirectory() as tmp:
        rate, ms = await bench_store(f"sqlite:///{tmp}/bench.db", args.trades)
        print(f"{'sqlite':<12} {rate:>10,.0f} {ms:>16.2f}")
    pg = await pgscratch.create_schema_if_reachable("bench")
    if pg is None:
        print(f"{'postgresql':<12} unreachable at {pgscratch.PG_URL}: skipped")
    else:
        try:
            rate, ms = await bench_store(pg[0], args.trades)
            print(f"{'postgresql':<12} {rate:>10,.0f} {ms:>16.2f}")
        finally:
            await pgscratch.drop_schema(pg[1])
    texts = messages(args.messages)
    parse_rate = bench_parse(texts)
    client_rate = await bench_client(texts)
    print(f"binance trade messages: {args.messages}")
    print(f"  pure parse (orjson + parse_binance): {parse_rate:>10,.0f} ticks/s  (baseline)")
    print(f"  BinanceFeed over loopback websocket: {client_rate:>10,.0f} ticks/s")
    print(f"  client / pure parse = {client_rate / parse_rate:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
