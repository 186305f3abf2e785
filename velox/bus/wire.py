"""What crosses the bus, as bytes: commands, their replies, committed batches, candles.

Plain JSON through ``velox.codec`` (exact integers, however large). Commands and events are
frozen dataclasses, written as their field values and rebuilt by class name, so a new
command or event type travels without a change here. A ``ModifyPosition`` field left at
``KEEP`` is simply not written: ``KEEP`` is its default, so it comes back as ``KEEP``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from velox import codec
from velox.engine import commands as command_module
from velox.engine.commands import KEEP, Command
from velox.engine.engine import Outcome
from velox.engine.errors import Code, Refusal
from velox.engine.events import EVENT_TYPES, Event
from velox.engine.state import Quote
from velox.feeds.base import FeedTick
from velox.frozen import frozen
from velox.money import Price
from velox.store.records import CandleRecord
from velox.store.schema import SCHEMA_VERSION

log = logging.getLogger(__name__)
T = TypeVar("T")

COMMAND_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in vars(command_module).values()
    if isinstance(cls, type)
    and hasattr(cls, "__dataclass_fields__")
    and cls.__name__ != "PriceTick"
}
_NAMES: dict[type, tuple[str, ...]] = {}
NOT_READY = "ENGINE_NOT_READY"
# What a gateway and the engine must share to read each other: the events' and commands'
# fields, which change with the schema version (a gateway mirrors the engine's events).
PROTOCOL = SCHEMA_VERSION


class WireError(ValueError):
    """A message that is not what its subject carries (another version, or garbage)."""


def _values(obj: Any) -> dict[str, Any]:
    cls = type(obj)
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))
    return {n: v for n in names if (v := getattr(obj, n)) is not KEEP}


# -- commands -----------------------------------------------------------------------------
def _command_values(command: Any) -> dict[str, Any]:
    """Field values; a command inside a command (``PlaceOco``'s orders) as a tagged object."""
    values = _values(command)
    for name, value in values.items():
        if type(value) in COMMAND_TYPES.values():
            values[name] = {"$": type(value).__name__, **_command_values(value)}
    return values


def _command_of(type_name: str, values: dict[str, Any]) -> Any:
    for name, value in values.items():
        if isinstance(value, dict) and "$" in value:
            inner = dict(value)
            values[name] = _command_of(inner.pop("$"), inner)
    return COMMAND_TYPES[type_name](**values)


def wall_ms() -> int:
    """Real wall-clock milliseconds: a command's ``until`` is a moment both sides read on
    their own clocks (hosts of one deployment keep them in step), never a simulated clock."""
    return time.time_ns() // 1_000_000


@frozen
class CommandRequest:
    """A command as the engine receives it: ``until`` is the wall-clock moment (ms) after
    which the gateway no longer waits for this attempt, so the engine must not start it
    (None: no limit); ``version`` the sending gateway's ``PROTOCOL`` (None: a gateway of a
    release before it, which sent none)."""

    request_id: str
    command: Command
    until: int | None = None
    version: int | None = None


def encode_command(request_id: str, command: Command, until: int | None = None) -> bytes:
    values = _command_values(command)
    message: dict[str, Any] = {
        "id": request_id, "type": type(command).__name__, "f": values, "v": PROTOCOL,
    }  # fmt: skip
    if until is not None:
        message["until"] = until
    return codec.dumps(message)


def decode_command(data: bytes) -> CommandRequest:
    try:
        message = codec.loads(data)
        until, version = message.get("until"), message.get("v")
        if until is not None and (type(until) is not int):
            raise TypeError("until is not an integer")
        if version is not None and (type(version) is not int):
            raise TypeError("v is not an integer")
        command = _command_of(message["type"], message["f"])
        return CommandRequest(str(message["id"]), command, until, version)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"not a command: {exc}") from exc


def foreign_gateway(request: CommandRequest) -> str | None:
    """Why the engine must not run a command from this gateway, or None. A gateway of
    another release cannot read what this engine publishes (schema version 5's events broke
    version 4's mirrors): run, its command would succeed while its gateway answers an
    error, and a client retrying as told would place it twice. Refused as not ready, it
    has not happened, and the gateway's 503 says so."""
    if request.version == PROTOCOL:
        return None
    return (
        f"the gateway is of another Velox release (bus protocol {request.version or 'before 5'},"
        f" the engine's {PROTOCOL}): upgrade it"
    )


# -- replies ------------------------------------------------------------------------------
@frozen
class Reply:
    """The engine's answer: the outcome and the last sequence its commit wrote (0: none),
    or ``not_ready`` when the engine could not take the command."""

    outcome: Outcome
    seq: int = 0
    not_ready: str | None = None


def _event_row(event: Event) -> list[Any]:
    return [type(event).__name__, _values(event)]


def _event_of(row: list[Any]) -> Event:
    type_name, values = row
    return EVENT_TYPES[type_name](**values)


