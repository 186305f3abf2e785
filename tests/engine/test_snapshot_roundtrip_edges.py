"""What a snapshot taken in steps restores (SPEC 5): the state as it was when the export
began, also for a pending order modified while the export runs, and the id counters.

Written from the survivors of the fourth mutation run (``velox/engine/snapshot.py`` and the
copy-on-write hooks of ``apply.py``): no engine test modified a pending order during an
export, so a ``before_order_change(None)`` and an order inserted without its ``seq`` passed
(both crash the engine on the next modify while a snapshot is being written), and the
export's ``next_account_id`` key could be renamed. Quote: BTC ref 100000, ask 100050.
"""

from __future__ import annotations

from typing import Any

from tests.engine.test_orders_v2 import BTC, T0, engine_at, netting, ok, order
from velox.engine.commands import Deposit, ModifyOrder, PriceTick
from velox.engine.engine import Engine
from velox.engine.snapshot import StateExport
from velox.engine.state import ACCOUNT_FIELDS, PENDING_FIELDS
from velox.money import units


def finish(export: StateExport) -> None:
    """Take the export one row per step; it has fewer than 20 rows in these tests."""
    steps = 1
    while not export.step(1):
        steps += 1
        assert steps < 20, "the export never finishes"


def pending_rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = (dict(zip(PENDING_FIELDS, row, strict=True)) for row in data["pending"])
    return {row["order_id"]: row for row in rows}


def test_an_order_modified_during_an_export_is_exported_as_it_was() -> None:
    """A snapshot begun before a modify holds the order's old price, stops, expiry and
    reservation; restored, that order rests at the old price and fills there. Kills
    ``Ledger._order_changing``'s and ``StateExport.before_order_change``'s ``(None)`` and
    ``insert_order``'s ``seq = None`` (each a crash at the modify)."""
    engine = engine_at()
    acc = netting(engine)
    (placed,) = ok(engine, order(account_id=acc, order_type="LIMIT", price=units("99000"),
                                 qty=units("0.01"), margin=None, stop_loss=units("90000"),
                                 expires_at=T0 + 60_000))  # fmt: skip
    (other,) = ok(engine, order(order_type="LIMIT", price=units("95000")))
    export = engine.begin_export()
    ok(engine, ModifyOrder("alice", placed.order_id, T0, price=units("98000"),
                           stop_loss=units("91000"), expires_at=T0 + 90_000,
                           account_id=acc))  # fmt: skip
    (late,) = ok(engine, order(order_type="LIMIT", price=units("94000")))
    finish(export)
    engine.end_export()
    data = export.result()
    rows = pending_rows(data)
    assert set(rows) == {placed.order_id, other.order_id}  # not the order placed after
    row = rows[placed.order_id]
    # 99000 x 0.01 / 10 = 99 reserved at placement; the modify re-reserved 98
    assert (row["price"], row["stop_loss"], row["expires_at"], row["reserved"]) == (
        units("99000"), units("90000"), T0 + 60_000, units("99"))  # fmt: skip
    live = engine.pending[placed.order_id]
    assert (live.price, live.stop_loss, live.expires_at, live.reserved) == (
        units("98000"), units("91000"), T0 + 90_000, units("98"))  # fmt: skip
    restored = Engine.restore(data, engine.settings)
    assert restored.accounts[acc].pending_margin == units("99")
    restored.on_tick(PriceTick(BTC, units("98900"), T0 + 1))  # ask 98949.45 <= 99000
    assert restored.positions[placed.order_id].open_price == units("99000")
    assert late.order_id not in restored.pending


def test_a_snapshot_keeps_the_id_counters_and_restores_to_the_same_export() -> None:
    """The export's head carries the next order, fill and account ids under their names,
    and a restored engine exports the same state. Kills the renamed ``next_account_id``
    key of ``StateExport``'s head."""
    engine = engine_at()
    netting(engine)  # accounts 1 (alice), 2 (bob), 3 (alice's NETTING)
    ok(engine, order())  # order 1, fill 1
    ok(engine, order(order_type="LIMIT", price=units("95000")))  # order 2
    data = engine.export()
    head = {key: data[key] for key in ("next_order_id", "next_fill_id", "next_account_id")}
    assert head == {"next_order_id": 3, "next_fill_id": 2, "next_account_id": 4}
    restored = Engine.restore(data, engine.settings)
    assert restored.export() == data
    assert (restored.next_order_id, restored.next_fill_id, restored.next_account_id) == (3, 2, 4)


def test_an_account_changed_after_the_first_step_is_exported_as_it_was() -> None:
    """Taken one row per step: after the first account's row, a deposit into the third
    account (not yet taken) must not reach the export. Kills ``_Rows.step`` remembering
    ``items[end - 2]`` as the last row taken (for ``end == 1`` that is the last item, which
    switches copy-on-write off) and ``taken = end + next`` (the export never finishes: the
    rows after the accounts get no budget); both were killed only by chance before."""
    engine = engine_at()
    acc = netting(engine)
    export = engine.begin_export()
    assert export.step(1) is False  # alice's first account
    ok(engine, Deposit("alice", units("5"), T0, acc))
    finish(export)
    engine.end_export()
    rows = (dict(zip(ACCOUNT_FIELDS, row, strict=True)) for row in export.result()["accounts"])
    balances = {row["account_id"]: row["balance"] for row in rows}
    assert balances == {"1": units("1000"), "2": units("1000"), acc: units("1000")}
    assert engine.accounts[acc].balance == units("1005")
