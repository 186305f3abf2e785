"""``Engine.restore`` of snapshots written by older versions, and what a restart keeps (SPEC 5).

Written from the fifth mutation run (``velox/engine/engine.py``): every engine test restored
a snapshot this version wrote, so the defaults for keys an older version did not write
(``next_fill_id``, ``funded_boundary``, ``next_account_id``, ``pending``, ``client_ids``),
the account rows of the version before account ids (``[user_id, balance]``) and the
position rows without ``account_id`` could all be changed; and no test retried a
``clientOrderId`` after a restore. The legacy snapshots here are a current export cut down
to what the old versions wrote.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, netting, ok, order
from velox.engine.commands import CancelOrder, ClockTick, ClosePosition, OpenAccount, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import AccountCreated, FundingCharged, PositionClosed, PositionOpened
from velox.engine.state import POSITION_FIELDS
from velox.engine.views import account_figures, by_client_id
from velox.money import units

HOUR8 = 28_800_000


def before_accounts(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` as the version before account ids wrote it: accounts ``[user, balance]``,
    positions without ``account_id`` and later fields, no fills, funding or pending orders."""
    width = POSITION_FIELDS.index("account_id")
    return {
        "house": data["house"],
        "deposits": data["deposits"],
        "next_order_id": data["next_order_id"],
        "account_fields": ["user_id", "balance"],
        "accounts": [[row[1], row[5]] for row in data["accounts"]],
        "position_fields": list(POSITION_FIELDS[:width]),
        "positions": [list(row[:width]) for row in data["positions"]],
    }


def test_a_snapshot_from_before_account_ids_restores_and_trades_on() -> None:
    """Each user gets one account (ids 1, 2 in row order) holding its balance; the position
    lands in its user's account and settles there; the next fill is fill 1; the first
    funding after the restart charges the current boundary once. Kills the legacy field
    names (40-43: refused as incompatible), ``isinstance(row, dict) or True``, the position's
    account lookup and assert (96-100, 103), and the ``next_fill_id`` (20, 22, 25),
    ``funded_boundary`` (29, 31, 34: 1 walks unaligned boundaries from the epoch),
    ``next_account_id`` (78, 80), ``pending`` (106, 108) and ``client_ids`` (121, 123)
    defaults."""
    source = engine_at()
    (opened,) = ok(source, order())  # alice LONG 10x, margin 100 at ask 100050
    old = before_accounts(source.export())
    engine = Engine.restore(old, source.settings)
    assert [(a.account_id, a.user_id, a.balance) for a in engine.account_list] == [
        ("1", "alice", units("900")),
        ("2", "bob", units("1000")),
    ]
    assert engine.positions[opened.order_id].account_id == "1"
    assert (engine.next_fill_id, engine.funded_boundary, engine.next_account_id) == (1, 0, 3)
    assert not engine.pending and not engine.client_ids
    boundary = (T0 // HOUR8 + 1) * HOUR8
    engine.on_tick(PriceTick(BTC, units("100000"), boundary))
    out = engine.handle(ClockTick(boundary + 1))
    charged = [(e.order_id, e.boundary) for e in out.events if isinstance(e, FundingCharged)]
    assert charged == [(opened.order_id, boundary)]
    (bob_opened,) = ok(engine, order(user_id="bob", ts=boundary + 1))
    assert isinstance(bob_opened, PositionOpened) and bob_opened.fill_id == "1"
    assert bob_opened.account_id == "2"
    margin = engine.positions[opened.order_id].margin  # 100 minus the funding paid
    (closed,) = ok(engine, ClosePosition("alice", opened.order_id, boundary + 1))
    assert isinstance(closed, PositionClosed)
    # qty floor(100 x 10 / 100050) = 0.00999500; closes at the bid 99950
    qty = Fraction(math.floor(Fraction(1000) / 100050 * 10**8), 10**8)
    pnl = math.floor((Fraction(99950) - 100050) * qty * 10**8)
    assert closed.settlement == margin + pnl
    assert account_figures(engine, "alice").balance == units("900") + margin + pnl


def test_the_oldest_snapshot_and_an_empty_one_restore() -> None:
    """The first format had no field lists at all and accounts as ``{user_id, balance}``;
    an empty old snapshot restores to an engine whose first account is account 1 (kills
    ``data.get("next_account_id", 2)``)."""
    engine = Engine.restore(
        {"house": 0, "deposits": units("1000"), "next_order_id": 1,
         "accounts": [{"user_id": "carol", "balance": units("1000")}], "positions": []}
    )  # fmt: skip
    assert [(a.account_id, a.user_id, a.balance) for a in engine.account_list] == [
        ("1", "carol", units("1000"))
    ]
    empty = Engine.restore(
        {"house": 0, "deposits": 0, "next_order_id": 1, "accounts": [], "positions": []}
    )
    (created, *_) = empty.handle(OpenAccount("dave", T0)).events
    assert isinstance(created, AccountCreated) and created.account_id == "1"


def test_a_client_order_id_still_names_its_finished_order_after_a_restore() -> None:
    """SPEC 12: a retried POST /open with the same ``clientOrderId`` creates nothing, also
    after a restart and also when that order has finished (a closed position, a cancelled
    order: only the snapshot's ``client_ids`` remember them; live ones are re-indexed from
    their rows); in a second account, under that account only. Kills the restore of
    ``client_ids`` skipped (key renamed or None) and ``remember_client_id`` given None for
    the account, the client id or the order id."""
    engine = engine_at()
    acc = netting(engine)
    (closed, *_) = ok(engine, order(account_id=acc, client_order_id="done-1"))
    ok(engine, ClosePosition("alice", closed.order_id, T0, account_id=acc))
    pending = order(order_type="LIMIT", price=units("95000"), client_order_id="gone-1")
    (cancelled,) = ok(engine, pending)
    ok(engine, CancelOrder("alice", cancelled.order_id, T0))
    restored = Engine.restore(engine.export(), engine.settings)
    retries = (
        (order(account_id=acc, client_order_id="done-1"), acc, closed.order_id),
        (pending, None, cancelled.order_id),
    )
    for again, account, order_id in retries:
        assert by_client_id(restored, "alice", again.client_order_id or "", account) == order_id
        out = restored.handle(again)
        assert (out.ok, out.existing, out.events) == (True, order_id, ())
    assert by_client_id(restored, "alice", "done-1") is None  # not the main account's
    assert not restored.positions and not restored.pending
    assert restored.next_order_id == engine.next_order_id
