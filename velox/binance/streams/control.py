"""Binance's control messages on a market-stream socket, and their replies.

``{"method": "SUBSCRIBE" | "UNSUBSCRIBE", "params": [streams], "id": n}`` -> ``{"result":
null, "id": n}``; ``LIST_SUBSCRIPTIONS`` -> ``{"result": [streams], "id": n}``;
``SET_PROPERTY ["combined", bool]`` / ``GET_PROPERTY ["combined"]``, the one property Binance
has (payloads wrapped as ``{"stream", "data"}`` or not). A bad message gets Binance's error
``{"code": 0..3, "msg": ...}``, with its ``id`` when it had a valid one: 0 an unknown
property, 1 a value of the wrong type, 2 an invalid request, 3 invalid JSON. Binance's ids
are unsigned integers; ccxt.pro counts them per connection and matches the replies by them.
A stream Velox does not serve is refused (code 2) rather than silently never sent.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from velox.binance.streams.market import MarketStreams
from velox.binance.streams.names import LONGEST_NAME, parse_stream

MAX_STREAMS = 1024
# The largest control message a socket takes: MAX_STREAMS of the longest names, each quoted
# with its separator and some whitespace, in an envelope with the longest method and id. A
# SUBSCRIBE within the stream cap is always read and answered; a message past this size
# closes the socket (1009), as any websocket message over its limit does. It was 4,096
# bytes: 200 streams of a 50-symbol server (4.9 kB) closed the socket unanswered.
PER_NAME = 8  # two quotes, a comma, up to five bytes of whitespace
ENVELOPE = 1024
MAX_CONTROL = MAX_STREAMS * (LONGEST_NAME + PER_NAME) + ENVELOPE
METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
Json = dict[str, Any]


class Subscriptions(Protocol):
    """A socket's side of it: its streams, and whether its payloads are wrapped."""

    streams: set[str]
    combined: bool

    def deliver(self, stream: str, payload: bytes) -> None: ...


def control(text: str, client: Subscriptions, market: MarketStreams) -> Json:
    """One control message -> its reply; subscriptions change on ``client`` and ``market``."""
    try:
        message = json.loads(text)
    except ValueError as exc:
        return {"code": 3, "msg": f"Invalid JSON: {exc}"}
    if not isinstance(message, dict):
        return {"code": 3, "msg": "Invalid JSON: expected an object"}
    ident = message.get("id")
    if isinstance(ident, bool) or not isinstance(ident, int) or ident < 0:
        return {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}
    method = message.get("method")
    if method not in METHODS:
        expected = ", ".join(f"`{m}`" for m in METHODS)
        return _error(2, f"Invalid request: unknown variant `{method}`, expected one of "
                         f"{expected}", ident)  # fmt: skip
    if method == "LIST_SUBSCRIPTIONS":
        return {"result": sorted(client.streams), "id": ident}
    params = message.get("params")
    if not isinstance(params, list):
        return _error(2, "Invalid request: params must be a list", ident)
    if method in ("SET_PROPERTY", "GET_PROPERTY"):
        return _property(method, params, client, ident)
    if not all(isinstance(p, str) for p in params):
        return _error(2, "Invalid request: stream names must be strings", ident)
    names = [parse_stream(p, market.symbols) for p in params]
    if any(n is None for n in names):
        return _error(2, "Invalid request: unknown stream", ident)
    if method == "SUBSCRIBE" and len(client.streams | set(params)) > MAX_STREAMS:
        return _error(2, "Invalid request: too many streams", ident)
    for name in params:
        if method == "SUBSCRIBE":
            client.streams.add(name)
            market.subscribe(client, name)
        else:
            client.streams.discard(name)
            market.unsubscribe(client, name)
    return {"result": None, "id": ident}


def _property(method: str, params: list[Any], client: Subscriptions, ident: int) -> Json:
    if not params or not isinstance(params[0], str):
        return _error(2, "Invalid request: property name must be a string", ident)
    if params[0] != "combined":
        return _error(0, "Unknown property", ident)
    if method == "GET_PROPERTY":
        return {"result": client.combined, "id": ident}
    if len(params) != 2 or not isinstance(params[1], bool):
        return _error(1, "Invalid value type: expected Boolean", ident)
    client.combined = params[1]
    return {"result": None, "id": ident}


def _error(code: int, msg: str, ident: int) -> Json:
    return {"code": code, "msg": msg, "id": ident}
