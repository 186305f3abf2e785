"""The REST klines client against the fake Binance REST server over real HTTP: paging, pacing,
Retry-After on 429/418, backoff on errors, and giving up without a warning in the log.

Waits go through a fake clock (``FakeTime``): the test sees each wait the client asked for,
exactly, without waiting it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator

import pytest

from tests.fakes.binance_rest import FakeBinanceRest, kline
from tests.ports import free_port
from velox.feeds.backoff import Backoff
from velox.feeds.klines import BinanceKlines, KlinesRejected, KlinesUnavailable
from velox.feeds.klines_parse import Kline

NOW = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC


class FakeTime:
    def __init__(self) -> None:
        self.now = 5_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
async def rest() -> AsyncIterator[FakeBinanceRest]:
    server = FakeBinanceRest(NOW)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def client(url: str, fake_time: FakeTime, **options: object) -> BinanceKlines:
    return BinanceKlines(
        url,
        ["BTCUSDT", "ETHUSDT"],
        backoff=Backoff(base_s=0.5, max_s=60.0, rng=random.Random(3)),
        sleep=fake_time.sleep,
        monotonic=fake_time,
        **options,  # type: ignore[arg-type]
    )


def expected(symbol: str, interval: str, times: range) -> list[Kline]:
    out = []
    for t in times:
        c = kline(symbol, interval, t)
        out.append(Kline(c.time, c.open, c.high, c.low, c.close, c.volume))
    return out


async def test_a_long_range_is_fetched_in_pages_of_1000_two_requests_a_second(
    rest: FakeBinanceRest, fake_time: FakeTime
) -> None:
    klines = client(rest.url, fake_time)
    start, end = NOW - 2_500_000, NOW - 1_000  # 2499 one-second klines
    try:
        rows = await klines.klines("BTCUSDT", "1s", start, end)
    finally:
        await klines.close()
    assert rows == expected("BTCUSDT", "1s", range(start, end, 1_000))
    assert rest.requests == [
        {"symbol": "BTCUSDT", "interval": "1s", "startTime": str(s), "endTime": str(end - 1),
         "limit": "1000"}
        for s in (start, start + 999_001, start + 1_999_001)
    ]  # fmt: skip
    assert fake_time.sleeps == [0.5, 0.5]  # the first request goes at once


async def test_429_waits_retry_after_before_any_request(
    rest: FakeBinanceRest, fake_time: FakeTime
) -> None:
    klines = client(rest.url, fake_time)
    rest.queue_reply(429, {"Retry-After": "7"})
    try:
        rows = await klines.klines("ETHUSDT", "1h", NOW - 3 * 3_600_000, NOW)
        assert fake_time.sleeps == [7.0]
        await klines.klines("ETHUSDT", "1h", NOW - 3_600_000, NOW)  # paced as usual after
    finally:
        await klines.close()
    assert rows == expected("ETHUSDT", "1h", range(NOW - 3 * 3_600_000, NOW, 3_600_000))
    assert len(rest.requests) == 3 and rest.requests[0] == rest.requests[1]
    assert fake_time.sleeps == [7.0, 0.5]


async def test_a_ban_longer_than_max_wait_gives_up_and_sends_nothing_until_it_ends(
    rest: FakeBinanceRest, fake_time: FakeTime
) -> None:
    klines = client(rest.url, fake_time, max_wait_s=120.0)
    rest.queue_reply(418, {"Retry-After": "300"})
    try:
        with pytest.raises(KlinesUnavailable, match="wait 300 s"):
            await klines.klines("BTCUSDT", "1d", NOW - 86_400_000, NOW)
        with pytest.raises(KlinesUnavailable):
            await klines.klines("BTCUSDT", "1m", NOW - 60_000, NOW)
        assert len(rest.requests) == 1
        fake_time.now += 181  # 119 s of the ban left: within max_wait_s, so it waits
        rows = await klines.klines("BTCUSDT", "1m", NOW - 60_000, NOW)
    finally:
        await klines.close()
    assert rows == expected("BTCUSDT", "1m", range(NOW - 60_000, NOW, 60_000))
    assert fake_time.sleeps == [119.0] and len(rest.requests) == 2


async def test_server_errors_back_off_then_succeed(
    rest: FakeBinanceRest, fake_time: FakeTime
) -> None:
    klines = client(rest.url, fake_time)
    rest.queue_reply(500)
    rest.queue_reply(503)
    try:
        rows = await klines.klines("BTCUSDT", "5m", NOW - 600_000, NOW)
    finally:
        await klines.close()
    assert rows == expected("BTCUSDT", "5m", range(NOW - 600_000, NOW, 300_000))
    first, second = fake_time.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0  # equal jitter, doubling
    assert len(rest.requests) == 3


async def test_offline_gives_up_after_the_attempts_without_logging_a_warning(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    klines = client(f"http://127.0.0.1:{free_port()}", fake_time, attempts=3)
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(KlinesUnavailable, match=r"ClientConnectorError.*3 attempts"):
            await klines.klines("BTCUSDT", "1m", NOW - 60_000, NOW)
    finally:
        await klines.close()
    assert klines.requests == 3 and len(fake_time.sleeps) == 2
    assert [r.levelno for r in caplog.records if r.name == "velox.feeds.klines"] == [
        logging.DEBUG
    ] * 3


async def test_refusals_are_not_retried(rest: FakeBinanceRest, fake_time: FakeTime) -> None:
    klines = client(rest.url, fake_time)
    try:
        with pytest.raises(KlinesRejected, match=r"HTTP 400.*-1120"):
            await klines.klines("BTCUSDT", "30s", NOW - 60_000, NOW)
        with pytest.raises(KlinesRejected, match="no Binance symbol for SOLUSDT"):
            await klines.klines("SOLUSDT", "1m", NOW - 60_000, NOW)
    finally:
        await klines.close()
    assert len(rest.requests) == 1 and fake_time.sleeps == []


async def test_an_empty_range_sends_nothing(rest: FakeBinanceRest, fake_time: FakeTime) -> None:
    klines = client(rest.url, fake_time)
    assert await klines.klines("BTCUSDT", "1m", NOW, NOW) == []
    assert rest.requests == []
