"""Property tests: random runs of commands and ticks, checked against an independent oracle.

``tests/engine/oracle.py`` computes every number from SPEC.md with its own exact arithmetic
and finds triggers by scanning, importing nothing from ``velox``. After every step of a run
the engine must agree with it to the unit: each open position's terms (margin, qty, open and
liquidation price, stops, trailing mark read from the state), each closed position's reason,
close price, PnL and the trader's settlement, every balance and the house, the account
figures of SPEC section 3, and whether a command was accepted (a refusal must name a rule the
command really breaks, and change nothing). Then export/restore and replaying the journal
must rebuild the same state.

The walks are steered so triggers are common: prices move in trends, leverage is often high,
stops and trailing distances are drawn near the price and quotes age past ``max_price_age``
(and exactly to it). Two runs of ``test_random_runs_match_the_oracle_and_replay`` (300
examples each) closed 129 / 134 positions by LIQUIDATION, 177 / 151 by TRAILING_STOP, 110 / 118
by STOP_LOSS, 108 / 165 by TAKE_PROFIT, 525 / 452 MANUAL and 443 / 491 PARTIAL, moved 743 / 925
trailing marks, and refused 443 / 418 commands as PRICE_STALE and 818 / 777 as NOT_FOUND
(another user's order). ``SEEN`` counts them: print it after a run to measure again.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine import oracle
from velox.engine.commands import (
    KEEP,
    AddMargin,
    ClosePosition,
    Deposit,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
    PriceTick,
)
from velox.engine.engine import Engine
from velox.engine.events import Event, PositionClosed, PositionPartiallyClosed
from velox.engine.settings import EngineSettings
from velox.engine.views import account_figures, ledger

S = oracle.S
USERS = ("u1", "u2", "u3")
ASSETS = ("BTCUSDT", "ETHUSDT")
BASE = {"BTCUSDT": 100_000 * S, "ETHUSDT": 3_000 * S}
T0 = 1_700_000_000_000
MAX_AGE = 10_000
STEP_MS = 50  # between steps: quotes age past MAX_AGE only when a step waits for it
# The rules of sections 3-4, whose oracle knows no funding: no boundaries (the runs cross
# some, and a close after one charges it; test_properties_v2 covers funding).
SETTINGS = EngineSettings(max_open_positions=30, max_price_age_ms=MAX_AGE, funding_interval_ms=0)
SEEN: Counter[str] = Counter()  # close reasons and mark moves over a session (see docstring)

# Margins with all 8 decimals, so a partial close's floor(margin * p / 100) rarely divides.
money = st.one_of(
    st.integers(min_value=S // 2, max_value=400 * S),
    st.sampled_from((S, 10 * S + 1, 33 * S + 33_333_333, 99_999_999, 1000 * S - 1, 2000 * S)),
)
leverage = st.one_of(st.integers(1, 100), st.integers(50, 100), st.sampled_from((75, 100)))
near = st.one_of(st.none(), st.integers(5, 300), st.integers(300, 2000))  # distance, bps
trail = st.one_of(st.none(), st.integers(3, 200), st.integers(200, 1000))

ticks = st.tuples(st.just("tick"), st.sampled_from(ASSETS), st.integers(-600, 600))
trends = st.tuples(  # a run of same-direction steps: reaches stops and liquidations
    st.just("trend"),
    st.sampled_from(ASSETS),
    st.sampled_from((-1, 1)),
    st.integers(2, 8),
    st.integers(5, 150),
)
opens = st.tuples(
    st.just("open"),
    st.sampled_from(USERS),
    st.sampled_from(ASSETS),
    st.sampled_from(("LONG", "SHORT")),
    leverage,
    st.one_of(money, st.tuples(st.just("qty"), st.integers(10**5, 10**7))),
    near,
    near,
    trail,
)
closes = st.tuples(st.just("close"), st.integers(0, 50), st.one_of(st.none(), st.integers(0, 100)))
margins = st.tuples(st.just("margin"), st.integers(0, 50), money)
modifies = st.tuples(
    st.just("modify"),
    st.integers(0, 50),
    st.one_of(st.just(KEEP), near),
    st.one_of(st.just(KEEP), near),
    st.one_of(st.just(KEEP), trail),
)
# A command exactly max age (-1, 0, +1 ms) after an asset's last tick, then fresh ticks.
waits = st.tuples(
    st.just("wait"), st.sampled_from(ASSETS), st.sampled_from((-1, 0, 1)), st.one_of(opens, closes)
)
foreign = st.tuples(st.just("foreign"), st.integers(0, 50), st.integers(0, 2))
ops = st.lists(
    st.one_of(
        ticks, trends, trends, waits, opens, opens, opens, closes, margins, modifies, foreign
    ),
    min_size=20,
    max_size=60,
)


def examples(n: int) -> int:
    """``n`` examples, or the profile's fewer (``--hypothesis-profile=mutation``)."""
    return min(n, settings.default.max_examples) if settings.default.max_examples < 100 else n


