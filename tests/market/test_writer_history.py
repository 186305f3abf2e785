"""History meets live candles in the trade writer: cuts, the boundary join, replace semantics.

The store here is the in-memory MemStore (same merge and replace rules as both databases,
checked in tests/store/); the whole path over SQLite and PostgreSQL is in
test_rest_history.py and test_history_app.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from tests.feeds.helpers import wait_until
from tests.market.memstore import MemStore
from velox.feeds.base import FeedTick
from velox.market.candles import CandleAggregator
from velox.market.history import LiveCut
from velox.market.query import query_candles
from velox.market.writer import TradeWriter
from velox.store.records import CandleRecord

DAY = 1_736_812_800_000  # 2025-01-14 00:00:00 UTC
CUT = DAY + 5 * 3_600_000 + 7 * 60_000 + 42_000  # 05:07:42
M307 = DAY + 307 * 60_000  # the cut's minute
M306 = M307 - 60_000


def trade(
    tid: int, price: int, qty: int, ts: int, *, connection: int = 1, source: str = "binance",
    symbol: str = "BTCUSDT",
) -> FeedTick:  # fmt: skip
    return FeedTick(
        symbol, ts, trade_price=price, trade_qty=qty, trade_id=tid, exchange_ms=ts,
        source=source, connection=connection,
    )  # fmt: skip


def c(duration: str, time: int, o: int, h: int, lo: int, cl: int, v: int) -> CandleRecord:
    return CandleRecord("BTCUSDT", duration, time, o, h, lo, cl, v)


@pytest.fixture
def store() -> MemStore:
    return MemStore()


def writer(
    store: MemStore, *durations: str, **options: object
) -> tuple[TradeWriter, list[LiveCut]]:
    cuts: list[LiveCut] = []
    w = TradeWriter(store.as_store(), CandleAggregator(durations), **options)  # type: ignore[arg-type]
    w.on_session = cuts.append
    return w, cuts


async def test_a_new_source_or_connection_starts_a_session_per_symbol(store: MemStore) -> None:
    w, cuts = writer(store, "1m")
    w.offer(trade(1, 100, 1, CUT + 500))
    w.offer(trade(2, 101, 1, CUT + 1500))  # same connection: no new cut
    w.offer(trade(1, 50, 1, CUT + 2300, symbol="ETHUSDT"))
    w.offer(FeedTick("BTCUSDT", CUT, bid=1, ask=2, source="binance", connection=2))  # no trade
    w.offer(trade(3, 102, 1, CUT + 9_999, connection=2))  # reconnected
    w.offer(trade(9, 103, 1, CUT + 20_000, source="sim", connection=2))
    assert cuts == [
        LiveCut("BTCUSDT", "binance", CUT, 100),
        LiveCut("ETHUSDT", "binance", CUT + 2000, 50),
        LiveCut("BTCUSDT", "binance", CUT + 9000, 102),
        LiveCut("BTCUSDT", "sim", CUT + 20_000, 103),
    ]
    assert w.aggregator.cut_of("BTCUSDT") == CUT + 20_000


async def test_the_boundary_candle_is_the_prefix_then_every_live_trade(store: MemStore) -> None:
    seen: list[CandleRecord] = []
    w, cuts = writer(store, "1m", "1d", on_candle=seen.append)
    w.offer(trade(1, 100, 2, CUT + 500))
    w.offer(trade(2, 130, 3, CUT + 900))
    await w.flush()
    history = [
        c("1m", M306, 91, 92, 90, 91, 60),
        c("1m", M307, 94, 96, 93, 95, 42),  # prefix: 05:07:00 .. 05:07:42
        c("1d", DAY, 90, 120, 80, 95, 18_462),  # prefix: 00:00 .. 05:07:42
    ]
    assert await w.put_history(cuts[0], history) == 3
    boundary_1m, boundary_1d = (
        c("1m", M307, 94, 130, 93, 130, 47),
        c("1d", DAY, 90, 130, 80, 130, 18_467),
    )
    assert seen[-2:] == [boundary_1m, boundary_1d]  # pushed to the charts
    assert await w.put_history(cuts[0], history) == 3  # again: nothing doubles
    assert store.rows == {
        ("BTCUSDT", "1m", M306): history[0],
        ("BTCUSDT", "1m", M307): boundary_1m,
        ("BTCUSDT", "1d", DAY): boundary_1d,
    }
    w.offer(trade(3, 70, 1, CUT + 1_500))  # later live trades merge on top as usual
    await w.flush()
    day = c("1d", DAY, 90, 130, 70, 70, 18_468)
    assert store.rows[("BTCUSDT", "1d", DAY)] == day
    got = await query_candles(store.as_store(), w.aggregator, "BTCUSDT", "1d", None, None, 5)
    assert got == [day]


async def test_trades_before_the_cut_are_left_to_the_prefix(store: MemStore) -> None:
    """A trade of the old connection in the boundary bucket is in the exchange's prefix
    already: only the new connection's trades are joined to it."""
    w, cuts = writer(store, "1m")
    w.offer(trade(1, 500, 7, CUT - 5_000))  # 05:07:37, before an outage
    w.offer(trade(2, 100, 2, CUT + 500, connection=2))
    await w.flush()
    assert store.rows[("BTCUSDT", "1m", M307)] == c("1m", M307, 500, 500, 100, 100, 9)
    await w.put_history(cuts[1], [c("1m", M307, 94, 500, 93, 95, 42)])
    assert store.rows[("BTCUSDT", "1m", M307)] == c("1m", M307, 94, 500, 93, 100, 44)


