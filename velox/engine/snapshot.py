"""A consistent export of the engine's state, taken a chunk at a time while it keeps running.

Exporting 100k positions in one go stalls the single event loop for ~100 ms. A
``StateExport`` fixes the state at the moment it begins: the scalars and balances are
copied then (cheap), the list of open positions is copied by reference, and from then on
the engine calls ``before_change`` before it mutates a position, so a position changed
before its row was taken is exported as it was (copy-on-write). Positions opened later have
higher order ids and are not part of this export; closed ones are never mutated again.
"""

from __future__ import annotations

from typing import Any

from velox.engine.state import POSITION_FIELDS, Position, State, position_row

Row = tuple[Any, ...]


class StateExport:
    def __init__(self, engine: State) -> None:
        self._head: dict[str, Any] = {
            "house": engine.house,
            "deposits": engine.deposits,
            "next_order_id": engine.next_order_id,
            "accounts": [
                {"user_id": a.user_id, "balance": a.balance}
                for a in sorted(engine.accounts.values(), key=lambda a: a.user_id)
            ],
            "position_fields": list(POSITION_FIELDS),
        }
        # Insertion order is order-id order (ids only grow), and restore keeps it.
        self._todo = list(engine.positions.values())
        self._last_id = int(self._todo[-1].order_id) if self._todo else 0
        self._next = 0
        self._reached_id = 0  # rows of positions with ids up to this one are taken
        self._before: dict[str, Row] = {}
        self._rows: list[Row] = []

    @property
    def done(self) -> bool:
        return self._next >= len(self._todo)

    def before_change(self, pos: Position) -> None:
        """Called by the engine before it mutates ``pos`` while this export is open."""
        number = int(pos.order_id)
        if self._reached_id < number <= self._last_id and pos.order_id not in self._before:
            self._before[pos.order_id] = position_row(pos)

    def step(self, count: int) -> bool:
        """Take up to ``count`` more rows; True once every row is taken."""
        end = min(len(self._todo), self._next + count)
        before = self._before
        for pos in self._todo[self._next : end]:
            row = before.pop(pos.order_id, None)
            self._rows.append(row if row is not None else position_row(pos))
        if end > self._next:
            self._reached_id = int(self._todo[end - 1].order_id)
        self._next = end
        return self.done

    def result(self) -> dict[str, Any]:
        assert self.done, "export not finished"
        return {**self._head, "positions": self._rows}
