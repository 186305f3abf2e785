"""An in-memory stand-in for the market-data half of ``Store``, with fault injection.

It follows the contract in velox/store/base.py (dedupe on (symbol, trade_id), candle merge
rule, inclusive bounds, newest-``limit`` without a start) so writer tests stay fast; the
same behaviour is checked against SQLite and PostgreSQL in test_writer_store.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from velox.market.candles import merge
from velox.store.base import Store
from velox.store.records import CandleRecord, TradeRecord


class MemStore:
    def __init__(self) -> None:
        self.trades: dict[tuple[str, int], TradeRecord] = {}
        self.rows: dict[tuple[str, str, int], CandleRecord] = {}
        self.insert_sizes: list[int] = []
        self.prune_cutoffs: list[int] = []
        self.meta: dict[str, str] = {}
        self.fail: dict[str, int] = {}  # method name -> failures still to inject

    def as_store(self) -> Store:
        return cast(Store, self)

    def _maybe_fail(self, method: str) -> None:
        if self.fail.get(method, 0) > 0:
            self.fail[method] -= 1
            raise ConnectionError(f"injected {method} failure")

    async def insert_trades(self, trades: Sequence[TradeRecord]) -> list[TradeRecord]:
        self._maybe_fail("insert_trades")
        self.insert_sizes.append(len(trades))
        new = []
        for t in trades:
            if (t.symbol, t.trade_id) not in self.trades:
                self.trades[(t.symbol, t.trade_id)] = t
                new.append(t)
        return new

    async def prune_trades(self, before_ts: int) -> int:
        self._maybe_fail("prune_trades")
        self.prune_cutoffs.append(before_ts)
        old = [k for k, t in self.trades.items() if t.ts < before_ts]
        for k in old:
            del self.trades[k]
        return len(old)

    async def upsert_candles(
        self, candles: Sequence[CandleRecord], meta: Mapping[str, str] | None = None
    ) -> None:
        self._maybe_fail("upsert_candles")
        for c in candles:
            key = (c.symbol, c.duration, c.time)
            self.rows[key] = merge(self.rows[key], c) if key in self.rows else c
        self.meta.update(meta or {})

    async def replace_candles(
        self,
        symbol: str,
        duration: str,
        start: int,
        end: int,
        candles: Sequence[CandleRecord],
        meta: Mapping[str, str] | None = None,
    ) -> None:
        self._maybe_fail("replace_candles")
        for key in [k for k in self.rows if k[:2] == (symbol, duration) and start <= k[2] < end]:
            del self.rows[key]
        await self.put_candles(candles)
        self.meta.update(meta or {})

    async def get_meta(self, key: str) -> str | None:
        return self.meta.get(key)

    async def set_meta(self, key: str, value: str) -> None:
        self.meta[key] = value

    async def put_candles(self, candles: Sequence[CandleRecord]) -> None:
        self._maybe_fail("put_candles")
        for c in candles:
            self.rows[(c.symbol, c.duration, c.time)] = c

    async def candles(
        self, symbol: str, duration: str, start: int | None, end: int | None, limit: int
    ) -> list[CandleRecord]:
        self._maybe_fail("candles")
        found = sorted(
            (c for (s, d, t), c in self.rows.items() if s == symbol and d == duration
             and (start is None or t >= start) and (end is None or t <= end)),
            key=lambda c: c.time,
        )  # fmt: skip
        return found[:limit] if start is not None else found[-limit:]