async def test_history_waits_for_the_trades_queued_before_it(store: MemStore) -> None:
    """Regression: without the wait, history was written first and the old connection's
    queued trades then merged onto it, counting them twice."""
    w, cuts = writer(store, "1m", flush_interval_s=0.01)
    for i in range(3):  # the old connection's last trades, still queued
        w.offer(trade(10 + i, 100 + i, 1, M306 + i * 1000))
    w.offer(trade(20, 200, 1, CUT + 100, connection=2))
    history = c("1m", M306, 99, 105, 98, 102, 60)  # the exchange has those trades in it
    put = asyncio.create_task(w.put_history(cuts[1], [history]))
    await asyncio.sleep(0.05)  # the writer task starts only now
    w.start()
    assert await put == 1
    await w.stop()
    assert store.rows[("BTCUSDT", "1m", M306)] == history


async def test_a_prefix_from_before_a_newer_cut_is_dropped(store: MemStore) -> None:
    w, cuts = writer(store, "1m", "1d")
    w.offer(trade(1, 100, 2, CUT + 500))
    w.offer(trade(2, 100, 2, CUT + 30_000, connection=2))  # reconnected: a newer cut
    await w.flush()
    stale = [c("1m", M306, 1, 1, 1, 1, 60), c("1d", DAY, 90, 120, 80, 95, 18_462)]
    assert await w.put_history(cuts[0], stale) == 1  # the whole candle, not the old prefix
    assert store.rows[("BTCUSDT", "1d", DAY)] == c("1d", DAY, 100, 100, 100, 100, 4)


@pytest.mark.parametrize(
    "candle",
    [
        c("1s", CUT, 1, 1, 1, 1, 1),  # the cut's second is live
        c("1m", M307 + 60_000, 1, 1, 1, 1, 1),
        CandleRecord("ETHUSDT", "1m", M306, 1, 1, 1, 1, 1),
    ],
)
async def test_history_at_or_after_the_cut_is_refused_and_nothing_written(
    store: MemStore, candle: CandleRecord
) -> None:
    w, cuts = writer(store, "1m")
    w.offer(trade(1, 100, 2, CUT + 500))
    await w.flush()
    before = dict(store.rows)
    with pytest.raises(ValueError, match="is not history before"):
        await w.put_history(cuts[0], [c("1m", M306, 1, 1, 1, 1, 60), candle])
    assert store.rows == before


class SlowCommit(MemStore):
    """``put_candles`` writes, then its reply is held (a driver answering late)."""

    def __init__(self) -> None:
        super().__init__()
        self.reply = asyncio.Event()

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        await super().put_candles(candles)
        await self.reply.wait()


async def test_a_history_write_cancelled_after_the_store_took_it_still_updates_the_chart() -> None:
    """Regression: cancelled (at shutdown, or by a supervisor) between the store's write and
    the aggregator's update, the chart kept showing the current candle without its history."""
    store = SlowCommit()
    w, cuts = writer(store, "1m")
    w.offer(trade(1, 100, 2, CUT + 500))
    await w.flush()
    put = asyncio.create_task(w.put_history(cuts[0], [c("1m", M307, 94, 96, 93, 95, 42)]))
    await wait_until(lambda: store.rows[("BTCUSDT", "1m", M307)].volume == 44)
    put.cancel()
    store.reply.set()
    await asyncio.wait({put})
    assert put.cancelled()
    w.offer(trade(2, 99, 1, CUT + 900))
    await w.flush()
    expected = [c("1m", M307, 94, 100, 93, 99, 45)]
    assert (
        await query_candles(store.as_store(), w.aggregator, "BTCUSDT", "1m", None, None, 5)
        == expected
    )
    assert list(store.rows.values()) == expected


async def test_written_history_names_each_series_it_rewrote(store: MemStore) -> None:
    """``on_history`` hears of each (symbol, duration) a ``put_history`` wrote, once each and
    after the rows are stored (a chart reads them again then)."""
    told: list[tuple[str, str, int]] = []
    w, cuts = writer(store, "1m", "1d")
    w.on_history = lambda symbol, duration: told.append((symbol, duration, len(store.rows)))
    w.offer(trade(1, 100, 2, CUT + 500))
    await w.flush()
    history = [c("1m", M306 - 60_000, 90, 91, 89, 90, 10), c("1m", M306, 91, 92, 90, 91, 60),
               c("1d", DAY - 86_400_000, 80, 90, 70, 85, 1_000)]  # fmt: skip
    assert await w.put_history(cuts[0], history) == 3
    assert told == [("BTCUSDT", "1m", len(store.rows)), ("BTCUSDT", "1d", len(store.rows))]
    assert await w.put_history(cuts[0], []) == 0
    assert len(told) == 2  # nothing written, nothing said
    prefix = c("1m", M307, 94, 96, 93, 95, 42)  # 05:07:00 .. the cut: the live candle's part
    assert await w.put_history(cuts[0], [prefix]) == 1
    assert len(told) == 2  # sent as the live candle it joined (on_candle), not as history


async def test_a_joined_bucket_the_live_candle_has_moved_past_is_history(store: MemStore) -> None:
    """History that arrives after the live candle moved into the next bucket: the joined
    05:07 candle is behind the newest (05:08), where a chart drops a live update, so it is
    announced as history (it was not: a read of the change)."""
    seen: list[CandleRecord] = []
    told: list[tuple[str, str]] = []
    w, cuts = writer(store, "1m", on_candle=seen.append)
    w.on_history = lambda symbol, duration: told.append((symbol, duration))
    w.offer(trade(1, 100, 2, CUT + 500))  # the session starts at 05:07:42
    w.offer(trade(2, 101, 1, M307 + 60_500))  # 05:08:00.5: the live candle moves on
    await w.flush()
    assert await w.put_history(cuts[0], [c("1m", M307, 94, 96, 93, 95, 42)]) == 1
    assert seen[-1].time == M307 and told == [("BTCUSDT", "1m")]
