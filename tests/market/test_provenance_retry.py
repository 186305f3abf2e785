"""Replay spans cover only trades whose candle deltas are durably written: a retried batch
keeps its trades, a batch given up can be replayed again."""

from __future__ import annotations

from tests.market.memstore import MemStore
from velox.feeds.base import FeedTick
from velox.market.candles import CandleAggregator
from velox.market.provenance import folded_key
from velox.market.writer import TradeWriter
from velox.money import units

T0 = 1_736_942_400_000


class FlakyMeta(MemStore):
    def __init__(self, failures: dict[str, int]) -> None:
        super().__init__()
        self.meta_failures = failures

    async def get_meta(self, key: str) -> str | None:
        if self.meta_failures.get(key, 0) > 0:
            self.meta_failures[key] -= 1
            raise ConnectionError("injected get_meta failure")
        return await super().get_meta(key)


def tick(symbol: str, trade_id: int, qty: str) -> FeedTick:
    ts = T0 + trade_id * 1000
    return FeedTick(symbol, ts, units("100"), units(qty), trade_id, ts, source="replay")


def volume(store: MemStore, symbol: str) -> int:
    return sum(c.volume for k, c in store.rows.items() if k[:2] == (symbol, "1m"))


async def test_a_batch_retried_after_a_failed_lookup_keeps_its_replayed_trades() -> None:
    """Regression: the first attempt counted BTCUSDT's trade in its spans before ETHUSDT's
    lookup failed; the retry took it for already counted and dropped it."""
    store = FlakyMeta({folded_key("replay", "ETHUSDT"): 1})
    writer = TradeWriter(store.as_store(), CandleAggregator(), retry_delay_s=0)
    writer.offer(tick("BTCUSDT", 1, "0.5"))
    writer.offer(tick("ETHUSDT", 1, "2"))
    await writer.flush()
    assert (volume(store, "BTCUSDT"), volume(store, "ETHUSDT")) == (units("0.5"), units("2"))
    assert store.meta[folded_key("replay", "BTCUSDT")] == "1-1"


async def test_trades_of_a_batch_given_up_count_when_the_file_is_replayed_again() -> None:
    """Regression: a batch the store refused to the end was dropped, yet its trade ids were
    saved as counted with the next batch: replaying the file never brought them back."""
    store = MemStore()
    writer = TradeWriter(store.as_store(), CandleAggregator(), max_attempts=2, retry_delay_s=0)
    for trade_id, qty, failures in ((1, "0.5", 0), (2, "0.25", 2), (3, "0.125", 0)):
        store.fail = {"insert_trades": failures}
        writer.offer(tick("BTCUSDT", trade_id, qty))
        await writer.flush()
    assert writer.lost == 1
    assert volume(store, "BTCUSDT") == units("0.625")
    assert store.meta[folded_key("replay", "BTCUSDT")] == "1-1,3-3"

    again = TradeWriter(store.as_store(), CandleAggregator())  # the file replayed again
    for trade_id, qty in ((1, "0.5"), (2, "0.25"), (3, "0.125")):
        again.offer(tick("BTCUSDT", trade_id, qty))
    await again.flush()
    assert volume(store, "BTCUSDT") == units("0.875")
    assert store.meta[folded_key("replay", "BTCUSDT")] == "1-3"