def bps(price: int, n: int) -> int:
    return price * n // 10_000


# -- reading the engine: the only place that knows where its state lives -----------------------
def observed(engine: Engine) -> tuple[dict[str, tuple[Any, ...]], dict[str, int], int]:
    """(open positions' terms, free balances, house) as a user and the ledger see them."""
    positions = {
        oid: (
            p.user_id,
            p.asset,
            p.side,
            p.leverage,
            p.margin,
            p.qty,
            p.open_price,
            p.liquidation_price,
            p.stop_loss,
            p.take_profit,
            p.trailing_stop,
            p.trailing_mark,
        )
        for oid, p in engine.positions.items()
    }
    balances = {}
    for user in USERS:  # each user's first (and only) account
        account = engine.account_of(user, None)
        assert account is not None
        balances[user] = account.balance
    return positions, balances, engine.house


def expected(model: oracle.Oracle) -> tuple[dict[str, tuple[Any, ...]], dict[str, int], int]:
    positions = {
        oid: (
            p.user,
            p.asset,
            p.side,
            p.leverage,
            p.margin,
            p.qty,
            p.open_price,
            p.liq,
            p.stop_loss,
            p.take_profit,
            p.trailing,
            p.mark,
        )
        for oid, p in model.positions.items()
    }
    return positions, dict(model.balances), model.house


def closed_by(events: list[Event] | tuple[Event, ...]) -> dict[str, oracle.Closed]:
    return {
        e.order_id: oracle.Closed(e.reason, e.close_price, e.pnl, e.settlement)
        for e in events
        if isinstance(e, PositionClosed)
    }


