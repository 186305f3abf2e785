"""Trailing marks journal once per asset and tick (MarksMoved), and snapshot exports take
accounts in steps (issue 11 section 3)."""

from __future__ import annotations

from velox.engine.commands import Deposit, OpenAccount, OpenPosition, PriceTick
from velox.engine.engine import Engine
from velox.engine.events import Event, MarksMoved, PositionClosed, PositionOpened
from velox.journal import coalesce_marks
from velox.money import SCALE, units

from .helpers import T0

BTC = "BTCUSDT"
ETH = "ETHUSDT"


def replayed(journal: list[Event], engine: Engine) -> Engine:
    fresh = Engine(engine.settings)
    for event in journal:
        fresh.apply(event)
    return fresh


def trailing_book(n: int) -> tuple[Engine, list[Event]]:
    """``n`` users, each with a trailing LONG and a trailing SHORT on BTC at 100000."""
    engine = Engine()
    journal: list[Event] = []
    journal += engine.on_tick(PriceTick(BTC, units("100000"), T0))
    for i in range(n):
        user = f"u{i}"
        journal += engine.handle(OpenAccount(user, T0)).events
        for side in ("LONG", "SHORT"):
            out = engine.handle(
                OpenPosition(
                    user, BTC, side, 10, T0, margin=units("10"), trailing_stop=units("5000")
                )
            )
            assert out.ok, out.refusal
            journal += out.events
    return engine, journal


def test_one_event_moves_every_mark_of_the_asset() -> None:
    engine, journal = trailing_book(300)
    events = engine.on_tick(PriceTick(BTC, units("101000"), T0 + 1))
    # bid 100949.5 moves all 300 LONG marks; ask 101050.5 moves no SHORT mark
    assert events == [MarksMoved(BTC, units("100949.5"), units("101050.5"), T0 + 1)]
    marks = {p.side: set() for p in engine.positions.values()}
    for p in engine.positions.values():
        marks[p.side].add(p.trailing_mark)
    assert marks == {"LONG": {units("100949.5")}, "SHORT": {units("100050")}}
    journal += events
    events = engine.on_tick(PriceTick(BTC, units("99000"), T0 + 2))
    assert events == [MarksMoved(BTC, units("98950.5"), units("99049.5"), T0 + 2)]
    assert {p.trailing_mark for p in engine.positions.values() if p.side == "SHORT"} == {
        units("99049.5")
    }
    journal += events
    assert replayed(journal, engine).export() == engine.export()


def test_a_tick_that_moves_no_mark_writes_nothing() -> None:
    engine, _ = trailing_book(3)
    assert engine.on_tick(PriceTick(BTC, units("100000"), T0 + 1)) == []
    assert engine.on_tick(PriceTick(ETH, units("3000"), T0 + 1)) == []


def test_marks_moved_on_a_closing_tick_skip_the_closed_positions() -> None:
    engine, journal = trailing_book(2)
    # up to 101000 (LONG marks 100949.5), then a fall to 95000: every LONG's trailing stop
    # (100949.5 - 5000 = 95949.5 >= bid 94952.5) fires; SHORT marks move to the new ask.
    journal += engine.on_tick(PriceTick(BTC, units("101000"), T0 + 1))
    events = engine.on_tick(PriceTick(BTC, units("95000"), T0 + 2))
    journal += events
    closes = [e for e in events if isinstance(e, PositionClosed)]
    assert [c.reason for c in closes] == ["TRAILING_STOP", "TRAILING_STOP"]
    assert events[-1] == MarksMoved(BTC, units("94952.5"), units("95047.5"), T0 + 2)
    assert {p.trailing_mark for p in engine.positions.values()} == {units("95047.5")}
    assert replayed(journal, engine).export() == engine.export()


def test_coalesced_commit_replays_to_the_live_state() -> None:
    engine, journal = trailing_book(5)
    batch: list[Event] = []
    for ref in ("101000", "102000", "99000", "103000"):  # up, up, down (shorts), up
        batch += engine.on_tick(PriceTick(BTC, units(ref), T0 + len(batch) + 1))
    assert len(batch) == 4 and all(isinstance(e, MarksMoved) for e in batch)
    folded = coalesce_marks(batch)
    assert folded == [MarksMoved(BTC, units("102948.5"), units("99049.5"), batch[-1].ts)]
    assert replayed(journal + folded, engine).export() == engine.export()


def test_no_fold_across_an_open_on_the_same_asset() -> None:
    engine, journal = trailing_book(1)
    batch = list(engine.on_tick(PriceTick(BTC, units("101000"), T0 + 1)))
    out = engine.handle(
        OpenPosition("u0", BTC, "LONG", 10, T0 + 1, margin=units("10"), trailing_stop=units("5000"))
    )
    batch += out.events
    batch += engine.on_tick(PriceTick(ETH, units("3000"), T0 + 2))  # nothing to move
    batch += engine.on_tick(PriceTick(BTC, units("99000"), T0 + 2))  # moves the SHORT
    batch += engine.on_tick(PriceTick(BTC, units("102000"), T0 + 3))  # moves the LONGs
    folded = coalesce_marks(batch)
    opened = batch[1]
    assert isinstance(opened, PositionOpened) and opened.trailing_mark == units("100949.5")
    # the two marks after the open fold into one; the one before it must stay before it
    assert folded == [
        batch[0],
        opened,
        MarksMoved(BTC, units("101949"), units("99049.5"), T0 + 3),
    ]
    assert replayed(journal + folded, engine).export() == engine.export()
    # folding all three (before the open) would replay a wrong mark for the new position
    wrong = [MarksMoved(BTC, units("101949"), units("99049.5"), T0 + 3), opened]
    assert replayed(journal + wrong, engine).positions[opened.order_id].trailing_mark == units(
        "100949.5"
    )
    assert engine.positions[opened.order_id].trailing_mark == units("101949")


