"""The wire format and a gateway's mirror, without processes: the mirror fed the engine
service's own published batches must equal the engine, even when batches go missing."""

from __future__ import annotations

import asyncio
from dataclasses import fields

import pytest

from velox.bus import wire
from velox.bus.mirror import Mirror
from velox.engine.commands import (
    KEEP,
    AddMargin,
    ClosePosition,
    Deposit,
    ModifyOrder,
    ModifyPosition,
    OpenAccount,
    OpenPosition,
    PlaceOco,
    PriceTick,
)
from velox.engine.engine import Outcome
from velox.engine.errors import Code, Refusal
from velox.engine.events import Event
from velox.engine.settings import EngineSettings
from velox.feeds.base import FeedTick
from velox.money import SCALE
from velox.service import EngineService, Published
from velox.store.base import Store

BTC = "BTCUSDT"
REF = 100_000 * SCALE


@pytest.mark.parametrize(
    "command",
    [
        OpenAccount("u1", 5),
        Deposit("u1", 7 * SCALE, 5),
        OpenPosition("u1", BTC, "SHORT", 20, 5, margin=3 * SCALE, stop_loss=10**30),
        ClosePosition("u1", "12", 5, percent=25),
        AddMargin("u1", "12", SCALE, 5),
        ModifyPosition("u1", "12", 5),  # every field KEEP
        ModifyPosition("u1", "12", 5, stop_loss=None, take_profit=KEEP, trailing_stop=SCALE),
        PlaceOco(
            "u1",
            OpenPosition("u1", BTC, "LONG", 5, 5, margin=SCALE, order_type="LIMIT", price=90),
            OpenPosition("u1", BTC, "LONG", 5, 5, qty=SCALE, order_type="STOP", price=110),
            5,
            account_id="7",
        ),
        ModifyOrder("u1", "12", 5, price=SCALE, expires_at=None),
    ],
)
def test_commands_cross_the_wire_unchanged(command: object) -> None:
    sent = wire.encode_command("r-1", command, until=1_700_000_000_123)  # type: ignore[arg-type]
    expected = wire.CommandRequest("r-1", command, 1_700_000_000_123, wire.PROTOCOL)  # type: ignore[arg-type]
    assert wire.decode_command(sent) == expected
    unlimited = wire.decode_command(wire.encode_command("r-2", command))  # type: ignore[arg-type]
    assert unlimited == wire.CommandRequest("r-2", command, None, wire.PROTOCOL)  # type: ignore[arg-type]


def test_replies_cross_the_wire_unchanged() -> None:
    refused = wire.Reply(Outcome(refusal=Refusal(Code.INSUFFICIENT_BALANCE, "no", "margin")))
    assert wire.decode_reply(wire.encode_reply(refused)) == refused
    existing = wire.Reply(Outcome(existing="42"), seq=7)  # a repeated clientOrderId
    assert wire.decode_reply(wire.encode_reply(existing)) == existing
    not_ready = wire.Reply(Outcome(), not_ready="REPLAYING")
    assert wire.decode_reply(wire.encode_reply(not_ready)) == not_ready
    with pytest.raises(wire.WireError):
        wire.decode_reply(b'{"seq": 1}')
    with pytest.raises(wire.WireError):
        wire.decode_command(b'{"id": "x", "type": "PriceTick", "f": {}}')  # not a command
    good = wire.encode_command("x", OpenAccount("u1", 0), until=5)
    assert wire.decode_command(good).until == 5
    for until in (b'"soon"', b"1.5", b"true"):
        with pytest.raises(wire.WireError):
            wire.decode_command(good.replace(b'"until":5', b'"until":' + until))


async def _trade(service: EngineService, batches: list[Published]) -> None:
    """Accounts, opens with trailing stops, rising prices (marks move), closes, a margin."""
    clock = service.clock
    for user in ("alice", "bob"):
        await service.submit(OpenAccount(user, clock()))
    service.offer_tick(PriceTick(BTC, REF, clock()))
    ids = []
    for i, user in enumerate(("alice", "bob", "alice")):
        out = await service.submit(
            OpenPosition(user, BTC, "LONG", 10, clock(), margin=(10 + i) * SCALE,
                         trailing_stop=500 * SCALE)
        )  # fmt: skip
        ids.append(out.events[0].order_id)  # type: ignore[union-attr]
    for step in range(1, 6):
        service.offer_tick(PriceTick(BTC, REF + step * 100 * SCALE, clock() + step))
        await service.read(lambda e: None)
    await service.submit(AddMargin("bob", ids[1], 2 * SCALE, clock() + 10))
    await service.submit(ClosePosition("alice", ids[0], clock() + 10, percent=50))
    await service.submit(ClosePosition("alice", ids[2], clock() + 10))
    assert len(batches) > 8


