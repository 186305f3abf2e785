"""Trigger index: which open positions does this tick close, without scanning them all.

Per (asset, side) a ``_Book`` keeps binary heaps with lazy deletion:

- ``adverse``: the nearest losing-side level of each position, i.e. max(liquidation,
  stop-loss) for a LONG (fires when bid <= level) and the min for a SHORT (fires when
  ask >= level);
- ``target``: take-profit (LONG fires when bid >= tp, SHORT when ask <= tp);
- trailing stops, in *cohorts*: the positions whose trailing marks are equal share one
  ``_Cohort``, which keeps its members' distances in a heap, so its nearest trailing level
  is mark - smallest distance (LONG; mark + distance for a SHORT). ``by_level`` orders the
  cohorts by that level (which ones a tick fires into), ``by_mark`` by mark (which ones a
  new high bid / low ask moves).

Why cohorts: a new high moves the mark of every LONG trailing position on the asset, and
re-keying each one (three heap pushes) cost ~3 us a position: 100,000 trailing stops
stalled the engine for seconds a tick. Every cohort a new high reaches merges into one at
the new mark, in the index's time per cohort (plus the members of the smaller cohorts,
each moved once per merge); the positions' own ``trailing_mark`` fields, where every
reader finds the mark, are then written by ``apply`` in one plain loop.

Every heap is a min-heap of ``sign * level`` so one comparison, ``key <= sign * price``,
serves both sides. A position's entry is valid while its ``version`` equals the one it was
pushed with; every change bumps the version and pushes fresh entries, and stale ones are
dropped when they surface or when a heap is rebuilt (amortised O(1) each). A cohort's
entries are checked against its current mark and level instead. A tick with nothing to do
costs a dictionary lookup and a few heap peeks.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from itertools import count

from velox.engine.formulas import LONG
from velox.engine.heaps import compact, current
from velox.engine.state import Position
from velox.money import Price

STOP_LOSS = "STOP_LOSS"
TRAILING_STOP = "TRAILING_STOP"
LIQUIDATION = "LIQUIDATION"
TAKE_PROFIT = "TAKE_PROFIT"

_Entry = tuple[int, int, int, Position]  # (key, tiebreak, version, position)


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
    """Liquidation and stop-loss; the trailing level is its cohort's."""
    key = sign * pos.liquidation_price
    if pos.stop_loss is not None:
        key = min(key, sign * pos.stop_loss)
    return key


def _trails(pos: Position) -> bool:
    return pos.trailing_stop is not None and pos.trailing_mark is not None


class _Cohort:
    """The trailing positions of one book whose marks equal ``mark``."""

    __slots__ = ("distances", "filed", "mark", "members")

    def __init__(self, mark: int) -> None:
        self.mark = mark
        self.members: dict[str, Position] = {}
        self.distances: list[_Entry] = []  # (trailing distance, tiebreak, version, position)
        self.filed: int | None = None  # the key of its one valid ``by_level`` entry

    def enter(self, pos: Position, tiebreak: int) -> None:
        """File the member's distance (at its current version)."""
        assert pos.trailing_stop is not None
        heapq.heappush(self.distances, (pos.trailing_stop, tiebreak, pos.version, pos))

    def nearest(self) -> int | None:
        """The smallest trailing distance of a current member (stale tops are dropped)."""
        heap = self.distances
        while heap and not current(heap[0]):
            heapq.heappop(heap)
        compact(heap, len(self.members))
        return heap[0][0] if heap else None


_CohortEntry = tuple[int, int, _Cohort]  # (key, tiebreak, cohort)


