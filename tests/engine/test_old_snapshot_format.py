"""Snapshots written by an older Velox (``snapshot_format``), and what the fields they lack
do to money: why the start-up rebuilds from the whole journal when it can.

A restart in the middle of a funding boundary's walk goes on at ``boundary_refs``, the ref
of the boundary's first charge (the quote at its instant is not durable). A snapshot without
them (Velox before 4 Dec) charges the rest of the boundary at the first fresh price after
the restart: here 120,000 where the first position paid at 100,000.
"""

from __future__ import annotations

from typing import Any

from velox import codec
from velox.engine.commands import (
    ClockTick,
    Command,
    OpenAccount,
    OpenPosition,
    PriceTick,
    RecordFundingInterval,
)
from velox.engine.engine import Engine
from velox.engine.events import FundingCharged
from velox.engine.settings import EngineSettings
from velox.engine.snapshot_format import CURRENT, SnapshotFormat
from velox.money import SCALE

BTC = "BTCUSDT"
SETTINGS = EngineSettings(funding_interval_ms=28_800_000)  # rate 0.0001
BOUNDARY = 28_800_000 * 1000


def _run(engine: Engine, command: Command | PriceTick) -> list[Any]:
    """The command's events (the engine applies them as it decides)."""
    if isinstance(command, PriceTick):
        return engine.on_tick(command)
    return list(engine.handle(command).events)


def _charges(drop_refs: bool) -> list[tuple[str, int, int]]:
    """Two LONGs owe a boundary; one is charged, the engine restarts from its snapshot (with
    or without ``boundary_refs``), the price moves, the walk ends: each charge's ref, amount."""
    engine, t0 = Engine(SETTINGS), BOUNDARY - 60_000
    for command in (
        RecordFundingInterval(t0), OpenAccount("a", t0), OpenAccount("b", t0),
        PriceTick(BTC, 100_000 * SCALE, t0),
        OpenPosition("a", BTC, "LONG", 10, t0, margin=100 * SCALE),
        OpenPosition("b", BTC, "LONG", 10, t0, margin=100 * SCALE),
        PriceTick(BTC, 100_000 * SCALE, BOUNDARY - 1000),  # in effect at the boundary
        PriceTick(BTC, 101_000 * SCALE, BOUNDARY + 1000),
    ):  # fmt: skip
        _run(engine, command)
    charged = _run(engine, ClockTick(BOUNDARY + 1000, budget=1))  # one of the two
    data = codec.loads(codec.dumps(engine.export()))
    if drop_refs:
        del data["boundary_refs"]
    engine = Engine.restore(data, SETTINGS)
    _run(engine, PriceTick(BTC, 120_000 * SCALE, BOUNDARY + 5000))
    charged += _run(engine, ClockTick(BOUNDARY + 5000))
    return [(e.order_id, e.ref, e.amount) for e in charged if isinstance(e, FundingCharged)]


def test_a_restart_mid_boundary_without_boundary_refs_charges_another_price() -> None:
    paid = -9_995_000  # ceil(100,000 x 0.009995 BTC x 0.0001): 0.09995 USD
    assert _charges(drop_refs=False) == [("1", 100_000 * SCALE, paid), ("2", 100_000 * SCALE, paid)]
    assert _charges(drop_refs=True) == [
        ("1", 100_000 * SCALE, paid), ("2", 120_000 * SCALE, -11_994_000)
    ]  # fmt: skip


def test_an_old_snapshot_is_compared_on_what_it_holds() -> None:
    engine = Engine(SETTINGS)
    for command in (OpenAccount("a", 1), PriceTick(BTC, 100_000 * SCALE, 1),
                    OpenPosition("a", BTC, "LONG", 10, 1, margin=100 * SCALE)):  # fmt: skip
        _run(engine, command)
    now = codec.loads(codec.dumps(engine.export()))
    assert SnapshotFormat.of(now) == CURRENT and CURRENT.missing() == []
    old = dict(now, position_fields=now["position_fields"][:19])
    old["positions"] = [row[:19] for row in now["positions"]]
    del old["boundary_refs"]
    fmt = SnapshotFormat.of(old)
    assert fmt.missing() == [
        "boundary_refs", "positions.order_type", "positions.price", "positions.oco_group_id",
        "positions.created_at",
    ]  # fmt: skip
    assert fmt.narrow(now) == old
    assert (fmt & CURRENT) == fmt
