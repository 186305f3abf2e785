"""Binance's intervals Velox does not store (3m, 30m, 2h, 6h, 8h, 12h, 3d, 1w, 1M): REST klines
and kline streams folded from the stored durations, in Binance's buckets.

Bots written for Binance ask for these (ccxt lists them all for binanceusdm) and Velox
answered -1120 "Invalid interval." to every one. Expected figures are worked out here by hand
from the candles each test stores, with calendar dates written out, not with the code's own
bucket arithmetic.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from tests.binance.fakes import fed_client
from tests.binance.helpers import now_ms
from tests.web.conftest import MakeClient
from velox.binance.streams.derived import DerivedKlines
from velox.clock import ManualClock
from velox.config import Settings
from velox.market.intervals import bucket_start, next_start
from velox.market.query import paged_candles
from velox.money import units
from velox.store.records import CandleRecord
from velox.web.keys import STORE
from velox.web.options import WebOptions

HOUR = 3_600_000
DAY = 24 * HOUR
START = 1_736_812_800_000  # 2025-01-14 00:00 UTC (a Tuesday)


def ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=UTC).timestamp() * 1000)


def hourly(n: int) -> list[CandleRecord]:
    """Hour i: open 3000+i, high 3010+2i, low 2990-i, close 3005+i, volume 1.25."""
    return [
        CandleRecord("ETHUSDT", "1h", START + i * HOUR, units(str(3000 + i)),
                     units(str(3010 + 2 * i)), units(str(2990 - i)), units(str(3005 + i)),
                     units("1.25"))
        for i in range(n)
    ]  # fmt: skip


def daily(first: int, days: int) -> list[CandleRecord]:
    """Day i: open 100+i, high 200+i, low 50-i/10 (never below 0), close 101+i, volume 2."""
    return [
        CandleRecord("BTCUSDT", "1d", first + i * DAY, units(str(100 + i)), units(str(200 + i)),
                     units(str(max(0, 50 - i // 10))), units(str(101 + i)), units("2"))
        for i in range(days)
    ]  # fmt: skip


async def velox_with(make_client: MakeClient, rows: list[CandleRecord]) -> TestClient[Any, Any]:
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=ManualClock(START)))
    await client.app[STORE].put_candles(rows)
    return client


async def klines(client: TestClient[Any, Any], query: str) -> list[list[Any]]:
    response = await client.get(f"/fapi/v1/klines?{query}")
    body = await response.json()
    assert response.status == 200, body
    return body  # type: ignore[no-any-return]


def quote_estimate(h: Any, lo: Any, c: Any, v: Any) -> str:
    """The quote volume Velox estimates for a candle: its volume at (high + low + close) / 3,
    each step floored to 10^-8 (worked in Decimal, not with Velox's integers)."""
    unit = Decimal("0.00000001")
    typical = ((Decimal(h) + Decimal(lo) + Decimal(c)) / 3).quantize(unit, ROUND_FLOOR)
    return f"{(typical * Decimal(v)).quantize(unit, ROUND_FLOOR):.8f}"


def row(t: int, close_t: int, o: int, h: int, lo: int, c: int, v: str) -> list[Any]:
    return [t, f"{o}.00000000", f"{h}.00000000", f"{lo}.00000000", f"{c}.00000000",
            v, close_t, quote_estimate(h, lo, c, v), 0, "0.00000000", "0.00000000",
            "0"]  # fmt: skip


async def test_two_and_six_hour_klines_fold_the_hours(make_client: MakeClient) -> None:
    client = await velox_with(make_client, hourly(31))
    two = await klines(client, f"symbol=ETHUSDT&interval=2h&startTime={START}&limit=3")
    # bucket k holds hours 2k and 2k+1
    assert two == [
        row(START + 2 * k * HOUR, START + (2 * k + 2) * HOUR - 1, 3000 + 2 * k, 3012 + 4 * k,
            2989 - 2 * k, 3006 + 2 * k, "2.50000000")
        for k in range(3)
    ]  # fmt: skip
    six = await klines(client, "symbol=ETHUSDT&interval=6h&limit=2")  # the newest two
    # hours 24-29 whole, then hour 30 alone (the forming bucket)
    assert six == [
        row(START + 24 * HOUR, START + 30 * HOUR - 1, 3024, 3068, 2961, 3034, "7.50000000"),
        row(START + 30 * HOUR, START + 36 * HOUR - 1, 3030, 3070, 2960, 3035, "1.25000000"),
    ]
    # a start inside a bucket begins at the next whole one; an end inside one keeps it whole
    later = await klines(
        client, f"symbol=ETHUSDT&interval=2h&startTime={START + 1}&endTime={START + 4 * HOUR}"
    )
    assert [k[0] for k in later] == [START + 2 * HOUR, START + 4 * HOUR]
    assert later[-1][5] == "2.50000000"  # hours 4 and 5, though the end is hour 4's start


async def test_weeks_start_on_monday_and_months_on_the_first(make_client: MakeClient) -> None:
    client = await velox_with(make_client, daily(ms(2024, 1, 1), 91))  # Jan 1 to Mar 31, 2024
    months = await klines(client, f"symbol=BTCUSDT&interval=1M&startTime={ms(2024, 1, 1)}")
    assert months == [
        # January: days 0-30; February (a leap year): days 31-59; March: days 60-90
        row(ms(2024, 1, 1), ms(2024, 2, 1) - 1, 100, 230, 47, 131, "62.00000000"),
        row(ms(2024, 2, 1), ms(2024, 3, 1) - 1, 131, 259, 45, 160, "58.00000000"),
        row(ms(2024, 3, 1), ms(2024, 4, 1) - 1, 160, 290, 41, 191, "62.00000000"),
    ]
    weeks = await klines(client, f"symbol=BTCUSDT&interval=1w&startTime={ms(2024, 1, 2)}&limit=2")
    # 2024-01-01 was a Monday: a start on the Tuesday begins with the week of Monday the 8th
    assert weeks == [
        row(ms(2024, 1, 8), ms(2024, 1, 15) - 1, 107, 213, 49, 114, "14.00000000"),
        row(ms(2024, 1, 15), ms(2024, 1, 22) - 1, 114, 220, 48, 121, "14.00000000"),
    ]
    three = await klines(client, "symbol=BTCUSDT&interval=3d&limit=1")
    # 3-day buckets count from the epoch: 2024-03-30 is day 19812 = 3 x 6604, so the last
    # bucket began on the 30th and holds the 30th and the 31st (days 89 and 90)
    assert three == [row(ms(2024, 3, 30), ms(2024, 4, 2) - 1, 189, 290, 41, 191, "4.00000000")]


async def test_pages_of_the_base_duration(make_client: MakeClient) -> None:
    """1,500 days need two pages of the store's 1,000 candles, forward and backward."""
    first = ms(2020, 1, 1)
    client = await velox_with(make_client, daily(first, 1500))  # to 2024-02-08
    newest = await klines(client, "symbol=BTCUSDT&interval=1M&limit=49")
    assert len(newest) == 49
    assert newest[0][0] == ms(2020, 2, 1) and newest[0][5] == "58.00000000"  # 29 days
    assert newest[1][0] == ms(2020, 3, 1) and newest[1][5] == "62.00000000"
    assert newest[-1][0] == ms(2024, 2, 1) and newest[-1][5] == "16.00000000"  # Feb 1-8
    forward = await klines(client, f"symbol=BTCUSDT&interval=1M&startTime={first}&limit=40")
    assert len(forward) == 40 and forward[0][0] == first and forward[-1][0] == ms(2023, 4, 1)
    assert forward[1][5] == "58.00000000"  # February 2020: 29 days
    assert forward[-1][1] == f"{100 + (ms(2023, 4, 1) - first) // DAY}.00000000"


@pytest.mark.parametrize("interval", ["3m", "30m", "2h", "6h", "8h", "12h", "3d", "1w", "1M"])
async def test_every_binance_interval_is_served(make_client: MakeClient, interval: str) -> None:
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=ManualClock(START)))
    assert await klines(client, f"symbol=BTCUSDT&interval={interval}") == []
    spot = await client.get(f"/api/v3/klines?symbol=BTCUSDT&interval={interval}")
    assert spot.status == 200 and await spot.json() == []