class _Book:
    """The heaps and trailing cohorts of one (asset, side)."""

    __slots__ = ("adverse", "by_level", "by_mark", "cohorts", "sign", "size", "target")

    def __init__(self, side: str) -> None:
        # LONG: adverse is a max-heap (sign -1), targets and marks min-heaps; SHORT mirrored.
        self.sign = -1 if side == LONG else 1
        self.adverse: list[_Entry] = []
        self.target: list[_Entry] = []
        self.cohorts: dict[int, _Cohort] = {}  # by mark
        self.by_mark: list[_CohortEntry] = []  # key -sign * mark
        self.by_level: list[_CohortEntry] = []  # key sign * mark + nearest distance
        self.size = 0

    def push(self, pos: Position, tiebreak: int) -> None:
        sign, version = self.sign, pos.version
        heapq.heappush(self.adverse, (_adverse_key(pos, sign), tiebreak, version, pos))
        if pos.take_profit is not None:
            heapq.heappush(self.target, (-sign * pos.take_profit, tiebreak, version, pos))
        compact(self.adverse, self.size)
        compact(self.target, self.size)

    @staticmethod
    def pop_through(heap: list[_Entry], threshold: int, out: dict[int, Position]) -> None:
        """Pop every entry with key <= threshold; keep the still-valid ones in ``out``."""
        while heap and heap[0][0] <= threshold:
            entry = heapq.heappop(heap)
            if current(entry):
                out[id(entry[3])] = entry[3]

    # -- trailing cohorts ------------------------------------------------------------------
    def live(self, cohort: _Cohort) -> bool:
        return bool(cohort.members) and self.cohorts.get(cohort.mark) is cohort

    def cohort_at(self, mark: int, tiebreak: int) -> _Cohort:
        cohort = self.cohorts.get(mark)
        if cohort is None:
            cohort = self.cohorts[mark] = _Cohort(mark)
            self._compact(self.by_mark)  # before the push: the new cohort has no members yet
            heapq.heappush(self.by_mark, (-self.sign * mark, tiebreak, cohort))
        return cohort

    def relevel(self, cohort: _Cohort, tiebreak: int) -> None:
        """File the cohort's level unless an earlier one is filed: a filed level may be
        earlier than the real one (a member left), which costs a look when it surfaces,
        never later (a tick would miss it)."""
        nearest = cohort.nearest()
        if nearest is None:
            return
        key = self.sign * cohort.mark + nearest
        if cohort.filed is None or key < cohort.filed:
            cohort.filed = key
            heapq.heappush(self.by_level, (key, tiebreak, cohort))
            self._compact(self.by_level)

    def _filed(self, entry: _CohortEntry) -> bool:
        return entry[0] == entry[2].filed and self.live(entry[2])

    def _marked(self, entry: _CohortEntry) -> bool:
        return entry[0] == -self.sign * entry[2].mark and self.live(entry[2])

    def leave(self, cohort: _Cohort, pos: Position) -> None:
        del cohort.members[pos.order_id]
        if not cohort.members and self.cohorts.get(cohort.mark) is cohort:
            del self.cohorts[cohort.mark]

    def _compact(self, heap: list[_CohortEntry]) -> None:
        """At most one entry per cohort is valid: a filed level, or its present mark."""
        compact(heap, len(self.cohorts), self._filed if heap is self.by_level else self._marked)

    def fire_trailing(self, price: int, out: dict[int, Position], tiebreak: count[int]) -> None:
        """Pop the members whose trailing level this price reaches."""
        limit = self.sign * price
        heap = self.by_level
        while heap and heap[0][0] <= limit:
            entry = heapq.heappop(heap)
            if not self._filed(entry):
                continue
            cohort = entry[2]
            cohort.filed = None
            base, nearest = self.sign * cohort.mark, cohort.nearest()
            while nearest is not None and base + nearest <= limit:
                _, _, _, pos = heapq.heappop(cohort.distances)
                out[id(pos)] = pos
                nearest = cohort.nearest()
            self.relevel(cohort, next(tiebreak))  # what is left, at its real level

    def reached_marks(self, price: int) -> list[_Cohort]:
        """The live cohorts whose mark this price moves (higher bid / lower ask); their
        mark entries are consumed."""
        threshold = -self.sign * price - 1
        heap, out = self.by_mark, []
        while heap and heap[0][0] <= threshold:
            entry = heapq.heappop(heap)
            if self._marked(entry):
                out.append(entry[2])
        return out

    def marks_reached(self, price: int) -> bool:
        heap = self.by_mark
        while heap and not self._marked(heap[0]):
            heapq.heappop(heap)
        return bool(heap) and heap[0][0] <= -self.sign * price - 1


