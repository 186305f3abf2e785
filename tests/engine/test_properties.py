"""Property tests: random command/tick sequences against a naive oracle.

(a) money is conserved to the unit after every step; (b) the trigger index closes exactly
the positions a full scan would, with the same reasons and prices, and moves exactly the
trailing marks a scan would; (c) export/restore and replaying every event rebuild the same
state.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from velox.engine.commands import (
    AddMargin,
    ClosePosition,
    Deposit,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.engine import Engine
from velox.engine.events import Event, MarksMoved, PositionClosed
from velox.engine.formulas import close_price, quote
from velox.engine.settings import EngineSettings
from velox.engine.triggers import mark_moves, scan_fired, trigger_reason
from velox.engine.views import ledger
from velox.money import SCALE

USERS = ("u1", "u2", "u3")
ASSETS = ("BTCUSDT", "ETHUSDT")
BASE = {"BTCUSDT": 100_000 * SCALE, "ETHUSDT": 3_000 * SCALE}
T0 = 1_700_000_000_000

money = st.integers(min_value=SCALE, max_value=400 * SCALE)
# A tick moves the asset's last price by a step in basis points: runs of steps make trends
# that reach stops, targets, trailing levels and liquidations; a zero step repeats a price.
step = st.integers(min_value=-600, max_value=600)

ticks = st.tuples(st.just("tick"), st.sampled_from(ASSETS), step)
opens = st.tuples(
    st.just("open"),
    st.sampled_from(USERS),
    st.sampled_from(ASSETS),
    st.sampled_from(("LONG", "SHORT")),
    st.integers(min_value=1, max_value=100),
    money,
    st.one_of(st.none(), st.integers(10, 1500)),  # stop-loss distance, bps
    st.one_of(st.none(), st.integers(10, 1500)),  # take-profit distance, bps
    st.one_of(st.none(), st.integers(6, 800)),  # trailing distance, bps
)
closes = st.tuples(st.just("close"), st.integers(0, 50), st.one_of(st.none(), st.integers(1, 99)))
margins = st.tuples(st.just("margin"), st.integers(0, 50), money)
modifies = st.tuples(
    st.just("modify"),
    st.integers(0, 50),
    st.one_of(st.none(), st.integers(10, 1500)),
    st.one_of(st.none(), st.integers(6, 800)),
)
ops = st.lists(
    st.one_of(ticks, ticks, ticks, opens, opens, closes, margins, modifies),
    min_size=5,
    max_size=80,
)


def bps(price: int, n: int) -> int:
    return price * n // 10_000


def run_ops(
    engine: Engine, program: list[tuple[Any, ...]], journal: list[Event], ts: int = T0
) -> None:
    for asset in ASSETS:  # every run starts with a price for each asset
        ts += 1
        check_tick_against_oracle(engine, PriceTick(asset, BASE[asset], ts), journal)
    for op in program:
        ts += 100
        kind = op[0]
        if kind == "tick":
            _, asset, off = op
            last = engine.quotes[asset].ref
            ref = max(SCALE, last + bps(last, off))
            check_tick_against_oracle(engine, PriceTick(asset, ref, ts), journal)
        elif kind == "open":
            _, user, asset, side, lev, margin, sl, tp, trail = op
            q = engine.quotes.get(asset)
            ref = q.ref if q else BASE[asset]
            sign = 1 if side == "LONG" else -1
            cmd = OpenPosition(
                user,
                asset,
                side,
                lev,
                ts,
                margin=margin,
                stop_loss=None if sl is None else ref - sign * bps(ref, sl),
                take_profit=None if tp is None else ref + sign * bps(ref, tp),
                trailing_stop=None if trail is None else bps(ref, trail),
            )
            journal.extend(engine.handle(cmd).events)
        else:
            ids = sorted(engine.positions, key=int)
            if not ids:
                continue
            oid = ids[op[1] % len(ids)]
            pos = engine.positions[oid]
            if kind == "close":
                cmd2: Any = ClosePosition(pos.user_id, oid, ts, percent=op[2])
            elif kind == "margin":
                cmd2 = AddMargin(pos.user_id, oid, op[2], ts)
            else:
                q = engine.quotes.get(pos.asset)
                ref = q.ref if q else BASE[pos.asset]
                sign = 1 if pos.side == "LONG" else -1
                sl = None if op[2] is None else ref - sign * bps(ref, op[2])
                trail = None if op[3] is None else bps(ref, op[3])
                cmd2 = ModifyPosition(pos.user_id, oid, ts, stop_loss=sl, trailing_stop=trail)
            journal.extend(engine.handle(cmd2).events)
        assert ledger(engine)["conserved"], ledger(engine)
        assert all(a.balance >= 0 for a in engine.accounts.values())


def check_tick_against_oracle(engine: Engine, tick: PriceTick, journal: list[Event]) -> None:
    bid, ask = quote(tick.price, engine.settings.spread)
    positions = list(engine.positions.values())
    expected_closes = {
        p.order_id: (trigger_reason(p, bid, ask), close_price(p.side, bid, ask))
        for p in scan_fired(positions, tick.asset, bid, ask)
    }
    expected_marks = {
        p.order_id: mark_moves(p, bid, ask)
        for p in positions
        if p.asset == tick.asset
        and p.order_id not in expected_closes
        and mark_moves(p, bid, ask) is not None
    }
    before_marks = {p.order_id: p.trailing_mark for p in positions}
    events = engine.on_tick(tick)
    journal.extend(events)
    got_closes = {
        e.order_id: (e.reason, e.close_price) for e in events if isinstance(e, PositionClosed)
    }
    moved = [e for e in events if isinstance(e, MarksMoved)]
    assert len(moved) == (1 if expected_marks else 0)  # one event per tick, however many move
    got_marks = {
        oid: engine.positions[oid].trailing_mark
        for oid in engine.positions
        if engine.positions[oid].trailing_mark != before_marks.get(oid)
    }
    assert got_closes == expected_closes
    assert got_marks == expected_marks


def fresh_engine() -> Engine:
    engine = Engine(EngineSettings(max_open_positions=30))
    for user in USERS:
        engine.handle(OpenAccount(user, T0))
    engine.handle(Deposit("u1", 5000 * SCALE, T0))
    return engine


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_random_runs_conserve_match_oracle_and_replay(program: list[tuple[Any, ...]]) -> None:
    engine = Engine(EngineSettings(max_open_positions=30))
    journal: list[Event] = []
    for user in USERS:
        journal.extend(engine.handle(OpenAccount(user, T0)).events)
    journal.extend(engine.handle(Deposit("u1", 5000 * SCALE, T0)).events)
    run_ops(engine, program, journal)

    state = engine.export()
    assert Engine.restore(state, engine.settings).export() == state
    replayed = Engine(engine.settings)
    for event in journal:
        replayed.apply(event)
    assert replayed.export() == state


@settings(max_examples=60, deadline=None)
@given(ops, ops)
def test_restored_engine_behaves_like_the_original(
    first: list[tuple[Any, ...]], second: list[tuple[Any, ...]]
) -> None:
    """A snapshot mid-run, restored, reacts to the rest of the run exactly as the original."""
    original = fresh_engine()
    run_ops(original, first, [])
    restored = Engine.restore(original.export(), original.settings)
    restored.quotes = dict(original.quotes)
    run_ops(original, second, [], T0 + 10_000_000)
    run_ops(restored, second, [], T0 + 10_000_000)
    assert restored.export() == original.export()


@settings(max_examples=80, deadline=None)
@given(ops, ops, st.integers(min_value=1, max_value=5))
def test_export_in_steps_while_running_equals_the_state_when_it_began(
    first: list[tuple[Any, ...]], second: list[tuple[Any, ...]], chunk: int
) -> None:
    """Copy-on-write export: the engine keeps changing while rows are taken a few at a
    time, and the result is exactly the state at the moment the export began."""
    engine = fresh_engine()
    run_ops(engine, first, [])
    expected = engine.export()
    export = engine.begin_export()
    ts = T0 + 10_000_000
    for i in range(0, max(1, len(second)), 3):
        run_ops(engine, second[i : i + 3], [], ts + i * 1000)
        export.step(chunk)
    while not export.step(chunk):
        pass
    engine.end_export()
    assert export.result() == expected
    assert Engine.restore(export.result(), engine.settings).export() == expected