async def until_kline(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            message = await ws.receive_json()
            if message.get("e") == "kline":
                return message["k"]


async def test_a_three_minute_stream_includes_what_came_before_it(
    aiohttp_client: Any, settings: Settings
) -> None:
    """Subscribed in a bucket's second minute, the stream's kline still opens with the
    bucket's first minute (read from the store), then closes with all three."""
    client, feed = await fed_client(aiohttp_client, settings)
    now = now_ms()
    bucket = now - 600_000 - (now - 600_000) % 180_000  # a 3-minute bucket ten minutes ago
    first_minute = CandleRecord("BTCUSDT", "1m", bucket, units("100"), units("120"),
                                units("90"), units("110"), units("3"))  # fmt: skip
    await client.app[STORE].put_candles([first_minute])
    ws = await client.ws_connect("/ws/btcusdt@kline_3m")
    await asyncio.sleep(0.1)  # subscribed before the trade arrives

    feed.trade("BTCUSDT", 1, "105", "1", bucket + 60_000 + 5)
    k = await until_kline(ws)
    assert (k["t"], k["T"], k["i"], k["x"]) == (bucket, bucket + 180_000 - 1, "3m", False)
    assert (k["o"], k["h"], k["l"], k["c"], k["v"]) == (
        "100.00000000", "120.00000000", "90.00000000", "105.00000000", "4.00000000"
    )  # fmt: skip

    feed.trade("BTCUSDT", 2, "130", "2", bucket + 120_000 + 5)  # the third minute
    k = await until_kline(ws)
    assert (k["h"], k["c"], k["v"], k["x"]) == ("130.00000000", "130.00000000", "6.00000000",
                                                False)  # fmt: skip
    feed.trade("BTCUSDT", 3, "80", "1", bucket + 180_000 + 5)  # the next bucket
    closed = await until_kline(ws)
    assert (closed["t"], closed["x"], closed["o"], closed["l"], closed["c"], closed["v"]) == (
        bucket, True, "100.00000000", "90.00000000", "130.00000000", "6.00000000"
    )  # fmt: skip
    opened = await until_kline(ws)
    assert (opened["t"], opened["o"], opened["v"], opened["x"]) == (
        bucket + 180_000, "80.00000000", "1.00000000", False
    )  # fmt: skip
    await ws.close()


async def test_a_stream_nobody_hears_is_read_again_when_heard() -> None:
    """Minutes that pass while no one listens are not lost: the next subscriber's bucket is
    read from the store again, not continued from the minute last seen."""
    stored: list[CandleRecord] = []
    sent: list[tuple[str, CandleRecord, bool]] = []
    listening = {"btcusdt@kline_3m"}

    async def store(symbol: str, duration: str, start: int | None, end: int | None,
                    limit: int) -> list[CandleRecord]:  # fmt: skip
        assert start is not None and end is not None
        return [c for c in stored if c.duration == duration and start <= c.time <= end]

    def minute(t: int, price: str, qty: str) -> CandleRecord:
        p = units(price)
        return CandleRecord("BTCUSDT", "1m", t, p, p, p, p, units(qty))

    derived = DerivedKlines(lambda s: s in listening, lambda *m: sent.append(m))
    derived.attach(store)
    bucket = 180_000 * 1000
    derived.on_candle(minute(bucket, "100", "1"))  # heard from the start: sent at once
    assert [(c.open, c.volume) for _, c, _ in sent] == [(units("100"), units("1"))]
    listening.clear()
    stored.append(minute(bucket, "100", "1"))
    stored.append(minute(bucket + 60_000, "90", "2"))
    derived.on_candle(minute(bucket + 60_000, "90", "2"))  # nobody listens
    listening.add("btcusdt@kline_3m")
    derived.on_candle(minute(bucket + 120_000, "110", "4"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    _, last, closed = sent[-1]
    assert (last.time, last.open, last.low, last.close, last.volume, closed) == (
        bucket, units("100"), units("90"), units("110"), units("7"), False
    )  # fmt: skip
    await derived.close()


async def test_up_to_1500_klines_as_binance_futures_answers(make_client: MakeClient) -> None:
    """Binance USDⓈ-M answers up to 1,500 klines a request; Velox cut every answer at 1,000
    (the store's page), so a bot asking 1,500 from a start skipped 500 (an outside review)."""
    rows = [CandleRecord("BTCUSDT", "1m", START + i * 60_000, units("1"), units("2"),
                         units("1"), units("2"), units(str(i + 1)))
            for i in range(1600)]  # fmt: skip
    client = await velox_with(make_client, rows)
    forward = await klines(client, f"symbol=BTCUSDT&interval=1m&startTime={START}&limit=1500")
    assert [k[0] for k in forward] == [START + i * 60_000 for i in range(1500)]
    newest = await klines(client, "symbol=BTCUSDT&interval=1m&limit=1500")
    assert [k[5] for k in newest] == [f"{i + 1}.00000000" for i in range(100, 1600)]
    assert len(await klines(client, "symbol=BTCUSDT&interval=1m")) == 500  # the default


def test_month_starts_agree_with_the_calendar_and_go_past_year_9999() -> None:
    """The month arithmetic against Python's calendar (an independent oracle), and past the
    year 9999 where ``datetime`` stops: a request may name times up to 10^15 ms (1M klines
    from 9999-12-01 on were a 500: an outside read)."""
    for year in (1969, 1970, 2000, 2024, 2100, 9998):
        for month in range(1, 13):
            first = ms(year, month, 1)
            last = ms(year + (month == 12), month % 12 + 1, 1) - 1
            for t in (first, first + 12 * HOUR, last):
                assert bucket_start("1M", t) == first, (year, month)
            assert next_start("1M", first) == last + 1
    assert bucket_start("1M", ms(9999, 12, 31)) == ms(9999, 12, 1)
    assert next_start("1M", ms(9999, 12, 1)) == 253_402_300_800_000  # 10000-01-01
    assert bucket_start("1M", 10**15) == 999_997_747_200_000  # 33658-09-01
    assert next_start("1M", 999_997_747_200_000) == 1_000_000_339_200_000  # 33658-10-01


async def test_far_future_windows_answer_no_klines(make_client: MakeClient) -> None:
    client = await velox_with(make_client, daily(ms(2024, 1, 1), 3))
    for query in ("endTime=999999999999999", "startTime=253399622400000",
                  "startTime=999999999999999"):  # fmt: skip
        assert await klines(client, f"symbol=BTCUSDT&interval=1M&{query}") == (
            [] if "start" in query else await klines(client, "symbol=BTCUSDT&interval=1M")
        )


async def test_pages_read_only_what_the_request_needs() -> None:
    """A limit of 1,000 on a stored interval is one page (it read a second one), five are a
    page of five, 1,500 are two pages; a derived interval reads one bucket more."""
    stored = [CandleRecord("BTCUSDT", "1m", START + i * 60_000, 1, 1, 1, 1, 1)
              for i in range(2500)]  # fmt: skip
    reads: list[int] = []

    async def store(symbol: str, duration: str, start: int | None, end: int | None,
                    limit: int) -> list[CandleRecord]:  # fmt: skip
        reads.append(limit)
        rows = [
            c
            for c in stored
            if (start is None or c.time >= start) and (end is None or c.time <= end)
        ][:: 1 if start is not None else -1]
        return sorted(rows[:min(limit, 1000)], key=lambda c: c.time)  # fmt: skip

    for interval, limit, pages in (("1m", 1000, [1000]), ("1m", 5, [5]),
                                   ("1m", 1500, [1000, 1000]), ("3m", 10, [33])):  # fmt: skip
        reads.clear()
        got = await paged_candles(store, "BTCUSDT", interval, None, None, limit)
        assert (len(got), reads) == (limit, pages), interval