def _order_key(pos: Position) -> tuple[int, str]:
    return (len(pos.order_id), pos.order_id)


class TriggerIndex:
    """All books. Positions must be re-``push``ed after every change (new version)."""

    def __init__(self) -> None:
        self._books: dict[tuple[str, str], _Book] = {}
        self._tiebreak = count()
        self._cohort_of: dict[str, _Cohort] = {}  # order id -> its trailing cohort

    def _book(self, pos: Position) -> _Book:
        key = (pos.asset, pos.side)
        book = self._books.get(key)
        if book is None:
            book = self._books[key] = _Book(pos.side)
        return book

    def add(self, pos: Position) -> None:
        book = self._book(pos)
        book.size += 1
        self._push(book, pos)

    def changed(self, pos: Position) -> None:
        pos.version += 1
        self._push(self._book(pos), pos)

    def remove(self, pos: Position) -> None:
        pos.version = -1  # every entry of it is now stale
        book = self._book(pos)
        book.size -= 1
        cohort = self._cohort_of.pop(pos.order_id, None)
        if cohort is not None:
            book.leave(cohort, pos)

    def _push(self, book: _Book, pos: Position) -> None:
        book.push(pos, next(self._tiebreak))
        cohort = self._cohort_of.get(pos.order_id)
        if not _trails(pos):
            if cohort is not None:
                book.leave(cohort, pos)
                del self._cohort_of[pos.order_id]
            return
        assert pos.trailing_mark is not None and pos.trailing_stop is not None
        if cohort is None or cohort.mark != pos.trailing_mark:
            if cohort is not None:
                book.leave(cohort, pos)
            cohort = book.cohort_at(pos.trailing_mark, next(self._tiebreak))
            cohort.members[pos.order_id] = pos
            self._cohort_of[pos.order_id] = cohort
        heapq.heappush(
            cohort.distances, (pos.trailing_stop, next(self._tiebreak), pos.version, pos)
        )
        book.relevel(cohort, next(self._tiebreak))

    def fired(self, asset: str, bid: int, ask: int) -> list[Position]:
        """Positions this quote closes, in order id order (deterministic)."""
        out: dict[int, Position] = {}
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is None or book.size == 0:
                continue
            book.pop_through(book.adverse, book.sign * price, out)
            book.pop_through(book.target, -book.sign * price, out)
            book.fire_trailing(price, out, self._tiebreak)
        return sorted(out.values(), key=_order_key)

    def marks_move(self, asset: str, bid: int, ask: int) -> bool:
        """Whether this quote moves at least one trailing mark."""
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is not None and book.marks_reached(price):
                return True
        return False

    def move_marks(self, asset: str, bid: int, ask: int) -> list[tuple[Price, list[Position]]]:
        """Merge the cohorts this quote moves into one at the new mark (per side), and
        return each new mark with the positions now at it: the caller writes their
        ``trailing_mark`` (the index does not touch positions)."""
        moved: list[tuple[Price, list[Position]]] = []
        for side, price in ((LONG, bid), ("SHORT", ask)):
            book = self._books.get((asset, side))
            if book is None:
                continue
            reached = book.reached_marks(price)
            if not reached:
                continue
            waiting = book.cohorts.get(price)  # positions already at the new mark
            if waiting is not None:
                reached.append(waiting)
            survivor = max(reached, key=lambda c: len(c.members))
            for cohort in reached:
                del book.cohorts[cohort.mark]
                if cohort is survivor:
                    continue
                for order_id, pos in cohort.members.items():
                    survivor.members[order_id] = pos
                    self._cohort_of[order_id] = survivor
                    survivor.enter(pos, next(self._tiebreak))
            book.cohorts[price] = survivor
            if survivor is not waiting:  # a cohort at this mark is filed there already
                survivor.mark = price
                heapq.heappush(book.by_mark, (-book.sign * price, next(self._tiebreak), survivor))
            book.relevel(survivor, next(self._tiebreak))
            moved.append((Price(price), list(survivor.members.values())))
        return moved
