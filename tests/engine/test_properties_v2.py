"""Engine v2 property tests (issue 12): random sequences of every command, tick, clock and
funding boundary, checked against the naive oracle of oracle_v2.py (written from SPEC 12):

- conservation to the unit after every step: free + locked + pending + house == deposits;
- the pending index fills exactly what a naive scan reaches, at the oracle's prices and
  sizes, in orderId order;
- each funding boundary is charged at most once per position, by the oracle's amount;
- replaying the journal equals the live state, and so does a snapshot restore;
- every close's fill reports what moved money (the oracle's ``close_paid``: a settlement
  capped at 0 pays the fee only as far as margin + pnl covers it, and loses at most the
  margin), and for every account, after every step, its cash (free + locked + reserved) ==
  its deposits + sum(fill realizedPnl) - sum(fill fees) + its funding, and its ``fees``
  figure == sum(fill fees). Before the close fills were capped this failed on the first
  liquidation past the margin (the fill said the formula's loss and fee).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.engine import oracle_v2 as oracle
from velox.engine.commands import (
    CancelOrder,
    ClockTick,
    ClosePosition,
    CreateAccount,
    ModifyOrder,
    OpenAccount,
    OpenPosition,
    PlaceOco,
    PriceTick,
)
from velox.engine.engine import Engine
from velox.engine.events import (
    Deposited,
    Event,
    FundingCharged,
    OrderCancelled,
    PositionClosed,
    PositionIncreased,
    PositionOpened,
    PositionPartiallyClosed,
)
from velox.engine.settings import EngineSettings
from velox.engine.views import account_figures, cash_change, fills_of

S = 10**8
T0 = 1_700_000_000_000
ASSETS = ("BTCUSDT", "ETHUSDT")
BASE = {"BTCUSDT": 100_000 * S, "ETHUSDT": 3_000 * S}
USERS = ("u0", "u1", "u2")
SETTINGS = EngineSettings(
    taker_fee=50_000,
    maker_fee=20_000,
    funding_interval_ms=60_000,
    funding_rate=100_000,  # 0.001: large enough to move margins visibly
    max_open_positions=12,
)

side = st.sampled_from(("LONG", "SHORT"))
gaps = st.tuples(
    st.just("tick"),
    st.integers(0, 1),
    st.sampled_from((-1, 1)).flatmap(lambda sign: st.integers(150, 1200).map(lambda n: sign * n)),
)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(0, 1), st.integers(-600, 600)),
        st.tuples(st.just("tick"), st.integers(0, 1), st.integers(-600, 600)),
        # gaps: liquidations whose settlement is capped at 0 (fee or loss past the margin)
        gaps,
        gaps,
        st.tuples(
            st.just("market"),
            st.integers(0, 5),
            side,
            st.sampled_from((10, 10, 50, 100)),
            st.integers(5, 120),
        ),
        st.tuples(
            st.just("pending"),
            st.integers(0, 5),
            side,
            st.sampled_from((10, 10, 50)),
            st.sampled_from(("LIMIT", "STOP")),
            st.integers(5, 200),
            st.booleans(),
            st.one_of(st.none(), st.integers(1, 8)),
        ),
        st.tuples(st.just("oco"), st.integers(0, 5), side, st.integers(10, 150)),
        st.tuples(st.just("cancel"), st.integers(0, 99)),
        st.tuples(st.just("modify"), st.integers(0, 99), st.integers(-100, 100)),
        st.tuples(st.just("close"), st.integers(0, 99), st.one_of(st.none(), st.integers(1, 99))),
        st.tuples(st.just("clock"), st.integers(1, 70), st.integers(1, 4)),
    ),
    min_size=5,
    max_size=60,
)


class Run:
    def __init__(self) -> None:
        self.engine = Engine(SETTINGS)
        self.journal: list[Event] = []
        self.ts = T0
        self.refs = dict(BASE)
        self.charged: set[tuple[str, int]] = set()
        # per account, from the journal: deposits + funding, and the fills' realized - fees
        self.flows: dict[str, int] = {}
        self.fills: dict[str, int] = {}
        self.fees: dict[str, int] = {}
        self.capped = 0  # closes whose settlement was capped (the walks do reach them)
        for user in USERS:
            self.do(OpenAccount(user, self.ts))
            self.do(CreateAccount(user, "net", "NETTING", self.ts))
        for a in range(len(ASSETS)):
            self.tick(a, 0)

    def do(self, command: Any) -> Any:
        before = self.cash()
        out = self.engine.handle(command)
        self.record(list(out.events))
        # each account's cash moved by what its events say (the Binance stream's running
        # wallet is built on views.cash_change)
        moved = dict.fromkeys(before, 0)
        for e in out.events:
            if (account := getattr(e, "account_id", None)) in moved:
                moved[account] += cash_change(e)
        after = self.cash()
        assert {a: before[a] + moved[a] for a in before} == {a: after[a] for a in before}
        return out

    def cash(self) -> dict[str, int]:
        """Account id -> free + locked + reserved."""
        e = self.engine
        out = {a.account_id: a.balance for a in e.accounts.values()}
        for p in e.positions.values():
            out[p.account_id or ""] += p.margin
        for o in e.pending.values():
            out[o.account_id] += o.reserved
        return out

    def record(self, events: list[Event]) -> None:
        self.journal.extend(events)
        for e in events:
            if isinstance(e, FundingCharged):
                key = (e.order_id, e.boundary)
                assert key not in self.charged, f"boundary charged twice: {key}"
                self.charged.add(key)
            self.see_money(e)
        self.check_money()
        self.check_accounts()

    def see_money(self, e: Event) -> None:
        """The journal's account flows and fills, each close's fill against the oracle."""
        account = getattr(e, "account_id", None)
        if isinstance(e, Deposited | FundingCharged) and account is not None:
            self.flows[account] = self.flows.get(account, 0) + e.amount
        if isinstance(e, Deposited) and e.kind == "RESET" and account is not None:
            self.fees[account] = 0
        for f in fills_of(e):
            assert f.account_id is not None
            self.fills[f.account_id] = self.fills.get(f.account_id, 0) + f.realized_pnl - f.fee
            self.fees[f.account_id] = self.fees.get(f.account_id, 0) + f.fee
        if isinstance(e, PositionClosed | PositionPartiallyClosed):
            margin = e.margin if isinstance(e, PositionClosed) else e.part_margin
            (f,) = fills_of(e)
            assert (f.fee, f.realized_pnl) == oracle.close_paid(margin, e.pnl, e.close_fee)
            assert margin + f.realized_pnl - f.fee == e.settlement
            self.capped += margin + e.pnl < e.close_fee

    def check_accounts(self) -> None:
        """Each account's cash == deposits + sum(realizedPnl) - sum(fees) + funding, and its
        ``fees`` figure is what its fills paid."""
        for account_id, cash in self.cash().items():
            flows = self.flows.get(account_id, 0) + self.fills.get(account_id, 0)
            assert cash == flows, f"account {account_id}: cash {cash} != {flows}"
            user = self.engine.accounts[account_id].user_id
            fees = account_figures(self.engine, user, account_id).fees
            assert fees == self.fees.get(account_id, 0), f"account {account_id} fees"

    def check_money(self) -> None:
        e = self.engine
        free = sum(a.balance for a in e.accounts.values())
        locked = sum(p.margin for p in e.positions.values())
        reserved = sum(o.reserved for o in e.pending.values())
        assert free + locked + reserved + e.house == e.deposits
        assert all(a.balance >= 0 for a in e.accounts.values())
        assert all(p.margin >= 0 for p in e.positions.values())

    def account(self, k: int) -> tuple[str, str]:
        user = USERS[k % len(USERS)]
        return user, self.engine.user_accounts[user][k // len(USERS) % 2]

    def tick(self, a: int, bps: int) -> None:
        asset = ASSETS[a]
        ref = max(S, self.refs[asset] * (10_000 + bps) // 10_000)
        self.refs[asset] = ref
        bid, ask = oracle.quote(ref, SETTINGS.spread)
        resting = [
            {
                "order_id": o.order_id,
                "asset": o.asset,
                "order_type": o.order_type,
                "side": o.side,
                "price": o.price,
            }
            for o in self.engine.pending.values()
        ]
        before = {o.order_id: o for o in self.engine.pending.values()}
        expected = oracle.scan(resting, asset, bid, ask)
        events = self.engine.on_tick(PriceTick(asset, ref, self.ts))
        q = self.engine.quotes[asset]
        assert (q.bid, q.ask) == (bid, ask)
        ended: list[str] = []  # pending orders the tick executed or rejected, in order
        oco_cancelled: set[str] = set()
        for ev in events:
            order_id = None
            if isinstance(ev, PositionOpened | PositionIncreased) and ev.order_id in before:
                order_id = ev.order_id
                o = before[order_id]
                price = ev.open_price if isinstance(ev, PositionOpened) else ev.price
                assert price == oracle.fill_price(o.order_type, o.side, o.price, bid, ask)
                assert ev.maker == (o.order_type == "LIMIT")
                if isinstance(ev, PositionOpened) and ev.reserved:  # a fresh position
                    qty, margin = oracle.sized(o.margin, o.qty, o.leverage, price)
                    assert (ev.qty, ev.margin) == (qty, margin)
                    rate = SETTINGS.maker_fee if ev.maker else SETTINGS.taker_fee
                    assert ev.fee == oracle.fee(price, qty, rate)
            elif isinstance(ev, PositionPartiallyClosed | PositionClosed) and ev.by_order_id:
                order_id = ev.by_order_id
            elif isinstance(ev, OrderCancelled) and ev.status == "REJECTED":
                order_id = ev.order_id
            elif isinstance(ev, OrderCancelled) and ev.status == "EXPIRED":
                order_id = ev.order_id  # reached, but past its expiry: never filled
                expiry = before[order_id].expires_at
                assert expiry is not None and expiry <= self.ts
            elif isinstance(ev, OrderCancelled) and ev.reason == "OCO":
                oco_cancelled.add(ev.order_id)
            if order_id is not None and order_id not in ended:
                ended.append(order_id)
        assert ended == sorted(ended, key=int), "pending orders out of orderId order"
        assert set(ended) <= set(expected), f"filled {ended}, scan reached {expected}"
        missing = set(expected) - set(ended)
        assert missing <= oco_cancelled, f"scan reached {missing}, not filled"
        self.record(events)

    def step(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        self.ts += 1_000
        e = self.engine
        if kind == "tick":
            self.tick(op[1], op[2])
        elif kind == "market":
            user, acc = self.account(op[1])
            self.do(
                OpenPosition(
                    user, ASSETS[op[1] % 2], op[2], op[3], self.ts, margin=op[4] * S, account_id=acc
                )
            )
        elif kind == "pending":
            _, k, sd, lev, otype, bps, by_qty, expiry = op
            user, acc = self.account(k)
            asset = ASSETS[k % 2]
            ref = self.refs[asset]
            below = (otype == "LIMIT") == (sd == "LONG")
            price = ref * (10_000 - bps if below else 10_000 + bps) // 10_000
            amount = (
                {"qty": 10**6 if asset == "BTCUSDT" else 10**7} if by_qty else {"margin": 40 * S}
            )
            self.do(
                OpenPosition(
                    user,
                    asset,
                    sd,
                    lev,
                    self.ts,
                    account_id=acc,
                    order_type=otype,
                    price=price,
                    expires_at=None if expiry is None else self.ts + expiry * 1_000,
                    **amount,  # type: ignore[arg-type]
                )
            )
        elif kind == "oco":
            _, k, sd, bps = op
            user, acc = self.account(k)
            asset = ASSETS[k % 2]
            ref = self.refs[asset]
            down, up = ref * (10_000 - bps) // 10_000, ref * (10_000 + bps) // 10_000
            limit_price, stop_price = (down, up) if sd == "LONG" else (up, down)
            legs = [
                OpenPosition(
                    user,
                    asset,
                    sd,
                    10,
                    self.ts,
                    margin=30 * S,
                    account_id=acc,
                    order_type=t,
                    price=p,
                )
                for t, p in (("LIMIT", limit_price), ("STOP", stop_price))
            ]
            self.do(PlaceOco(user, legs[0], legs[1], self.ts, account_id=acc))
        elif kind in ("cancel", "modify"):
            ids = sorted(e.pending, key=int)
            if ids:
                o = e.pending[ids[op[1] % len(ids)]]
                if kind == "cancel":
                    self.do(CancelOrder(o.user_id, o.order_id, self.ts))
                else:
                    price = max(1, o.price * (10_000 + op[2]) // 10_000)
                    self.do(ModifyOrder(o.user_id, o.order_id, self.ts, price=price))
        elif kind == "close":
            ids = sorted(e.positions, key=int)
            if ids:
                p = e.positions[ids[op[1] % len(ids)]]
                self.do(ClosePosition(p.user_id, p.order_id, self.ts, percent=op[2]))
        elif kind == "clock":
            self.ts += op[1] * 1_000
            for asset in ASSETS:  # fresh prices, so a boundary can be charged
                self.tick(ASSETS.index(asset), 0)
            out = self.do(ClockTick(self.ts, budget=op[2]))
            for _ in range(200):
                if not out.more:
                    break
                out = self.do(ClockTick(self.ts, budget=op[2]))
            assert not out.more


def check_replay(run: Run) -> None:
    fresh = Engine(SETTINGS)
    for event in run.journal:
        fresh.apply(event)
    live = run.engine.export()
    assert fresh.export() == live
    assert Engine.restore(live, SETTINGS).export() == live


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_random_v2_runs_conserve_fill_like_the_scan_and_replay(program: list[Any]) -> None:
    run = Run()
    for op in program:
        run.step(op)
    check_replay(run)


def test_funding_in_steps_charges_each_position_once_by_the_oracle() -> None:
    run = Run()
    run.tick(0, 0)
    for i in range(9):
        user, acc = run.account(i % 3)
        run.do(
            OpenPosition(
                user,
                "BTCUSDT",
                ("LONG", "SHORT")[i % 2],
                10,
                run.ts,
                margin=(20 + i) * S,
                account_id=acc,
            )
        )
    assert len(run.engine.positions) == 9
    positions = {p.order_id: (p.side, p.qty, p.margin) for p in run.engine.positions.values()}
    boundary = (run.ts // 60_000 + 1) * 60_000
    run.ts = boundary
    run.tick(0, 0)
    ref = run.engine.quotes["BTCUSDT"].ref
    outs = []
    while True:
        out = run.do(ClockTick(boundary, budget=2))
        outs.append(out)
        if not out.more:
            break
    charged = [e for o in outs for e in o.events if isinstance(e, FundingCharged)]
    assert len(outs) >= 5 and all(len(o.events) <= 3 for o in outs)  # steps of two
    assert sorted(c.order_id for c in charged) == sorted(positions, key=str)
    for c in charged:
        sd, qty, margin = positions[c.order_id]
        assert c.amount == oracle.funding(sd, ref, qty, SETTINGS.funding_rate, margin)
    assert run.do(ClockTick(boundary + 1)).events == ()
    # a restart in the middle of a boundary: restore, then finish; nobody charged twice
    run2 = Run()
    run2.tick(0, 0)
    for i in range(9):
        user, acc = run2.account(i % 3)
        run2.do(OpenPosition(user, "BTCUSDT", "LONG", 10, run2.ts, margin=20 * S, account_id=acc))
    run2.ts = boundary
    run2.tick(0, 0)
    first = run2.do(ClockTick(boundary, budget=4))
    assert first.more and len(first.events) == 4
    restored = Engine.restore(run2.engine.export(), SETTINGS)
    restored.quotes = dict(run2.engine.quotes)
    rest: list[Event] = []
    out = restored.handle(ClockTick(boundary, budget=100))
    rest.extend(out.events)
    done = {e.order_id for e in first.events if isinstance(e, FundingCharged)}
    again = {e.order_id for e in rest if isinstance(e, FundingCharged)}
    assert not (done & again) and len(done | again) == 9
