"""Every worked example of tests/vectors/positions.json, reproduced exactly by the engine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.engine.helpers import T0, engine_with, open_ok, tick
from tests.vectors import load
from velox.engine.commands import AddMargin, ClosePosition, PriceTick
from velox.engine.events import (
    MarginAdded,
    MarksMoved,
    PositionClosed,
    PositionPartiallyClosed,
)
from velox.engine.formulas import quote
from velox.money import format_units, units

CASES: list[dict[str, Any]] = load("positions")["cases"]
ASSETS = {"btc": "BTCUSDT", "eth": "ETHUSDT", "sol": "SOLUSDT"}


def asset_of(case: dict[str, Any]) -> str:
    return ASSETS[case["name"].split()[0]]


def setup(case: dict[str, Any]):  # type: ignore[no-untyped-def]
    s = case["settings"]
    engine = engine_with(
        balance="100000",
        spread=units(s["spread"]),
        mmr=units(s["mmr"]),
        min_margin=units(s["minMargin"]),
    )
    asset = asset_of(case)
    tick(engine, asset, case["ref"])
    o = case["open"]
    amount = {"margin": units(o["margin"])} if "margin" in o else {"qty": units(o["qty"])}
    opened = open_ok(engine, asset=asset, side=o["side"], leverage=o["leverage"], **amount)
    return engine, asset, opened


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_quote_and_open(case: dict[str, Any]) -> None:
    spread = units(case["settings"]["spread"])
    bid, ask = quote(units(case["ref"]), spread)
    assert (format_units(bid), format_units(ask)) == (case["bid"], case["ask"])
    _, _, opened = setup(case)
    exp = case["expect"]
    assert format_units(opened.open_price) == exp["openPrice"]
    assert format_units(opened.qty) == exp["qty"]
    assert format_units(opened.margin) == exp["margin"]
    assert format_units(opened.liquidation_price) == exp["liquidationPrice"]


WITH_CLOSE = [c for c in CASES if "closeAtRef" in c]


@pytest.mark.parametrize("case", WITH_CLOSE, ids=[c["name"] for c in WITH_CLOSE])
def test_close_settlement(case: dict[str, Any]) -> None:
    engine, asset, opened = setup(case)
    if "addMargin" in case:
        out = engine.handle(
            AddMargin("alice", opened.order_id, units(case["addMargin"]["amount"]), T0)
        )
        (added,) = out.events
        assert isinstance(added, MarginAdded)
        pos = engine.positions[opened.order_id]
        assert format_units(pos.margin) == case["addMargin"]["expect"]["margin"]
        assert (
            format_units(pos.liquidation_price) == case["addMargin"]["expect"]["liquidationPrice"]
        )
    margin = engine.positions[opened.order_id].margin
    balance_before = engine.account_of("alice", None).balance
    house_before = engine.house
    events = tick(engine, asset, case["closeAtRef"], T0 + 1)
    closed = [e for e in events if isinstance(e, PositionClosed)]
    if not closed:  # nothing triggered at that price: close by hand
        out = engine.handle(ClosePosition("alice", opened.order_id, T0 + 2))
        assert out.refusal is None
        closed = list(out.events)  # type: ignore[arg-type]
    (event,) = closed
    exp = case["closeExpect"]
    assert format_units(event.close_price) == exp["closePrice"]
    assert format_units(event.pnl) == exp["pnl"]
    assert format_units(event.settlement) == exp["settlement"]
    assert engine.account_of("alice", None).balance == balance_before + units(exp["settlement"])
    assert engine.house == house_before + margin - units(exp["settlement"])


PARTIAL = [c for c in CASES if "partialClose" in c]


@pytest.mark.parametrize("case", PARTIAL, ids=[c["name"] for c in PARTIAL])
def test_partial_close(case: dict[str, Any]) -> None:
    engine, asset, opened = setup(case)
    pc = case["partialClose"]
    tick(engine, asset, pc["atRef"], T0 + 1)
    out = engine.handle(ClosePosition("alice", opened.order_id, T0 + 2, percent=pc["percent"]))
    (event,) = out.events
    assert isinstance(event, PositionPartiallyClosed)
    part = pc["closedPart"]
    assert format_units(event.part_qty) == part["qty"]
    assert format_units(event.part_margin) == part["margin"]
    assert format_units(event.close_price) == part["closePrice"]
    assert format_units(event.pnl) == part["pnl"]
    assert format_units(event.settlement) == part["settlement"]
    rest = engine.positions[opened.order_id]
    assert format_units(rest.qty) == pc["remaining"]["qty"]
    assert format_units(rest.margin) == pc["remaining"]["margin"]
    assert format_units(rest.liquidation_price) == pc["remaining"]["liquidationPrice"]
    assert event.part_order_id != opened.order_id


TRAILING = [c for c in CASES if "trailingStop" in c]


@pytest.mark.parametrize("case", TRAILING, ids=[c["name"] for c in TRAILING])
def test_trailing_stop(case: dict[str, Any]) -> None:
    s = case["settings"]
    engine = engine_with(balance="100000", spread=units(s["spread"]), mmr=units(s["mmr"]))
    asset = asset_of(case)
    tick(engine, asset, case["ref"])
    o = case["open"]
    ts = case["trailingStop"]
    opened = open_ok(
        engine,
        asset=asset,
        side=o["side"],
        leverage=o["leverage"],
        margin=units(o["margin"]),
        trailing_stop=units(ts["distance"]),
    )
    fired_at = None
    for step, ref in enumerate(ts["refPath"]):
        events = engine.on_tick(PriceTick(asset, units(ref), T0 + 1 + step))
        closes = [e for e in events if isinstance(e, PositionClosed)]
        if closes:
            assert closes[0].reason == "TRAILING_STOP"
            assert format_units(closes[0].close_price) == ts["expect"]["closePrice"]
            assert not [e for e in events if isinstance(e, MarksMoved)]
            fired_at = step
            break
    assert fired_at == ts["expect"]["atStep"]
    assert opened.order_id not in engine.positions