def encode_reply(reply: Reply) -> bytes:
    if reply.not_ready is not None:
        return codec.dumps({"notReady": reply.not_ready})
    refusal = reply.outcome.refusal
    if refusal is not None:
        return codec.dumps(
            {"refusal": {"code": refusal.code.value, "message": refusal.message,
                         "field": refusal.field}}
        )  # fmt: skip
    outcome = reply.outcome
    events = [_event_row(e) for e in outcome.events]
    return codec.dumps(
        {"seq": reply.seq, "events": events, "existing": outcome.existing, "more": outcome.more}
    )


def decode_reply(data: bytes) -> Reply:
    try:
        message = codec.loads(data)
        if "notReady" in message:
            return Reply(Outcome(), not_ready=str(message["notReady"]))
        if "refusal" in message:
            r = message["refusal"]
            return Reply(Outcome(refusal=Refusal(Code(r["code"]), r["message"], r["field"])))
        events = tuple(_event_of(row) for row in message["events"])
        existing = message["existing"]
        outcome = Outcome(
            events=events,
            existing=None if existing is None else str(existing),
            more=bool(message["more"]),
        )
        return Reply(outcome, seq=int(message["seq"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"not a reply: {exc}") from exc


# -- committed batches --------------------------------------------------------------------
@frozen
class Batch:
    """One commit as published: numbered events (possibly none) and the prices it set."""

    events: tuple[tuple[int, Event], ...]
    quotes: tuple[tuple[str, Quote], ...]

    @property
    def first(self) -> int:
        return self.events[0][0] if self.events else 0

    @property
    def last(self) -> int:
        return self.events[-1][0] if self.events else 0


def encode_batch(batch: Batch) -> bytes:
    return codec.dumps(
        {
            "e": [[seq, *_event_row(event)] for seq, event in batch.events],
            "q": [[asset, q.ref, q.bid, q.ask, q.ts] for asset, q in batch.quotes],
        }
    )


def _quote(row: list[Any]) -> Quote:
    return Quote(Price(int(row[1])), Price(int(row[2])), Price(int(row[3])), int(row[4]))


def decode_batch(data: bytes) -> Batch:
    try:
        message = codec.loads(data)
        events = tuple((int(row[0]), _event_of(row[1:])) for row in message["e"])
        quotes = tuple((str(r[0]), _quote(r)) for r in message["q"])
        return Batch(events, quotes)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise WireError(f"not a batch: {exc}") from exc


def received(decode: Callable[[bytes], T], data: bytes, what: str) -> T | None:
    """``decode(data)``; or, for a malformed message (another version of Velox, a stray
    publisher), ``None`` after one warning: a subscriber drops it and carries on."""
    try:
        return decode(data)
    except WireError as exc:
        log.warning("bus: dropping a malformed %s: %s", what, exc)
        return None


# -- trades, candles, history, status -----------------------------------------------------
def encode_trade(tick: FeedTick) -> bytes:
    """A feed tick's trade (its book fields are the engine's business, not the streams')."""
    return codec.dumps(
        [tick.symbol, tick.received_ms, tick.trade_price, tick.trade_qty, tick.trade_id,
         tick.exchange_ms]
    )  # fmt: skip


def decode_trade(data: bytes) -> FeedTick:
    try:
        symbol, received, price, qty, trade_id, exchange_ms = codec.loads(data)
        if not isinstance(symbol, str):
            raise TypeError("symbol is not a string")
        return FeedTick(
            symbol, int(received), trade_price=int(price), trade_qty=int(qty),
            trade_id=int(trade_id), exchange_ms=None if exchange_ms is None else int(exchange_ms),
        )  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise WireError(f"not a trade: {exc}") from exc


def encode_candle(candle: CandleRecord) -> bytes:
    return codec.dumps(_values(candle))


def decode_candle(data: bytes) -> CandleRecord:
    try:
        return CandleRecord(**codec.loads(data))
    except (TypeError, ValueError) as exc:
        raise WireError(f"not a candle: {exc}") from exc


def encode_history(symbol: str, duration: str) -> bytes:
    """A series whose history the trade writer wrote (``TradeWriter.on_history``)."""
    return codec.dumps([symbol, duration])


def decode_history(data: bytes) -> tuple[str, str]:
    try:
        symbol, duration = codec.loads(data)
        if not isinstance(symbol, str) or not isinstance(duration, str):
            raise TypeError("symbol and duration are strings")
        return symbol, duration
    except (TypeError, ValueError) as exc:
        raise WireError(f"not a history series: {exc}") from exc


@frozen
class Status:
    """The engine's heartbeat: its state, the last sequence it committed, which run of the
    engine it is (a new ``instance`` means the engine restarted), and its feed's name and
    whether its prices are simulated (a gateway's ``/healthz`` says so, as the engine's)."""

    state: str
    seq: int
    instance: str
    feed: str = "none"
    simulated: bool = False


def encode_status(status: Status) -> bytes:
    return codec.dumps(_values(status))


def decode_status(data: bytes) -> Status:
    try:
        return Status(**codec.loads(data))
    except (TypeError, ValueError) as exc:
        raise WireError(f"not a status: {exc}") from exc
