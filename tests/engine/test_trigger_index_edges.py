"""Edges of the trigger index (``velox/engine/triggers.py``) that the model test of
``test_trailing_cohorts.py`` reaches too rarely, found by the sixth mutation pass (TESTING.md):
heaps that compact while positions come and go, cohorts whose trailing levels are equal, a
cohort moving onto a smaller one's mark, and heaps that must stay bounded under churn.

Every test states what a user sees: which positions a quote closes, at which price, and each
trailing mark to the unit (SPEC 5: a LONG's mark is the highest bid since it began to trail,
a SHORT's the lowest ask); ``Run`` checks both against its model after every tick. Only the
last test reads heap sizes: the mutants it kills change nothing but memory."""

from __future__ import annotations

import pytest

from tests.engine.helpers import T0, engine_with, open_ok
from tests.engine.test_trailing_cohorts import Run
from velox.engine.commands import ClosePosition, PriceTick
from velox.engine.events import PositionClosed
from velox.engine.formulas import quote
from velox.engine.state import Position
from velox.engine.triggers import TAKE_PROFIT, TriggerIndex, trigger_reason
from velox.money import units

BTC = "BTCUSDT"


def walk(run: Run, step: int, ticks: int) -> None:
    for _ in range(ticks):
        run.tick(step)


def fired_by(run: Run, step: int) -> list[str]:
    """Tick once; the order ids the tick closed."""
    before = set(run.positions)
    run.tick(step)
    return sorted(before - set(run.positions), key=int)


# -- compaction ---------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_cohorts_opened_while_stale_entries_pile_up_still_follow_and_fire(side: str) -> None:
    """The price drifts against the marks (down for a LONG, up for a SHORT) while a trader
    keeps one trailing position open, opening the next before closing the last: each close
    leaves stale entries behind the live ones in the index's heaps of marks and levels, so
    both heaps compact every few dozen opens. A position opened as the heap of marks
    compacts must still follow the next better price: the index once pushed the new
    cohort's entry before compacting, the compaction dropped it (the cohort had no member
    yet) and that position's mark stopped moving. Two older positions must keep their level
    and their mark through every compaction: one fires at its level with no mark moved
    since, the other alone follows the next rise."""
    run = Run()
    away = -1 if side == "LONG" else 1
    run.open(side, 150, 1)  # "1": mark 998 / 1002, level 848 / 1152, liquidation 800 / 1200
    run.open(side, 170, 1)  # "2": same mark, level 828 / 1172
    last = None
    for _ in range(120):
        run.tick(away)
        run.open(side, 500, 1)
        if last is not None:
            run.close_id(last)
        last = max(run.positions, key=int)
        bid, ask = run.quote
        run.tick(-away)  # one unit better: the newest mark follows (Run checks every mark)
        assert run.positions[last].trailing_mark == (bid + 1 if side == "LONG" else ask - 1)
        run.tick(away)
    assert sorted(run.positions, key=int) == ["1", "2", last]  # price 880 / 1120
    walk(run, away, 29)
    assert fired_by(run, away) == ["1"]  # bid 848 = 998 - 150 / ask 1152 = 1002 + 150
    run.close_id(last)  # (else its mark would rise into the cohort of "2" and carry it)
    walk(run, -away, 160)  # price 1010 / 990: the mark of "2" follows the new best price
    assert run.positions["2"].trailing_mark == (1008 if side == "LONG" else 992)
    walk(run, away, 169)  # price 841 / 1159: the level of "2" is 838 / 1162, one unit away
    assert fired_by(run, away) == ["2"]  # bid 838 = 1008 - 170 / ask 1162 = 992 + 170


@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_a_cohort_with_a_member_modified_80_times_fires_each_member_at_its_level(
    side: str,
) -> None:
    """One member's distance changes 80 times (each change files it again and leaves a stale
    entry under its neighbour's smaller distance), so the cohort's heap of distances
    compacts; each member still fires at exactly mark -/+ its last distance."""
    run = Run()
    run.open(side, 5, 1)  # "1": distance 5
    run.open(side, 20, 1)  # "2": same quote, same cohort
    for i in range(80):
        run.distance(1, 20 + i % 2)
    run.distance(1, 12)  # "2" ends at distance 12; mark 998 / 1002
    away = -1 if side == "LONG" else 1
    walk(run, away, 4)
    assert fired_by(run, away) == ["1"]  # bid 993 = 998 - 5 / ask 1007 = 1002 + 5
    walk(run, away, 6)
    assert fired_by(run, away) == ["2"]  # bid 986 = 998 - 12 / ask 1014 = 1002 + 12


