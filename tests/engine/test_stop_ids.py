"""Each placement of a position's stop is an order of its own (the Binance API's algo order):
a new id from the order ids whenever a stop is set where there was none, with the client's
id; one changed in place keeps both; never given again, also after a restart from a
snapshot or from the journal. (The id was derived from the position and the kind, the same
for a stop cancelled and placed again: a bot's cache merged the two.)"""

from __future__ import annotations

from tests.engine.helpers import T0, tick
from velox.engine.commands import ModifyPosition, OpenAccount, OpenPosition
from velox.engine.engine import Engine
from velox.engine.events import Event, StopsModified
from velox.money import units


def _run(engine: Engine, command: object, journal: list[Event]) -> list[Event]:
    outcome = engine.handle(command)  # type: ignore[arg-type]
    assert outcome.refusal is None, outcome.refusal
    journal.extend(outcome.events)
    return list(outcome.events)


def _stops(engine: Engine, command: ModifyPosition, journal: list[Event]) -> StopsModified:
    (event,) = _run(engine, command, journal)
    assert isinstance(event, StopsModified)
    return event


def test_a_stop_placed_again_has_a_new_id_also_after_a_restart() -> None:
    engine, journal = Engine(), []  # type: ignore[var-annotated]
    _run(engine, OpenAccount("alice", T0), journal)
    tick(engine, "BTCUSDT", "100000")
    open_long = OpenPosition("alice", "BTCUSDT", "LONG", 10, T0, margin=units("100"))
    (opened,) = _run(engine, open_long, journal)
    pid = opened.order_id
    sl = {"stop_loss": units("95000"), "client_id": "my-sl"}
    first = _stops(engine, ModifyPosition("alice", pid, T0 + 1, **sl), journal)  # type: ignore[arg-type]
    assert (first.stop_loss_id, first.stop_loss_client) == (str(int(pid) + 1), "my-sl")
    moved = _stops(engine, ModifyPosition("alice", pid, T0 + 2, stop_loss=units("96000")),
                   journal)  # fmt: skip
    assert (moved.stop_loss_id, moved.stop_loss_client) == (first.stop_loss_id, "my-sl")
    both = _stops(engine, ModifyPosition("alice", pid, T0 + 3, take_profit=units("110000")),
                  journal)  # fmt: skip
    assert (both.stop_loss_id, both.take_profit_id) == (first.stop_loss_id, str(int(pid) + 2))
    cleared = _stops(engine, ModifyPosition("alice", pid, T0 + 4, stop_loss=None), journal)
    assert (cleared.stop_loss_id, cleared.stop_loss_client) == (None, None)
    used = {first.stop_loss_id, both.take_profit_id}

    replayed = Engine(engine.settings)  # a restart from the journal
    replayed.quotes.update(engine.quotes)
    for event in journal:
        replayed.apply(event)
    for other in (Engine.restore(engine.export()), replayed):  # and from a snapshot
        other.quotes.update(engine.quotes)
        again = _stops(other, ModifyPosition("alice", pid, T0 + 5, stop_loss=units("94000")),
                       [])  # fmt: skip
        assert again.stop_loss_id not in used and again.stop_loss_client is None
        assert again.stop_loss_id == str(int(pid) + 3)
        assert other.positions[pid].take_profit_id == both.take_profit_id