@dataclass
class Run:
    """One engine and the oracle, fed the same commands and ticks."""

    engine: Engine = field(default_factory=lambda: Engine(SETTINGS))
    model: oracle.Oracle = field(default_factory=lambda: oracle.Oracle(max_age_ms=MAX_AGE))
    journal: list[Event] = field(default_factory=list)
    now: int = T0
    funded: bool = False  # a restored engine and a copied oracle already hold the deposits

    def __post_init__(self) -> None:
        if self.funded:
            return
        for user in USERS:
            self.journal.extend(self.engine.handle(OpenAccount(user, self.now)).events)
            self.model.deposit(user, SETTINGS.initial_balance)
        self.journal.extend(self.engine.handle(Deposit("u1", 5000 * S, self.now)).events)
        self.model.deposit("u1", 5000 * S)

    def agree(self) -> None:
        assert observed(self.engine) == expected(self.model)
        m = self.model
        assert ledger(self.engine) == {  # GET /api/v1/admin/ledger
            "deposits": m.deposits,
            "balances": sum(m.balances.values()),
            "lockedMargin": sum(p.margin for p in m.positions.values()),
            "pendingMargin": 0,
            "house": m.house,
            "conserved": True,
        }
        for user in USERS:
            f = account_figures(self.engine, user)
            got = (f.balance, f.used_margin, f.unrealized_pnl, f.equity, f.margin_level)
            assert got == self.model.figures(user), user
            assert f.free_margin == f.balance

    def tick(self, asset: str, ref: int) -> None:
        events = self.engine.on_tick(PriceTick(asset, ref, self.now))
        self.journal.extend(events)
        closes, moved = self.model.tick(asset, ref, self.now)
        assert closed_by(events) == closes
        SEEN.update(c.reason for c in closes.values())
        SEEN["mark moves"] += len(moved)

    def submit(self, command: Any, broken: set[str]) -> tuple[Event, ...] | None:
        """Events of an accepted command; None if refused, for a rule in ``broken``."""
        outcome = self.engine.handle(command)
        if outcome.refusal is not None:
            assert outcome.events == ()
            assert str(outcome.refusal.code) in broken, (outcome.refusal, broken)
            SEEN[str(outcome.refusal.code)] += 1
            return None
        assert not broken, (command, broken)
        self.journal.extend(outcome.events)
        return outcome.events

    def pick(self, n: int) -> str | None:
        ids = sorted(self.model.positions, key=int)
        return ids[n % len(ids)] if ids else None

    def step(self, op: tuple[Any, ...]) -> None:
        self.now += STEP_MS
        kind = op[0]
        if kind == "tick":
            _, asset, off = op
            last = self.engine.quotes[asset].ref
            self.tick(asset, max(S, last + bps(last, off)))
        elif kind == "trend":
            _, asset, sign, n, size = op
            for _ in range(n):
                last = self.engine.quotes[asset].ref
                self.tick(asset, max(S, last + sign * bps(last, size)))
                self.now += 10
        elif kind == "wait":  # the next command comes exactly max age (+-1 ms) after a tick
            _, asset, extra, command = op
            self.now = max(self.now, self.model.quotes[asset][2] + MAX_AGE + extra - STEP_MS)
            self.step(command)
            for name in ASSETS:  # time jumped for every asset: fresh prices again
                self.tick(name, self.engine.quotes[name].ref)
        elif kind == "open":
            self.open(*op[1:])
        elif (oid := self.pick(op[1])) is not None:
            act: Any = {"close": self.close, "margin": self.add_margin, "modify": self.modify}
            act.get(kind, self.foreign)(oid, *op[2:])

    def open(
        self,
        user: str,
        asset: str,
        side: str,
        lev: int,
        amount: Any,
        sl: int | None,
        tp: int | None,
        trailing: int | None,
    ) -> None:
        ref = self.engine.quotes[asset].ref
        sign = 1 if side == "LONG" else -1
        by_qty = isinstance(amount, tuple)
        stop_loss = None if sl is None else ref - sign * bps(ref, sl)
        take_profit = None if tp is None else ref + sign * bps(ref, tp)
        distance = None if trailing is None else bps(ref, trailing)
        command = OpenPosition(
            user,
            asset,
            side,
            lev,
            self.now,
            margin=None if by_qty else amount,
            qty=amount[1] if by_qty else None,
            stop_loss=stop_loss,
            take_profit=take_profit,
            trailing_stop=distance,
        )
        m = self.model
        broken: set[str] = set()
        if sum(p.user == user for p in m.positions.values()) >= SETTINGS.max_open_positions:
            broken.add("TOO_MANY_POSITIONS")
        q = m.fresh(asset, self.now)
        if q is None:
            broken.add("PRICE_STALE")
            if not by_qty and amount > m.balances[user]:
                broken.add("INSUFFICIENT_BALANCE")
            if not by_qty and amount < SETTINGS.min_margin:
                broken.add("MARGIN_TOO_SMALL")
            assert self.submit(command, broken) is None
            return
        bid, ask = q
        price, margin, qty = m.open_terms(
            side, lev, bid, ask, None if by_qty else amount, amount[1] if by_qty else None
        )
        if qty == 0 or margin < SETTINGS.min_margin:
            broken.add("MARGIN_TOO_SMALL")
        if margin > m.balances[user]:
            broken.add("INSUFFICIENT_BALANCE")
        broken |= m.stops_broken(side, bid, ask, stop_loss, take_profit, distance, None)
        before = set(self.engine.positions)
        if self.submit(command, broken) is None:
            return
        (oid,) = set(self.engine.positions) - before
        mark = None if distance is None else (bid if side == "LONG" else ask)
        liq = oracle.liquidation(side, price, margin, qty, m.mmr)
        m.open(
            oid,
            oracle.Pos(
                user, asset, side, lev, margin, qty, price, liq, stop_loss, take_profit,
                distance, mark,
            ),
        )  # fmt: skip

    def close(self, oid: str, percent: int | None) -> None:
        m = self.model
        pos = m.positions[oid]
        command = ClosePosition(pos.user, oid, self.now, percent=percent)
        broken = set()
        if m.fresh(pos.asset, self.now) is None:
            broken.add("PRICE_STALE")
        if percent is not None and (not 1 <= percent <= 99 or m.split(oid, percent) is None):
            broken.add("VALIDATION_ERROR")
        events = self.submit(command, broken)
        if events is None:
            return
        if percent is None:
            assert closed_by(events) == {oid: m.close(oid, self.now)}
            SEEN["MANUAL"] += 1
            return
        (part,) = [e for e in events if isinstance(e, PositionPartiallyClosed)]
        assert (part.part_qty, part.part_margin) == m.split(oid, percent)
        want = m.close_part(oid, percent, self.now)
        assert oracle.Closed("PARTIAL", part.close_price, part.pnl, part.settlement) == want
        SEEN["PARTIAL"] += 1

    def add_margin(self, oid: str, amount: int) -> None:
        m = self.model
        pos = m.positions[oid]
        broken = set() if amount <= m.balances[pos.user] else {"INSUFFICIENT_BALANCE"}
        if self.submit(AddMargin(pos.user, oid, amount, self.now), broken) is not None:
            m.add_margin(oid, amount)

    def modify(self, oid: str, sl: Any, tp: Any, trailing: Any) -> None:
        m = self.model
        pos = m.positions[oid]
        sign = 1 if pos.side == "LONG" else -1
        bid, ask, _ = m.quotes[pos.asset]  # modify judges against the last quote, even stale
        ref = self.engine.quotes[pos.asset].ref
        change: dict[str, int | None] = {}
        if sl is not KEEP:
            change["stop_loss"] = None if sl is None else ref - sign * bps(ref, sl)
        if tp is not KEEP:
            change["take_profit"] = None if tp is None else ref + sign * bps(ref, tp)
        if trailing is not KEEP:
            change["trailing_stop"] = None if trailing is None else bps(ref, trailing)
        stop_loss = change.get("stop_loss", pos.stop_loss)
        take_profit = change.get("take_profit", pos.take_profit)
        distance = change.get("trailing_stop", pos.trailing)
        if distance is None:
            mark = None
        elif pos.mark is None:  # a new trailing stop starts at the current bid / ask
            mark = bid if pos.side == "LONG" else ask
        else:
            mark = pos.mark
        broken = m.stops_broken(pos.side, bid, ask, stop_loss, take_profit, distance, mark)
        command = ModifyPosition(pos.user, oid, self.now, **change)
        if self.submit(command, broken) is not None:
            pos.stop_loss, pos.take_profit, pos.trailing, pos.mark = (
                stop_loss,
                take_profit,
                distance,
                mark,
            )

    def foreign(self, oid: str, which: int) -> None:
        """Another user closes, adds margin to or modifies this order: 404, nothing moves."""
        owner = self.model.positions[oid].user
        other = next(u for u in USERS if u != owner)
        command: Any = (
            ClosePosition(other, oid, self.now),
            AddMargin(other, oid, S, self.now),
            ModifyPosition(other, oid, self.now, stop_loss=None),
        )[which]
        assert self.submit(command, {"NOT_FOUND"}) is None

    def play(self, program: list[tuple[Any, ...]]) -> None:
        for asset in ASSETS:  # every run starts with a price for each asset
            self.now += 1
            self.tick(asset, BASE[asset])
        for op in program:
            self.step(op)
            self.agree()


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_random_runs_match_the_oracle_and_replay(program: list[tuple[Any, ...]]) -> None:
    run = Run()
    run.play(program)
    state = run.engine.export()
    assert Engine.restore(state, SETTINGS).export() == state
    replayed = Engine(SETTINGS)
    for event in run.journal:
        replayed.apply(event)
    assert replayed.export() == state


