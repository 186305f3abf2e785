"""Replay of Binance public trade CSVs: header or not, µs or ms, speed, malformed rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.feeds.helpers import Collector, running
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.messages import FeedParseError
from velox.feeds.replay import ReplayFeed, parse_trade_row, symbol_from_path

SPOT_US = (
    "4412345678,94850.01000000,0.00052000,49.32200520,1736812800122345,True,True\n"
    "4412345679,94850.02000000,0.01000000,948.50020000,1736812800123999,False,True\n"
)
FUTURES_MS = (
    "id,price,qty,quote_qty,time,is_buyer_maker\n"
    "5001,3301.55,1.234,4074.11270,1736812800122,true\n"
    "5002,3301.56,0.5,1650.78,1736812800500,false\n"
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


async def play(feed: ReplayFeed) -> list[FeedTick]:
    sink = Collector()
    async with running(feed, sink):
        await asyncio.wait_for(feed.finished.wait(), 5)
    return sink.ticks


async def test_spot_file_without_header_in_microseconds(tmp_path: Path) -> None:
    path = write(tmp_path, "BTCUSDT-trades-2025-01.csv", SPOT_US)
    ticks = await play(ReplayFeed(path, speed=0, clock=ManualClock(7)))
    assert ticks == [
        FeedTick("BTCUSDT", 7, 9_485_001_000_000, 52_000, 4412345678, 1736812800122,
                 source="replay"),
        FeedTick("BTCUSDT", 7, 9_485_002_000_000, 1_000_000, 4412345679, 1736812800123,
                 source="replay"),
    ]  # fmt: skip


async def test_futures_file_with_header_in_milliseconds(tmp_path: Path) -> None:
    path = write(tmp_path, "trades.csv", FUTURES_MS)
    ticks = await play(ReplayFeed(path, symbol="ETHUSDT", speed=0, clock=ManualClock(1)))
    assert [(t.trade_id, t.trade_price, t.trade_qty, t.exchange_ms) for t in ticks] == [
        (5001, 330_155_000_000, 123_400_000, 1736812800122),
        (5002, 330_156_000_000, 50_000_000, 1736812800500),
    ]


async def test_speed_spaces_ticks_by_trade_time(tmp_path: Path) -> None:
    """Trades 378 ms then 622 ms apart, at speed 10: waits of 37.8 ms, then 62 ms (due 100 ms
    after the first tick, less the 38 ms already passed), never the sum of the gaps."""
    text = FUTURES_MS + "5003,3301.57,0.1,330.157,1736812801122,true\n"
    path = write(tmp_path, "ETHUSDT-trades-2025-01.csv", text)
    clock = ManualClock(1_000)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(round(seconds * 1000))

    ticks = await play(ReplayFeed(path, speed=10, clock=clock, sleep=sleep))
    assert waits == [pytest.approx(0.0378), pytest.approx(0.062)]
    sent = [(t.trade_id, t.received_ms) for t in ticks]
    assert sent == [(5001, 1_000), (5002, 1_038), (5003, 1_100)]


async def test_malformed_rows_are_skipped(tmp_path: Path) -> None:
    bad = "x,1,1,1,1,True,True\n1,abc,1,1,1,True,True\n2,1,1,1\n\n"
    text = SPOT_US + bad + "3,1.5,2,3,99,true,true\n"
    path = write(tmp_path, "SOLUSDT-trades-2025-02.csv", text)
    feed = ReplayFeed(path, speed=0)
    ticks = await play(feed)
    assert [t.trade_id for t in ticks] == [4412345678, 4412345679, 3]
    assert feed.skipped == 3 and feed.simulated and ticks[0].symbol == "SOLUSDT"


def test_a_missing_file_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        ReplayFeed(tmp_path / "BTCUSDT-trades-2025-01.csv")


def test_symbol_from_file_name() -> None:
    assert symbol_from_path("/data/BTCUSDT-trades-2025-01.csv") == "BTCUSDT"
    assert symbol_from_path("SOLUSDT-trades-2024-12-31.csv") == "SOLUSDT"
    with pytest.raises(ValueError, match=r"name it like BTCUSDT-trades-2025-01\.csv"):
        symbol_from_path("trades.csv")
    # aggTrades rows have other columns: every row would be skipped, so refuse the file
    with pytest.raises(ValueError, match="aggTrades"):
        symbol_from_path("SOLUSDT-aggTrades-2024-12-31.csv")


@pytest.mark.parametrize(
    "row",
    [
        ["1", "1", "1", "1", "1", "maybe"],
        ["1", "1e3", "1", "1", "1", "True"],
        ["1", "1", "0", "1", "1", "True"],
        ["\u00b2", "1", "1", "1", "1", "True"],  # a digit to isdigit(), not to int()
    ],
)
def test_parse_trade_row_rejects(row: list[str]) -> None:
    with pytest.raises(FeedParseError):
        parse_trade_row(row, "BTCUSDT", 0)
