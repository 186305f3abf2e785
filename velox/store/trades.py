"""Reads of the raw exchange trades (Binance's ``aggTrades`` and ``trades``): SQL shared by
SQLite and PostgreSQL, written once.

A mixin of ``SqlStore``. The trade writer stores each trade once, by (symbol, trade id),
within a second of its arrival, and prunes them after ``--trade-retention``; these reads
see what it has stored.
"""

from __future__ import annotations

from typing import Any

from velox.store.reads import Reads
from velox.store.records import TradeRecord
from velox.store.schema import check_limit

_COLUMNS = "symbol, trade_id, price, qty, ts"


class TradeRows(Reads):
    """The ``Store`` methods for trades (see ``velox.store.base``)."""

    async def trades(
        self,
        symbol: str,
        from_id: int | None,
        start: int | None,
        end: int | None,
        limit: int,
    ) -> list[TradeRecord]:
        """Oldest first: from the trade ``from_id`` on, else from ``start`` on, else the
        newest ``limit``; within ``start``..``end`` (ms, inclusive) when given."""
        args: list[Any] = [symbol]
        where = "symbol = ?"
        for column, op, bound in (("trade_id", ">=", from_id), ("ts", ">=", start),
                                  ("ts", "<=", end)):  # fmt: skip
            if bound is not None:
                args.append(bound)
                where += f" AND {column} {op} ?"
        forward = from_id is not None or start is not None
        order = "ASC" if forward else "DESC"
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM trades WHERE {where} ORDER BY trade_id {order} LIMIT ?",
            [*args, check_limit(limit)],
        )
        found = [TradeRecord(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rows]
        return found if forward else found[::-1]
