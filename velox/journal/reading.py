"""Decoding the journal's rows and snapshots, or saying in one line which one is unreadable.

A row or snapshot whose bytes were damaged (a disk fault, a hand edit, a restore gone wrong)
ended a start in a 30-line traceback from inside the JSON parser or the event table, and
``velox audit`` crashed instead of reporting it. Each read here raises ``UnreadableRow``
naming the row instead: a ``StoreOpenError``, so ``velox run``, ``engine`` and ``gateway``
print it as one ``velox: ...`` line and exit with status 1 (no start can go past it: the
state after that row is unknown), and the audit lists it as a PROBLEM.
"""

from __future__ import annotations

from typing import Any

from velox import codec
from velox.engine.engine import Engine
from velox.engine.events import EVENT_TYPES, Event
from velox.engine.settings import EngineSettings
from velox.store.base import StoreOpenError
from velox.store.records import JournalRecord, SnapshotRecord

# what a damaged payload makes the parser, an event's constructor or ``Engine.restore``
# raise (``orjson.JSONDecodeError`` and ``UnicodeDecodeError`` are ``ValueError``s;
# ``decimal.InvalidOperation`` an ``ArithmeticError``)
_DAMAGE = (ValueError, TypeError, KeyError, AttributeError, IndexError, ArithmeticError)


class UnreadableRow(StoreOpenError):
    """A journal row or snapshot that does not decode: the engine cannot be rebuilt past it."""


def event_of(record: JournalRecord) -> Event:
    """The event ``record`` holds."""
    if record.type not in EVENT_TYPES:
        raise UnreadableRow(
            _said(f"the journal row {record.seq}", f"no event type {record.type!r}")
        )
    try:
        return codec.decode_event(record.type, record.payload)
    except _DAMAGE as exc:
        raise UnreadableRow(_said(f"the journal row {record.seq}", _why(exc))) from exc


def snapshot_data(snapshot: SnapshotRecord) -> dict[str, Any]:
    """The engine state ``snapshot`` holds, as exported (not yet restored)."""
    try:
        data = codec.loads(snapshot.payload)
    except _DAMAGE as exc:
        raise UnreadableRow(_said(f"the snapshot at seq {snapshot.seq}", _why(exc))) from exc
    if not isinstance(data, dict):
        raise UnreadableRow(_said(f"the snapshot at seq {snapshot.seq}", "not an engine state"))
    return data


def restore(snapshot: SnapshotRecord, data: dict[str, Any], settings: EngineSettings) -> Engine:
    """``Engine.restore(data)``, ``data`` being ``snapshot_data(snapshot)``."""
    try:
        return Engine.restore(data, settings)
    except _DAMAGE as exc:
        raise UnreadableRow(_said(f"the snapshot at seq {snapshot.seq}", _why(exc))) from exc


def _said(what: str, why: str) -> str:
    return f"{what} cannot be read: {why}"


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