@settings(max_examples=examples(60), deadline=None)
@given(ops, ops)
def test_restored_engine_behaves_like_the_original(
    first: list[tuple[Any, ...]], second: list[tuple[Any, ...]]
) -> None:
    """A snapshot mid-run, restored, reacts to the rest of the run exactly as the original
    and as the oracle."""
    original = Run()
    original.play(first)
    restored = Engine.restore(original.engine.export(), SETTINGS)
    restored.quotes = dict(original.engine.quotes)
    twin = Run(restored, copy.deepcopy(original.model), [], original.now, funded=True)
    original.now = twin.now = original.now + 10_000_000
    for run in (original, twin):
        for op in second:
            run.step(op)
            run.agree()
    assert restored.export() == original.engine.export()


@settings(max_examples=examples(80), deadline=None)
@given(ops, ops, st.integers(min_value=1, max_value=5))
def test_export_in_steps_while_running_equals_the_state_when_it_began(
    first: list[tuple[Any, ...]], second: list[tuple[Any, ...]], chunk: int
) -> None:
    """Copy-on-write export: the engine keeps changing while rows are taken a few at a
    time, and the result is exactly the state at the moment the export began."""
    run = Run()
    run.play(first)
    expected_state = run.engine.export()
    export = run.engine.begin_export()
    run.now += 10_000_000
    for i in range(0, max(1, len(second)), 3):
        for op in second[i : i + 3]:
            run.step(op)
            run.agree()
        export.step(chunk)
    while not export.step(chunk):
        pass
    run.engine.end_export()
    assert export.result() == expected_state
    assert Engine.restore(export.result(), SETTINGS).export() == expected_state


def test_the_oracle_reproduces_the_worked_examples() -> None:
    """The oracle itself is checked against SPEC's worked examples, like the engine."""
    from tests.vectors import load

    for case in load("positions")["cases"]:
        s = case["settings"]
        spread, mmr = Fraction(s["spread"]), Fraction(s["mmr"])
        bid, ask = oracle.quote(_units(case["ref"]), spread)
        assert (bid, ask) == (_units(case["bid"]), _units(case["ask"])), case["name"]
        o, exp = case["open"], case["expect"]
        price, margin, qty = oracle.Oracle(spread=spread).open_terms(
            o["side"],
            o["leverage"],
            bid,
            ask,
            _units(o["margin"]) if "margin" in o else None,
            _units(o["qty"]) if "qty" in o else None,
        )
        liq = oracle.liquidation(o["side"], price, margin, qty, mmr)
        assert (price, margin, qty, liq) == tuple(
            _units(exp[k]) for k in ("openPrice", "margin", "qty", "liquidationPrice")
        ), case["name"]


def _units(text: str) -> int:
    value = Fraction(text) * S
    assert value.denominator == 1
    return int(value)
