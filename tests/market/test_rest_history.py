"""RestHistory over real HTTP (the fake Binance REST server) into SQLite and PostgreSQL:
every duration's history and boundary, idempotence, and the gap after an outage.

Expected candles are written out from the fake's formula with plain arithmetic (``stored``),
not with Velox's folding.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.fakes.binance_rest import FakeBinanceRest, stored, with_trades
from tests.feeds.helpers import wait_until
from velox.feeds.base import FeedTick
from velox.feeds.klines import BinanceKlines
from velox.market.candles import DURATIONS_MS, CandleAggregator
from velox.market.history import LiveCut
from velox.market.provenance import invented_key, parse_marks
from velox.market.rest_history import RestHistory
from velox.market.sim_history import SimulatedHistory
from velox.market.writer import TradeWriter
from velox.money import units
from velox.store.base import Store
from velox.store.records import CandleRecord

DAY = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC
CUT = DAY + 5 * 3_600_000 + 7 * 60_000 + 42_000  # 05:07:42
PRICE, QTY = units("95010.5"), units("0.25")


class Live:
    """A started writer fed Binance trades; ``session`` sends one on a new connection."""

    def __init__(self, store: Store) -> None:
        self.writer = TradeWriter(store, CandleAggregator(), flush_interval_s=0.01)
        self.cuts: list[LiveCut] = []
        self.writer.on_session = self.cuts.append
        self.ids = 0

    async def trade(self, ts: int, connection: int, symbol: str = "BTCUSDT") -> LiveCut:
        self.ids += 1
        tick = FeedTick(symbol, ts, PRICE, QTY, self.ids, ts, source="binance",
                        connection=connection)  # fmt: skip
        self.writer.offer(tick)
        await wait_until(lambda: self.writer.processed == self.ids)
        return self.cuts[-1]


@pytest.fixture
async def live(store: Store) -> AsyncIterator[Live]:
    feed = Live(store)
    feed.writer.start()
    yield feed
    await feed.writer.stop()


def history(rest: FakeBinanceRest, store: Store, live: Live, count: int) -> RestHistory:
    klines = BinanceKlines(rest.url, ["BTCUSDT", "ETHUSDT"], requests_per_second=1000)
    return RestHistory(klines, store, live.writer, count=count)


async def restarted_with_binance(
    rest: FakeBinanceRest, store: Store, live: Live, count: int
) -> None:
    """Velox started again with Binance up: ``live``'s writer runs, a trade at CUT opens a
    session, its history (``count`` candles) is filled, and the writer stops."""
    live.writer.start()
    try:
        source = history(rest, store, live, count=count)
        await source.fill(await live.trade(CUT + 250, connection=1))
        await source.close()
    finally:
        await live.writer.stop()


async def test_every_duration_gets_its_history_and_a_boundary_with_the_live_trade(
    rest: FakeBinanceRest, store: Store, live: Live
) -> None:
    cut = await live.trade(CUT + 250, connection=1)
    assert cut == LiveCut("BTCUSDT", "binance", CUT, PRICE)
    source = history(rest, store, live, count=3)
    await source.fill(cut)
    await source.close()
    for duration, size in DURATIONS_MS.items():
        start = CUT - CUT % size
        rows = await store.candles("BTCUSDT", duration, None, None, 10)
        expected = [
            stored("BTCUSDT", duration, t, t + size) for t in range(start - 3 * size, start, size)
        ]
        if start < CUT:
            expected.append(with_trades(stored("BTCUSDT", duration, start, CUT), (PRICE, QTY)))
        else:  # 1s: the cut's second holds the live trade only
            expected.append(CandleRecord("BTCUSDT", "1s", CUT, PRICE, PRICE, PRICE, PRICE, QTY))
        assert rows == expected, duration
    day = await store.candles("BTCUSDT", "1d", DAY, DAY, 1)
    assert day[0].volume == units("184.62") + QTY  # 0.01 a second since 00:00, and the trade
    assert rest.served("BTCUSDT", "30s") == []  # no such interval: 30s is made of 1s klines
    assert len(rest.requests) == 8  # 1m+1s prefixes, 5m..1d, the 1s behind 30s; 1m/1s reused


async def test_filling_again_changes_nothing(
    rest: FakeBinanceRest, store: Store, live: Live
) -> None:
    cut = await live.trade(CUT + 250, connection=1)
    source = history(rest, store, live, count=3)
    await source.fill(cut)
    before = {d: await store.candles("BTCUSDT", d, None, None, 100) for d in DURATIONS_MS}
    await source.fill(cut)
    await source.close()
    after = {d: await store.candles("BTCUSDT", d, None, None, 100) for d in DURATIONS_MS}
    assert after == before


async def test_after_an_outage_the_gap_is_filled_from_the_newest_stored_candle(
    rest: FakeBinanceRest, store: Store, live: Live
) -> None:
    source = history(rest, store, live, count=30)  # 30 candles: the gap is 25 minutes
    await source.fill(await live.trade(CUT + 250, connection=1))
    await live.trade(CUT + 30_000, connection=1)  # 05:08:12, then the feed drops
    later = CUT + 25 * 60_000  # 05:32:42: it reconnects
    rest.now_ms = later + 5_000
    await source.fill(await live.trade(later + 400, connection=2))
    await source.close()
    minutes = await store.candles("BTCUSDT", "1m", None, None, 100)
    first = CUT - CUT % 60_000 - 30 * 60_000  # 04:37, the first fill's history
    boundary = later - later % 60_000  # 05:32
    assert [m.time for m in minutes] == list(range(first, boundary + 1, 60_000))
    cut_minute = CUT - CUT % 60_000  # 05:07: the first boundary, live from the first cut on
    assert minutes[30] == with_trades(stored("BTCUSDT", "1m", cut_minute, CUT), (PRICE, QTY))
    fetched = [*range(first, cut_minute, 60_000), *range(cut_minute + 60_000, boundary, 60_000)]
    assert minutes[:30] + minutes[31:-1] == [
        stored("BTCUSDT", "1m", t, t + 60_000) for t in fetched
    ]  # 05:08 (the newest stored, partial: one live trade before the outage) fetched again
    assert minutes[-1] == with_trades(stored("BTCUSDT", "1m", boundary, later), (PRICE, QTY))
    day = await store.candles("BTCUSDT", "1d", DAY, DAY, 1)
    assert day == [with_trades(stored("BTCUSDT", "1d", DAY, later), (PRICE, QTY))]


async def test_candles_the_simulator_invented_are_replaced_by_the_exchange_s_after_a_restart(
    rest: FakeBinanceRest, store: Store
) -> None:
    """Regression (``--feed auto``): Binance unreachable, the simulator wrote seeded history and
    live candles; when Binance came up, the backfill fetched only from the newest stored
    candle, so the invented past stayed in front of real prices. Now every candle from the
    first invented one to the boundary is the exchange's (or gone), across a restart."""
    sim_cut = CUT - 10 * 60_000  # 04:57:42: the simulator's session
    first = Live(store)
    first.writer.start()
    for i in range(3):
        ts = sim_cut + 250 + i * 60_000
        first.writer.offer(FeedTick("BTCUSDT", ts, PRICE, QTY, 10**15 + i, ts, source="sim"))
    await wait_until(lambda: first.writer.processed == 3)
    seeded = SimulatedHistory(store, first.writer, seed=1, durations=("1m",), count=5)
    await seeded.fill(LiveCut("BTCUSDT", "sim", sim_cut, PRICE))
    await first.writer.stop()  # Velox restarts; Binance is up now
    assert len(await store.candles("BTCUSDT", "1m", None, None, 100)) == 8  # 04:52..04:59

    await restarted_with_binance(rest, store, Live(store), count=3)
    minute = CUT - CUT % 60_000
    assert await store.candles("BTCUSDT", "1m", None, None, 100) == [
        *(stored("BTCUSDT", "1m", t, t + 60_000) for t in range(minute - 180_000, minute, 60_000)),
        with_trades(stored("BTCUSDT", "1m", minute, CUT), (PRICE, QTY)),
    ]
    marks = await store.get_meta(invented_key("BTCUSDT"))
    assert parse_marks(marks) == {}  # replaced: a restart leaves them