async def test_a_mirror_fed_every_batch_equals_the_engine(sqlite_store: Store) -> None:
    service = EngineService(sqlite_store, EngineSettings(), clock=lambda: 1_700_000_000_000)
    await service.start()
    batches: list[Published] = []
    service.subscribe(batches.append)
    mirror = Mirror(sqlite_store, EngineSettings())
    await mirror.load()  # the empty store: the gateway started first
    await _trade(service, batches)
    task = asyncio.create_task(mirror.run())
    for published in batches:  # through bytes, as over NATS
        data = wire.encode_batch(wire.Batch(published.events, published.quotes))
        mirror.inbox.put_nowait(wire.decode_batch(data))
    await asyncio.wait_for(mirror.wait_for(service.seq), 10)
    task.cancel()
    assert mirror.engine.export() == service.engine.export()
    assert mirror.engine.quotes == service.engine.quotes
    assert mirror.catch_ups == 0
    await service.stop()


async def test_missed_batches_are_read_back_from_the_journal_and_told(sqlite_store: Store) -> None:
    service = EngineService(sqlite_store, EngineSettings(), clock=lambda: 1_700_000_000_000)
    await service.start()
    batches: list[Published] = []
    service.subscribe(batches.append)
    told: list[tuple[int, Event]] = []
    mirror = Mirror(sqlite_store, EngineSettings())
    mirror.subscribe(lambda p: told.extend(p.events))
    await mirror.load()
    await _trade(service, batches)
    with_events = [i for i, p in enumerate(batches) if p.events]
    skipped = {with_events[2], with_events[3]}  # two batches lost in the middle
    task = asyncio.create_task(mirror.run())
    for i, published in enumerate(batches):
        if i not in skipped:
            mirror.inbox.put_nowait(wire.Batch(published.events, published.quotes))
    await asyncio.wait_for(mirror.wait_for(service.seq), 10)
    task.cancel()
    assert mirror.catch_ups == 1 and mirror.reloads == 0
    assert mirror.engine.export() == service.engine.export()
    # the hub heard every event once, in order, the lost ones included
    assert told == [e for p in batches for e in p.events]
    await service.stop()


async def test_a_lost_last_batch_is_noticed_by_the_heartbeat(sqlite_store: Store) -> None:
    service = EngineService(sqlite_store, EngineSettings(), clock=lambda: 1_700_000_000_000)
    await service.start()
    batches: list[Published] = []
    service.subscribe(batches.append)
    mirror = Mirror(sqlite_store, EngineSettings())
    await mirror.load()
    await _trade(service, batches)
    task = asyncio.create_task(mirror.run())
    last = max(i for i, p in enumerate(batches) if p.events)
    for published in batches[:last]:
        mirror.inbox.put_nowait(wire.Batch(published.events, published.quotes))
    status = wire.Status("READY", service.seq, "run-1")
    mirror.inbox.put_nowait(status)  # behind: noted
    mirror.inbox.put_nowait(status)  # still behind a heartbeat later: read the journal
    await asyncio.wait_for(mirror.wait_for(service.seq), 10)
    task.cancel()
    assert mirror.catch_ups == 1
    assert mirror.engine.export() == service.engine.export()
    await service.stop()


def test_the_wire_carries_every_field_of_an_outcome() -> None:
    """A tripwire: a new Outcome field must be taught to ``velox.bus.wire`` (``existing``
    was missed once, and a repeated clientOrderId on a gateway answered 500)."""
    assert {f.name for f in fields(Outcome)} == {"events", "refusal", "existing", "more"}
    full = wire.Reply(Outcome(events=(), existing="9", more=True), seq=3)
    assert wire.decode_reply(wire.encode_reply(full)) == full


def test_trades_cross_the_wire_unchanged() -> None:
    tick = FeedTick("BTCUSDT", 5, trade_price=6_400_025 * SCALE // 100, trade_qty=SCALE // 10,
                    trade_id=7001, exchange_ms=1_700_000_000_123)  # fmt: skip
    assert wire.decode_trade(wire.encode_trade(tick)) == tick
    simulated = FeedTick("ETHUSDT", 9, trade_price=3000 * SCALE, trade_qty=SCALE, trade_id=1)
    assert wire.decode_trade(wire.encode_trade(simulated)) == simulated  # no exchange time
    for malformed in (b'["BTCUSDT", 5, null, 1, 2, null]', b"[1, 5, 1, 1, 2, null]", b"{}"):
        with pytest.raises(wire.WireError):
            wire.decode_trade(malformed)


def test_a_history_series_crosses_the_wire_unchanged() -> None:
    assert wire.decode_history(wire.encode_history("BTCUSDT", "1m")) == ("BTCUSDT", "1m")
    for malformed in (b'["BTCUSDT"]', b'["BTCUSDT", 60]', b"{}", b"not json"):
        with pytest.raises(wire.WireError):
            wire.decode_history(malformed)


def test_a_malformed_message_is_dropped_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="velox.bus.wire"):
        assert wire.received(wire.decode_trade, b"[1, 2]", "trade") is None
        assert wire.received(wire.decode_candle, b"not json", "candle") is None
    assert [r.getMessage().split(":")[0:2] for r in caplog.records] == [
        ["bus", " dropping a malformed trade"], ["bus", " dropping a malformed candle"]
    ]  # fmt: skip
    tick = FeedTick("BTCUSDT", 5, trade_price=SCALE, trade_qty=SCALE, trade_id=3)
    assert wire.received(wire.decode_trade, wire.encode_trade(tick), "trade") == tick
