"""Reads of ``stop_orders`` (a position's stops as the Binance API's algo orders, each
placement a row, ``StopRecord``): SQL shared by SQLite and PostgreSQL. A mixin of
``SqlStore``; the rows are written by the group commit (``projection_stops.py``), so a stop
is readable exactly when its event is journaled.
"""

from __future__ import annotations

from collections.abc import Sequence

from velox.store.pages import page_query, where_equal
from velox.store.reads import Reads
from velox.store.records import StopRecord
from velox.store.rows import stop_record
from velox.store.schema import STOP_COLUMNS, check_limit

_COLUMNS = ", ".join(STOP_COLUMNS)


class StopRows(Reads):
    """The ``Store`` methods for stops (see ``velox.store.base``)."""

    async def stop(self, stop_id: str, position_id: str = "", kind: int = 0) -> StopRecord | None:
        """The stop of this own id; or, with ``position_id``, the one set with the position
        (no id of its own) of ``kind``."""
        if position_id:
            sql, args = "position_id = ? AND kind = ? AND stop_id = ''", [position_id, kind]
        else:
            sql, args = "stop_id = ?", [stop_id]
        rows = await self._fetch(f"SELECT {_COLUMNS} FROM stop_orders WHERE {sql}", args)
        return stop_record(rows[0]) if rows else None

    async def stop_by_client_id(self, account_id: str, client_id: str) -> StopRecord | None:
        """The newest stop the account placed with ``client_id``."""
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM stop_orders WHERE account_id = ? AND client_id = ? "
            "ORDER BY created_at DESC LIMIT 1",
            [account_id, client_id],
        )
        return stop_record(rows[0]) if rows else None

    async def stops_of_positions(self, position_ids: Sequence[str]) -> list[StopRecord]:
        """Every stop of these positions, in no particular order."""
        rows = await self._fetch_in(f"SELECT {_COLUMNS} FROM stop_orders", "position_id",
                                    position_ids)  # fmt: skip
        return [stop_record(r) for r in rows]

    async def stops_for_asset(
        self, account_id: str, asset: str, start: int | None, end: int | None, limit: int,
        *, from_id: int | None = None, oldest_first: bool = False,
    ) -> list[StopRecord]:  # fmt: skip
        """The account's stops on ``asset``, every status: by ``created_at`` within [start,
        end] as ``orders_for_asset`` pages; or, ``from_id``, the first ``limit`` from that
        id (``from_id`` is where the page starts: those with an id of their own, from it;
        those set with a position, from the position before it) of each kind."""
        if from_id is None:
            rows = await self._fetch(*page_query(
                "stop_orders", STOP_COLUMNS, "stop_id", "created_at",
                where_equal(account_id=account_id), asset, start, end, limit, None,
                oldest_first,
            ))  # fmt: skip
            return [stop_record(r) for r in rows]
        out: list[StopRecord] = []
        for column, own, least in (("stop_id", "<>", from_id),
                                   ("position_id", "=", max(from_id - 1, 0))):  # fmt: skip
            text = str(least)
            rows = await self._fetch(
                f"SELECT {_COLUMNS} FROM stop_orders WHERE account_id = ? AND asset = ? "
                f"AND stop_id {own} '' AND (length({column}) > ? OR (length({column}) = ? "
                f"AND {column} >= ?)) ORDER BY length({column}), {column}, kind LIMIT ?",
                [account_id, asset, len(text), len(text), text, check_limit(limit)],
            )
            out += [stop_record(r) for r in rows]
        return out
