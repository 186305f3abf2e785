"""The trigger index's trailing cohorts against a naive model written from SPEC.md.

Many positions share marks here (several open on one quote), prices walk in small steps
so new highs and lows merge cohorts often, distances change and stops are removed and
re-added, and old journals' per-position mark moves (``TrailingStopMoved``) split a
position off its cohort. After every tick the index must name exactly the positions the
model closes, and every mark must be the model's: a LONG's the highest bid since it began
to trail, a SHORT's the lowest ask; a LONG trailing stop fires when bid <= mark - distance,
a SHORT's when ask >= mark + distance (SPEC section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine.test_properties import examples
from velox.engine.state import Position
from velox.engine.triggers import TriggerIndex

SPREAD = 2  # bid = price - 2, ask = price + 2


@dataclass
class Model:
    """One position as SPEC describes it, kept beside the engine's."""

    side: str
    liquidation: int
    distance: int | None
    mark: int | None

    def fires(self, bid: int, ask: int) -> bool:
        if self.side == "LONG":
            if bid <= self.liquidation:
                return True
            return (
                self.distance is not None
                and self.mark is not None
                and (bid <= self.mark - self.distance)
            )
        if ask >= self.liquidation:
            return True
        return (
            self.distance is not None
            and self.mark is not None
            and (ask >= self.mark + self.distance)
        )

    def follow(self, bid: int, ask: int) -> None:
        if self.distance is None or self.mark is None:
            return
        self.mark = max(self.mark, bid) if self.side == "LONG" else min(self.mark, ask)


sides = st.sampled_from(["LONG", "SHORT"])
distances = st.integers(min_value=1, max_value=40)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("open"), sides, distances, st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("open"), sides, distances, st.integers(min_value=1, max_value=4)),
        st.tuples(st.just("tick"), st.integers(min_value=-6, max_value=6)),
        st.tuples(st.just("tick"), st.integers(min_value=-2, max_value=2)),
        st.tuples(st.just("walk"), st.integers(min_value=-3, max_value=3), st.integers(1, 12)),
        st.tuples(st.just("distance"), st.integers(0, 200), st.none() | distances),
        st.tuples(st.just("remark"), st.integers(0, 200), st.integers(min_value=-20, max_value=20)),
        st.tuples(st.just("close"), st.integers(0, 200)),
    ),
    max_size=60,
)


class Run:
    def __init__(self) -> None:
        self.index = TriggerIndex()
        self.positions: dict[str, Position] = {}
        self.models: dict[str, Model] = {}
        self.price = 1_000
        self.next_id = 1

    @property
    def quote(self) -> tuple[int, int]:
        return self.price - SPREAD, self.price + SPREAD

    def open(self, side: str, distance: int, copies: int) -> None:
        bid, ask = self.quote
        mark = bid if side == "LONG" else ask
        liquidation = self.price - 200 if side == "LONG" else self.price + 200
        for _ in range(copies):  # one quote: the copies share a mark, hence a cohort
            oid = str(self.next_id)
            self.next_id += 1
            pos = Position(oid, "u", "BTCUSDT", side, 10, 1, 1, self.price, liquidation,
                           None, None, distance, mark, 0)  # fmt: skip
            self.positions[oid] = pos
            self.models[oid] = Model(side, liquidation, distance, mark)
            self.index.add(pos)

    def tick(self, step: int) -> None:
        self.price += step
        bid, ask = self.quote
        fired = {p.order_id for p in self.index.fired("BTCUSDT", bid, ask)}
        expected = {oid for oid, m in self.models.items() if m.fires(bid, ask)}
        assert fired == expected, (self.price, fired, expected)
        for oid in fired:
            self.close_id(oid)
        moves = self.index.marks_move("BTCUSDT", bid, ask)
        before = {oid: m.mark for oid, m in self.models.items()}
        for model in self.models.values():
            model.follow(bid, ask)
        assert moves == any(m.mark != before[oid] for oid, m in self.models.items())
        for mark, moving in self.index.move_marks("BTCUSDT", bid, ask):
            for pos in moving:  # what Ledger.apply does with a MarksMoved
                pos.trailing_mark = mark
        assert {o: p.trailing_mark for o, p in self.positions.items()} == {
            o: m.mark for o, m in self.models.items()
        }

    def pick(self, n: int) -> str | None:
        ids = sorted(self.positions, key=int)
        return ids[n % len(ids)] if ids else None

    def distance(self, n: int, distance: int | None) -> None:
        oid = self.pick(n)
        if oid is None:
            return
        pos, model = self.positions[oid], self.models[oid]
        if distance is not None and pos.trailing_mark is None:  # starts at the quote
            bid, ask = self.quote
            pos.trailing_mark = model.mark = bid if pos.side == "LONG" else ask
        pos.trailing_stop = model.distance = distance
        if distance is None:
            pos.trailing_mark = model.mark = None
        self.index.changed(pos)

    def remark(self, n: int, offset: int) -> None:
        """An old journal's TrailingStopMoved: one position's mark set on its own."""
        oid = self.pick(n)
        if oid is None or self.positions[oid].trailing_mark is None:
            return
        pos, model = self.positions[oid], self.models[oid]
        bid, ask = self.quote
        mark = bid + abs(offset) if pos.side == "LONG" else ask - abs(offset)
        pos.trailing_mark = model.mark = mark
        self.index.changed(pos)

    def close_id(self, oid: str) -> None:
        self.index.remove(self.positions.pop(oid))
        del self.models[oid]


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_cohorts_fire_and_follow_exactly_as_the_model(program: list[tuple[Any, ...]]) -> None:
    run = Run()
    for op in program:
        if op[0] == "open":
            run.open(op[1], op[2], op[3])
        elif op[0] == "tick":
            run.tick(op[1])
        elif op[0] == "walk":
            for _ in range(op[2]):
                run.tick(op[1])
        elif op[0] == "distance":
            run.distance(op[1], op[2])
        elif op[0] == "remark":
            run.remark(op[1], op[2])
        else:
            oid = run.pick(op[1])
            if oid is not None:
                run.close_id(oid)
        run.tick(0)


def test_a_new_high_merges_every_cohort_into_one_at_the_new_mark() -> None:
    run = Run()
    run.open("LONG", 30, 3)  # price 1000: marks 998 (the bid)
    run.tick(-3)  # bid 995: no mark moves
    run.open("LONG", 10, 2)  # marks 995: a second cohort
    book = run.index._books[("BTCUSDT", "LONG")]
    assert sorted(book.cohorts) == [995, 998]
    run.tick(+3)  # bid 998: the 995s move onto the 998s' mark: one cohort
    assert list(book.cohorts) == [998] and len(book.cohorts[998].members) == 5
    run.tick(+4)  # bid 1002: all five follow
    assert list(book.cohorts) == [1002]
    assert {p.trailing_mark for p in run.positions.values()} == {1002}
    run.tick(-10)  # bid 992 = 1002 - 10: the two with distance 10 fire, at their level
    assert sorted(run.positions, key=int) == ["1", "2", "3"]
    run.tick(-19)  # bid 973 > 1002 - 30: the others hold
    assert len(run.positions) == 3
    run.tick(-1)  # bid 972: they fire
    assert run.positions == {} and book.cohorts == {}
