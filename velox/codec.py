"""Events and snapshots to bytes and back, for the journal.

orjson is fast but refuses integers beyond 64 bits, which exact money may reach in theory;
such payloads fall back to the standard library and are marked by a leading space (valid
JSON whitespace) so they are decoded by the same exact parser.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import orjson

from velox.engine.events import EVENT_TYPES, Event


def dumps(data: Any) -> bytes:
    try:
        return orjson.dumps(data)
    except TypeError:
        return b" " + json.dumps(data, separators=(",", ":")).encode()


def loads(payload: bytes) -> Any:
    if payload[:1] == b" ":
        return json.loads(payload)
    return orjson.loads(payload)


def event_type(event: Event) -> str:
    return type(event).__name__


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def encode_event(event: Event) -> bytes:
    cls = type(event)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return dumps({name: getattr(event, name) for name in names})


def decode_event(type_name: str, payload: bytes) -> Event:
    cls = EVENT_TYPES[type_name]
    return cls(**loads(payload))