def long_at(oid: str, stop_loss: int, take_profit: int) -> Position:
    return Position(oid, "u", BTC, "LONG", 10, 1, 1, 1000, 500, stop_loss, take_profit,
                    None, None, 0)  # fmt: skip


def test_positions_fire_at_their_last_stops_after_the_stop_heaps_compact() -> None:
    """A stop-loss and take-profit modified 80 times compact both heaps of the book; the
    modified position fires at its last levels only, and its untouched neighbour at its
    own."""
    index = TriggerIndex()
    calm = long_at("1", 900, 1100)
    busy = long_at("2", 950, 1050)
    index.add(calm)
    index.add(busy)
    for i in range(80):
        busy.stop_loss, busy.take_profit = 941 + i % 10, 1051 + i % 9
        index.changed(busy)
    busy.stop_loss, busy.take_profit = 940, 1060
    index.changed(busy)

    def fired(bid: int) -> list[str]:
        return [p.order_id for p in index.fired(BTC, bid, bid + 4)]

    assert fired(941) == [] and fired(1059) == []  # the old levels are gone
    assert fired(940) == ["2"]
    index.remove(busy)
    assert fired(901) == [] and fired(1099) == []
    assert fired(1100) == ["1"]
    index.remove(calm)


# -- equal levels: entries tie on their key and compare their tiebreaks --------------------
def test_two_cohorts_filed_at_the_same_level_fire_together() -> None:
    run = Run()
    run.open("LONG", 10, 1)  # "1": mark 998, level 988
    run.tick(-3)
    run.open("LONG", 7, 1)  # "2": mark 995, level 988
    walk(run, -1, 6)
    assert fired_by(run, -1) == ["1", "2"]  # bid 988


def test_a_cohort_moved_onto_another_cohorts_level_fires_with_it() -> None:
    run = Run()
    run.open("LONG", 10, 1)  # "1": mark 998, level 988
    run.tick(-8)
    run.open("LONG", 5, 1)  # "2": mark 990, level 985
    run.tick(+3)  # bid 993: "2" moves to 993, level 988
    assert run.positions["2"].trailing_mark == 993
    walk(run, -1, 4)
    assert fired_by(run, -1) == ["1", "2"]  # bid 988


def test_a_cohort_filed_again_after_a_fire_at_another_cohorts_level_fires_with_it() -> None:
    run = Run()
    run.open("LONG", 5, 1)  # "1": mark 998, level 993
    run.open("LONG", 12, 1)  # "2": mark 998, level 986
    run.tick(-3)
    run.open("LONG", 9, 1)  # "3": mark 995, level 986
    walk(run, -1, 1)
    assert fired_by(run, -1) == ["1"]  # bid 993; the cohort of "2" is filed again at 986
    walk(run, -1, 6)
    assert fired_by(run, -1) == ["2", "3"]  # bid 986


# -- merges ---------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_a_bigger_cohort_moved_onto_a_smaller_ones_mark_keeps_following(side: str) -> None:
    """Three positions reach the mark of one older position: they merge into one cohort (the
    bigger one survives, the older one's cohort is retired), and the next better price
    moves all four marks once."""
    run = Run()
    away = -1 if side == "LONG" else 1
    run.open(side, 30, 1)  # "1": mark 998 / 1002
    run.tick(3 * away)
    run.open(side, 30, 3)  # "2".."4": mark 995 / 1005
    run.tick(-3 * away)  # back: "2".."4" move to 998 / 1002
    run.tick(-2 * away)  # a better price: all four move to 1000
    assert {p.trailing_mark for p in run.positions.values()} == {1000}
    walk(run, 2 * away, 14)  # 1000 -/+ 28: none fires yet
    assert fired_by(run, 2 * away) == ["1", "2", "3", "4"]  # 1000 -/+ 30