def test_export_takes_accounts_in_steps_as_they_were() -> None:
    engine = Engine()
    for i in range(10):
        engine.handle(OpenAccount(f"u{i}", T0))
    expected = engine.export()
    export = engine.begin_export()
    assert not export.step(3)  # three accounts taken, seven to go: no stall with accounts
    engine.handle(Deposit("u1", 5 * SCALE, T0))  # already taken
    engine.handle(Deposit("u7", 7 * SCALE, T0))  # not yet taken: exported as it was
    engine.handle(OpenAccount("late", T0))  # created after the export began: not in it
    assert not export.step(6)
    assert export.step(1)
    engine.end_export()
    assert export.result() == expected
    restored = Engine.restore(export.result())
    assert restored.user_accounts["u7"] == ["8"]
    assert restored.accounts["8"].balance == engine.settings.initial_balance
    assert "late" not in restored.user_accounts
    assert engine.accounts["8"].balance == engine.settings.initial_balance + 7 * SCALE


def test_restore_reads_snapshots_written_before_accounts_were_rows() -> None:
    engine = Engine()
    engine.handle(OpenAccount("alice", T0))
    data = engine.export()
    data["accounts"] = [{"user_id": "alice", "balance": 1000 * SCALE}]
    del data["account_fields"]
    restored = Engine.restore(data)
    assert restored.export()["accounts"] == [
        ("1", "alice", "Main", "HEDGING", 0, 1000 * SCALE, 0, 0, 0)
    ]


def test_a_v1_journal_still_replays() -> None:
    """Events written before engine v2 (no account ids, fees or fill ids) decode and replay
    into the user's first account, with the money conserved."""
    from velox import codec
    from velox.engine.views import ledger

    v1 = [
        ("Deposited", {"user_id": "alice", "amount": 1000 * SCALE, "ts": T0}),
        (
            "PositionOpened",
            {
                "order_id": "1",
                "user_id": "alice",
                "asset": BTC,
                "side": "LONG",
                "leverage": 10,
                "margin": 100 * SCALE,
                "qty": 99950,
                "open_price": units("100050"),
                "liquidation_price": units("91045.5"),
                "stop_loss": None,
                "take_profit": None,
                "trailing_stop": units("500"),
                "trailing_mark": units("99950"),
                "ts": T0,
            },
        ),
        (
            "TrailingStopMoved",
            {"order_id": "1", "user_id": "alice", "mark": units("99990"), "ts": T0 + 1},
        ),
        (
            "MarginAdded",
            {
                "order_id": "1",
                "user_id": "alice",
                "amount": 10 * SCALE,
                "liquidation_price": units("90145.5"),
                "ts": T0 + 2,
            },
        ),
    ]
    engine = Engine()
    for name, payload in v1:
        engine.apply(codec.decode_event(name, codec.dumps(payload)))
    (account_id,) = engine.user_accounts["alice"]
    account = engine.accounts[account_id]
    assert account.balance == 890 * SCALE and list(account.open_orders) == ["1"]
    pos = engine.positions["1"]
    assert (pos.account_id, pos.trailing_mark, pos.margin) == (
        account_id,
        units("99990"),
        110 * SCALE,
    )
    assert ledger(engine)["conserved"]
    assert Engine.restore(engine.export()).export() == engine.export()
    assert engine.next_order_id == 2


def test_client_order_ids_are_exported_in_steps_too() -> None:
    engine = Engine()
    engine.handle(OpenAccount("alice", T0))
    engine.on_tick(PriceTick(BTC, units("100000"), T0))
    for i in range(5):
        out = engine.handle(
            OpenPosition("alice", BTC, "LONG", 10, T0, margin=units("10"), client_order_id=f"c{i}")
        )
        assert out.ok
    expected = engine.export()
    assert [row[1] for row in expected["client_ids"]] == ["c0", "c1", "c2", "c3", "c4"]
    export = engine.begin_export()
    budget = 1 + len(engine.positions)  # the account and the positions, no client id yet
    assert not export.step(budget)
    out = engine.handle(
        OpenPosition("alice", BTC, "LONG", 10, T0, margin=units("10"), client_order_id="late")
    )
    assert out.ok
    assert not export.step(4)
    assert export.step(1)
    engine.end_export()
    assert export.result() == expected  # "late" came after the export began
    restored = Engine.restore(expected)
    assert restored.client_ids[("1", "c3")] == engine.client_ids[("1", "c3")]
