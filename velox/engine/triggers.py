"""Trigger index: which open positions does this tick close, without scanning them all.

Per (asset, side) a ``_Book`` keeps three binary heaps with lazy deletion:

- ``adverse``: the nearest losing-side level of each position, i.e. max(liquidation,
  stop-loss, trailing level) for a LONG (fires when bid <= level) and the min for a SHORT
  (fires when ask >= level);
- ``target``: take-profit (LONG fires when bid >= tp, SHORT when ask <= tp);
- ``marks``: trailing marks, so the positions whose highest bid / lowest ask moves are found
  in O(log n) each instead of touching every trailing position on every tick.

Every heap is a min-heap of ``sign * level`` so one comparison, ``key <= sign * price``,
serves both sides. An entry is valid while the position's ``version`` equals the one it
was pushed with; every change bumps the version and pushes fresh entries, and stale ones
are dropped when they surface or when a heap is rebuilt (amortised O(1) each).
A tick with nothing to do costs a dictionary lookup and a few heap peeks.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from itertools import count

from velox.engine.formulas import LONG
from velox.engine.state import Position
from velox.money import Price

STOP_LOSS = "STOP_LOSS"
TRAILING_STOP = "TRAILING_STOP"
LIQUIDATION = "LIQUIDATION"
TAKE_PROFIT = "TAKE_PROFIT"

_Entry = tuple[int, int, int, Position]  # (key, tiebreak, version, position)
_COMPACT_SLACK = 64


def trailing_level(pos: Position) -> int | None:
    """The price that fires the trailing stop: mark - distance (LONG), mark + distance."""
    if pos.trailing_stop is None or pos.trailing_mark is None:
        return None
    if pos.side == LONG:
        return pos.trailing_mark - pos.trailing_stop
    return pos.trailing_mark + pos.trailing_stop


def trigger_reason(pos: Position, bid: int, ask: int) -> str | None:
    """Why ``pos`` closes at this quote, by SPEC.md's precedence, or None.

    STOP_LOSS / TRAILING_STOP before LIQUIDATION before TAKE_PROFIT.
    """
    if pos.side == LONG:
        if pos.stop_loss is not None and bid <= pos.stop_loss:
            return STOP_LOSS
        trailing = trailing_level(pos)
        if trailing is not None and bid <= trailing:
            return TRAILING_STOP
        if bid <= pos.liquidation_price:
            return LIQUIDATION
        if pos.take_profit is not None and bid >= pos.take_profit:
            return TAKE_PROFIT
        return None
    if pos.stop_loss is not None and ask >= pos.stop_loss:
        return STOP_LOSS
    trailing = trailing_level(pos)
    if trailing is not None and ask >= trailing:
        return TRAILING_STOP
    if ask >= pos.liquidation_price:
        return LIQUIDATION
    if pos.take_profit is not None and ask <= pos.take_profit:
        return TAKE_PROFIT
    return None


def mark_moves(pos: Position, bid: Price, ask: Price) -> Price | None:
    """The new trailing mark if this quote moves it (higher bid / lower ask), else None."""
    if pos.trailing_stop is None or pos.trailing_mark is None:
        return None
    if pos.side == LONG:
        return bid if bid > pos.trailing_mark else None
    return ask if ask < pos.trailing_mark else None


def scan_fired(positions: Iterable[Position], asset: str, bid: int, ask: int) -> list[Position]:
    """The naive oracle: look at every position. For property tests and the benchmark."""
    return [p for p in positions if p.asset == asset and trigger_reason(p, bid, ask) is not None]


def _adverse_key(pos: Position, sign: int) -> int:
    key = sign * pos.liquidation_price
    if pos.stop_loss is not None:
        key = min(key, sign * pos.stop_loss)
    trailing = trailing_level(pos)
    if trailing is not None:
        key = min(key, sign * trailing)
    return key


class _Book:
    """The three heaps of one (asset, side)."""

    __slots__ = ("adverse", "marks", "sign", "size", "target")

    def __init__(self, side: str) -> None:
        # LONG: adverse is a max-heap (sign -1), targets and marks min-heaps; SHORT mirrored.
        self.sign = -1 if side == LONG else 1
        self.adverse: list[_Entry] = []
        self.target: list[_Entry] = []
        self.marks: list[_Entry] = []
        self.size = 0

    def push(self, pos: Position, tiebreak: int) -> None:
        sign, version = self.sign, pos.version
        heapq.heappush(self.adverse, (_adverse_key(pos, sign), tiebreak, version, pos))
        if pos.take_profit is not None:
            heapq.heappush(self.target, (-sign * pos.take_profit, tiebreak, version, pos))
        if pos.trailing_stop is not None and pos.trailing_mark is not None:
            heapq.heappush(self.marks, (-sign * pos.trailing_mark, tiebreak, version, pos))
        for heap in (self.adverse, self.target, self.marks):
            if len(heap) > 3 * self.size + _COMPACT_SLACK:
                heap[:] = [e for e in heap if e[2] == e[3].version]
                heapq.heapify(heap)

    @staticmethod
    def pop_through(heap: list[_Entry], threshold: int, out: dict[int, Position]) -> None:
        """Pop every entry with key <= threshold; keep the still-valid ones in ``out``."""
        while heap and heap[0][0] <= threshold:
            _, _, version, pos = heapq.heappop(heap)
            if version == pos.version:
                out[id(pos)] = pos


def _order_key(pos: Position) -> tuple[int, str]:
    return (len(pos.order_id), pos.order_id)


class TriggerIndex:
    """All books. Positions must be re-``push``ed after every change (new version)."""

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], _Book] = {}
        self._tiebreak = count()

    def _book(self, pos: Position) -> _Book:
        key = (pos.asset, pos.side)
        book = self._books.get(key)
        if book is None:
            book = self._books[key] = _Book(pos.side)
        return book

    def add(self, pos: Position) -> None:
        book = self._book(pos)
        book.size += 1
        book.push(pos, next(self._tiebreak))

    def changed(self, pos: Position) -> None:
        pos.version += 1
        self._book(pos).push(pos, next(self._tiebreak))

    def remove(self, pos: Position) -> None:
        pos.version = -1  # every entry of it is now stale
        self._book(pos).size -= 1

    def fired(self, asset: str, bid: int, ask: int) -> list[Position]:
        """Positions this quote closes, in order id order (deterministic)."""
        out: dict[int, Position] = {}
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is None or book.size == 0:
                continue
            book.pop_through(book.adverse, book.sign * price, out)
            book.pop_through(book.target, -book.sign * price, out)
        return sorted(out.values(), key=_order_key)

    def marks_move(self, asset: str, bid: int, ask: int) -> bool:
        """Whether this quote moves at least one trailing mark (stale tops are dropped)."""
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is None:
                continue
            heap = book.marks
            while heap and heap[0][2] != heap[0][3].version:
                heapq.heappop(heap)
            if heap and heap[0][0] <= -book.sign * price - 1:
                return True
        return False

    def marks_to_move(self, asset: str, bid: int, ask: int) -> list[Position]:
        """Positions whose trailing mark this quote moves; their entries are consumed."""
        out: dict[int, Position] = {}
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is None or not book.marks:
                continue
            # LONG marks move when mark < bid: key=mark <= bid-1; SHORT: -mark <= -ask-1.
            book.pop_through(book.marks, -book.sign * price - 1, out)
        return sorted(out.values(), key=_order_key)
