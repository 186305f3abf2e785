"""Replay of Binance public trade CSVs: header or not, µs or ms, speed, malformed rows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.feeds.helpers import Collector, running
from velox.clock import ManualClock
from velox.feeds.base import FeedTick
from velox.feeds.messages import FeedParseError
from velox.feeds.replay import MAX_JUMP_MS, ReplayFeed, parse_trade_row, symbol_from_path

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


def sleeper(clock: ManualClock) -> tuple[list[float], Callable[[float], Awaitable[None]]]:
    """A feed's ``sleep`` that records each wait and lets ``clock`` run through it."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(round(seconds * 1000))

    return waits, sleep


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
    waits, sleep = sleeper(clock)

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


async def test_a_row_that_is_not_utf8_is_skipped_alone(tmp_path: Path) -> None:
    """One byte 0xff in a row made the whole file undecodable (UnicodeDecodeError at every
    restart of the feed, a crash loop); now that row alone is a malformed row."""
    path = tmp_path / "BTCUSDT-trades-2025-01.csv"
    bad = b"4412345680,94850.03\xff,0.01,948.5,1736812800124000,False,True\n"
    path.write_bytes(
        SPOT_US.encode() + bad + b"4412345681,94850.04,0.01,948.5,1736812800125000,false\n"
    )
    feed = ReplayFeed(path, speed=0)
    ticks = await play(feed)
    assert [t.trade_id for t in ticks] == [4412345678, 4412345679, 4412345681]
    assert feed.skipped == 1


async def test_trade_ids_beyond_int64_are_malformed_rows(tmp_path: Path) -> None:
    """An id a store's integer column cannot hold (SQLite raised OverflowError and dropped
    the writer's whole batch) is a malformed row; 2**63 - 1 is an id."""
    text = (
        f"{2**63},1,1,1,1736812800122,true\n"
        f"{2**63 - 1},1,1,1,1736812800123,true\n"
        f"1,1,1,1,{2**63},true\n"
    )
    feed = ReplayFeed(write(tmp_path, "BTCUSDT-trades-2025-01.csv", text), speed=0)
    ticks = await play(feed)
    assert [t.trade_id for t in ticks] == [2**63 - 1] and feed.skipped == 2


async def test_a_row_far_from_the_one_before_is_not_waited_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The reviewer's s13: a first row dated 1970 (time=1000), the rest today, at speed 1000:
    the replay waited (today - 1970) / 1000, 20 days, before the second row. Now a jump of
    more than an hour either way plays the row at once and times the next ones from it."""
    today = 1_796_558_120_834
    text = f"1,1,1,1,1000,true\n2,1,1,1,{today},true\n3,1,1,1,{today + 500},true\n"
    clock = ManualClock(5_000)
    waits, sleep = sleeper(clock)

    path = write(tmp_path, "BTCUSDT-trades-oldrow.csv", text)
    ticks = await play(ReplayFeed(path, speed=1000, clock=clock, sleep=sleep))
    assert [t.trade_id for t in ticks] == [1, 2, 3]
    assert waits == [pytest.approx(0.0005)]  # only 3's 500 ms, at speed 1000
    assert "jumps" in caplog.text


async def test_an_hour_between_rows_is_still_waited(tmp_path: Path) -> None:
    """Up to MAX_JUMP_MS the gap is replayed as it was (here at speed 60: a minute)."""
    text = f"1,1,1,1,{10**12},true\n2,1,1,1,{10**12 + MAX_JUMP_MS},true\n"
    clock = ManualClock(5_000)
    waits, sleep = sleeper(clock)

    path = write(tmp_path, "BTCUSDT-trades-2025-01.csv", text)
    await play(ReplayFeed(path, speed=60, clock=clock, sleep=sleep))
    assert waits == [pytest.approx(60.0)]


async def test_the_count_of_malformed_rows_is_logged_when_the_file_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """8 malformed rows gave one line and no count."""
    text = SPOT_US + "x,1\n" * 8
    path = write(tmp_path, "BTCUSDT-trades-2025-01.csv", text)
    await play(ReplayFeed(path, speed=0))
    bad = [m for m in caplog.messages if "malformed" in m]
    assert len(bad) == 2 and bad[1].endswith("(and 6 more since last report)")


async def test_only_a_tick_that_priced_the_engine_makes_its_symbol_fresh(tmp_path: Path) -> None:
    """/healthz read a replayed symbol as fresh even when the sink had dropped its ticks."""
    path = write(tmp_path, "ETHUSDT-trades-2025-01.csv", FUTURES_MS)
    for priced, fresh in ((False, {}), (True, {"ETHUSDT": 1})):
        feed = ReplayFeed(path, symbol="ETHUSDT", speed=0, clock=ManualClock(1))

        async def sink(tick: FeedTick, priced: bool = priced) -> bool:
            return priced

        async with running(feed, sink):
            await asyncio.wait_for(feed.finished.wait(), 5)
        assert feed.last_tick_ms == fresh
