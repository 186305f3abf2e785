"""The obviously-correct reference: group every trade by bucket, read OHLCV off the list."""

from __future__ import annotations

from collections.abc import Iterable

from velox.store.records import CandleRecord, TradeRecord

DURATION_MS = {
    "1s": 1_000, "30s": 30_000, "1m": 60_000, "5m": 300_000, "15m": 900_000,
    "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000,
}  # fmt: skip


def brute_candles(
    trades: Iterable[TradeRecord], duration: str
) -> dict[tuple[str, int], CandleRecord]:
    """Trades in arrival order; open/close are the first/last to arrive in each bucket."""
    groups: dict[tuple[str, int], list[TradeRecord]] = {}
    ms = DURATION_MS[duration]
    for t in trades:
        groups.setdefault((t.symbol, (t.ts // ms) * ms), []).append(t)
    return {
        (symbol, time): CandleRecord(
            symbol,
            duration,
            time,
            ts[0].price,
            max(t.price for t in ts),
            min(t.price for t in ts),
            ts[-1].price,
            sum(t.qty for t in ts),
        )
        for (symbol, time), ts in groups.items()
    }
