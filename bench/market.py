"""Market-data throughput: the trade writer into SQLite and PostgreSQL, the candle query,
the Binance client on loopback against the pure parser measured in the same run, and the
chart history: the simulator's (CPU only) and Binance's (REST klines from the fake server on
loopback, unthrottled, into SQLite), 1000 candles of each of the 8 durations.

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
from tests.fakes.binance_rest import FakeBinanceRest
from tests.fakes.binance_server import FakeBinanceServer
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.binance import BinanceFeed
from velox.feeds.binance_parse import parse_binance
from velox.feeds.klines import BinanceKlines
from velox.feeds.symbols import binance_symbols
from velox.market.candles import DURATIONS_MS
from velox.market.history import LiveCut
from velox.market.query import query_candles
from velox.market.rest_history import RestHistory
from velox.market.sim_history import simulated_candles
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

    async def sink(tick: FeedTick) -> bool:
        nonlocal received
        received += 1
        if received == len(texts):
            done.set()
        return True

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


def bench_sim_history() -> tuple[float, int]:
    """(seconds, candles) to generate one symbol's simulated history."""
    cut = LiveCut("BTCUSDT", "sim", T0 + 18_462_000, 9_500_000_000_000)
    start = time.perf_counter()
    candles = simulated_candles(cut, 1, tuple(DURATIONS_MS), 1000)
    return time.perf_counter() - start, len(candles)


async def bench_rest_history(url: str) -> tuple[float, int, int]:
    """(seconds, candles stored, requests) for one symbol's REST history from an empty store."""
    cut_ms = T0 + 18_462_000
    rest = FakeBinanceRest(now_ms=cut_ms + 10_000)
    await rest.start()
    store = open_store_for(url)
    await store.open()
    writer = TradeWriter(store, clock=ManualClock(T0))
    writer.start()
    klines = BinanceKlines(rest.url, SYMBOLS, requests_per_second=10_000)
    try:
        writer.offer(FeedTick("BTCUSDT", cut_ms, 9_500_000_000_000, 1, 1, cut_ms + 250))
        start = time.perf_counter()
        await RestHistory(klines, store, writer).fill(LiveCut("BTCUSDT", "", cut_ms, 1))
        seconds = time.perf_counter() - start
        stored = 0
        for duration in DURATIONS_MS:
            stored += len(await store.candles("BTCUSDT", duration, None, None, 2000))
        return seconds, stored, len(rest.requests)
    finally:
        await klines.close()
        await writer.stop()
        await store.close()
        await rest.stop()


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
    seconds, count = bench_sim_history()
    print("chart history, one symbol, 1000 candles x 8 durations:")
    print(f"  simulated (CPU, in a thread in the app): {count} candles in {seconds:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, count, requests = await bench_rest_history(f"sqlite:///{tmp}/history.db")
    print(
        f"  Binance REST, unthrottled, into SQLite: {count} candles, {requests} requests "
        f"in {seconds:.2f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
