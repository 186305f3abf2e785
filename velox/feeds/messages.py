"""What a parser can say about one exchange message, and the field checks they share.

Parsers are pure: ``(decoded JSON, received_ms, SymbolMap, connection) -> FeedTick |
control | None``. ``None`` means "valid but nothing for us" (a subscription reply, a
symbol we did not ask for); a malformed message raises ``FeedParseError`` so the client can
log it and skip it.
Either way nothing half-parsed ever reaches the sink.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from velox.feeds.base import FeedTick
from velox.frozen import frozen
from velox.money import MoneyError, parse_units


class FeedParseError(ValueError):
    """A message that does not have the shape the exchange documents."""


@frozen
class ServerShutdown:
    """The exchange announced it will close this connection: reconnect now, not on close."""

    event_ms: int | None


@frozen
class ExchangeError:
    """An error reply to a control message (e.g. a rejected SUBSCRIBE)."""

    code: int | None
    message: str


Parsed: TypeAlias = FeedTick | ServerShutdown | ExchangeError | None


def as_object(value: object, what: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise FeedParseError(f"{what} is not a JSON object")
    return value


def req_str(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise FeedParseError(f"field {key!r} missing or not a string")
    return value


def req_int(data: Mapping[str, object], key: str) -> int:
    value = data.get(key)
    # bool is an int subclass in Python; a JSON true is never an id or a timestamp.
    if not isinstance(value, int) or isinstance(value, bool):
        raise FeedParseError(f"field {key!r} missing or not an integer")
    return value


MAX_ID = 2**63 - 1  # a signed 64-bit column (SQLite INTEGER, PostgreSQL BIGINT)


def req_id(data: Mapping[str, object], key: str) -> int:
    """An exchange id (trade id, book update id) in 0..2**63-1. Larger ones are malformed:
    no exchange issues them, the stores cannot hold them (SQLite raised OverflowError and
    lost a whole batch of good trades), and one would stand as the symbol's high-water mark."""
    return id_of(req_int(data, key), key)


def id_of(value: int, key: str) -> int:
    if not 0 <= value <= MAX_ID:
        raise FeedParseError(f"field {key!r}={value}: id outside 0..2**63-1")
    return value


def opt_int(data: Mapping[str, object], key: str) -> int | None:
    return None if data.get(key) is None else req_int(data, key)


def req_units(data: Mapping[str, object], key: str) -> int:
    """A positive price or quantity. Exchanges send these as strings; a JSON number is refused
    rather than trusted, because it has already been through a float in most decoders."""
    return units_of(data.get(key), f"field {key!r}")


def units_of(value: object, what: str, *, allow_zero: bool = False) -> int:
    """``req_units`` for a value already taken out of its message (e.g. a kline row's column)."""
    if not isinstance(value, str):
        raise FeedParseError(f"{what} missing or not a string")
    try:
        return parse_units(value, allow_zero=allow_zero)
    except MoneyError as exc:
        raise FeedParseError(f"{what}={value!r}: {exc}") from exc


def book(data: Mapping[str, object]) -> tuple[int, int]:
    """Best bid and ask (keys ``b`` and ``a`` on both exchanges); a crossed book is refused."""
    bid, ask = req_units(data, "b"), req_units(data, "a")
    if bid > ask:
        raise FeedParseError(f"crossed book: bid {data['b']} > ask {data['a']}")
    return bid, ask