# -- memory -----------------------------------------------------------------------------------
def test_the_heaps_stay_bounded_while_trailing_positions_come_and_go() -> None:
    """2,000 trailing LONGs opened, moved by a rising bid and closed, one at a time, beside
    one that stays and is then changed 2,000 times without a new level: no heap of the
    book keeps the stale entries (their levels are never reached, so only compaction removes
    them) or files an unchanged level again."""
    run = Run()
    run.open("LONG", 900, 1)
    for _ in range(2000):
        run.open("LONG", 50, 1)
        run.tick(+1)  # every mark moves
        run.close_id(max(run.positions, key=int))
    run.distance(0, 40)  # nearer than the closed ones' 50: its own level is filed
    for _ in range(2000):  # then changed 2,000 times at that level, as funding charges do
        run.distance(0, 40)
    book = run.index._books[("BTCUSDT", "LONG")]
    assert list(run.positions) == ["1"] and len(book.cohorts) == 1
    (cohort,) = book.cohorts.values()
    for heap in (book.adverse, book.target, book.by_mark, book.by_level, cohort.distances):
        assert len(heap) <= 200  # a few times the live entries plus a slack, not 2,000


# -- the reason ------------------------------------------------------------------------------
@pytest.mark.parametrize("side", ["LONG", "SHORT"])
def test_a_take_profit_not_reached_is_no_reason(side: str) -> None:
    """``trigger_reason`` names why a position closes, or None: a take-profit the quote
    does not reach is none (the engine asks only about positions the index fired)."""
    liq, tp = (500, 1100) if side == "LONG" else (1500, 900)
    pos = Position("1", "u", BTC, side, 10, 1, 1, 1000, liq, None, tp, None, None, 0)
    assert trigger_reason(pos, 998, 1002) is None
    assert trigger_reason(pos, 1100, 1104 if side == "LONG" else 900) == TAKE_PROFIT
    pos.take_profit = None
    assert trigger_reason(pos, 998, 1002) is None


# -- through the engine --------------------------------------------------------------------
def test_an_engine_trailing_long_opened_on_a_falling_price_trails_the_next_rise() -> None:
    """The compaction bug above through the engine: 150 trailing LONGs opened one after
    another on a falling price, each closed once the next is open; after every rise of the
    bid the open one's mark is that bid, and its stop fires at exactly mark - distance."""
    engine = engine_with(balance="1000000")
    ref = units("100000")
    step = units("10")
    engine.on_tick(PriceTick(BTC, ref, T0))
    last = None
    for i in range(1, 151):
        ts = T0 + 3 * i
        ref -= step
        engine.on_tick(PriceTick(BTC, ref, ts))
        opened = open_ok(engine, asset=BTC, side="LONG", leverage=2, margin=units("100"),
                         trailing_stop=units("500"), ts=ts)  # fmt: skip
        if last is not None:
            assert engine.handle(ClosePosition("alice", last, ts)).ok
        last = opened.order_id
        engine.on_tick(PriceTick(BTC, ref + step, ts + 1))  # a rise: the mark follows
        assert engine.positions[last].trailing_mark == engine.quotes[BTC].bid
        engine.on_tick(PriceTick(BTC, ref, ts + 2))
    assert last is not None
    mark = engine.positions[last].trailing_mark
    assert mark is not None
    out = engine.on_tick(PriceTick(BTC, ref - units("460"), T0 + 1000))  # bid above the stop
    assert [e for e in out if isinstance(e, PositionClosed)] == []
    level = mark - units("500")
    ref = level * 2000 // 1999 + 2
    while quote(ref, engine.settings.spread)[0] > level:  # the ref whose bid is the level
        ref -= 1
    assert quote(ref, engine.settings.spread)[0] == level
    (closed,) = [e for e in engine.on_tick(PriceTick(BTC, ref, T0 + 1001))
                 if isinstance(e, PositionClosed)]  # fmt: skip
    assert (closed.order_id, closed.reason, closed.close_price) == (last, "TRAILING_STOP", level)
