"""Backpack stream messages -> FeedTick (pure). Backpack times are MICROseconds: we keep ms.

Shapes (EXCHANGE-PROTOCOLS.md): ``{"stream": "bookTicker.BTC_USDC" | "trade.BTC_USDC",
"data": {...}}``; bookTicker ``a, A, b, B, u`` (``u`` documented as a string, seen as an int
live: both accepted), ``E``/``T`` µs; trade ``t`` int id, ``p``/``q`` strings, ``T`` µs.
Errors to our SUBSCRIBE look like ``{"id": null, "error": {"code": 4006, "message": ...}}``.
"""

from __future__ import annotations

from collections.abc import Mapping

from velox.feeds.base import FeedTick
from velox.feeds.messages import (
    ExchangeError,
    FeedParseError,
    Parsed,
    as_object,
    book,
    id_of,
    opt_int,
    req_id,
    req_int,
    req_str,
    req_units,
)
from velox.feeds.symbols import SymbolMap

SOURCE = "backpack"


def subscribe_params(symbols: SymbolMap) -> list[str]:
    """The ``params`` of our one SUBSCRIBE: bookTicker and trade for every symbol."""
    return [
        f"{kind}.{symbols.exchange(s)}"
        for s in symbols.velox_symbols
        for kind in ("bookTicker", "trade")
    ]


def us_to_ms(us: int) -> int:
    """Microseconds to milliseconds, floored (a trade at 999 µs belongs to ms 0)."""
    return us // 1000


def parse_backpack(
    message: object, received_ms: int, symbols: SymbolMap, connection: int = 0
) -> Parsed:
    """One decoded Backpack message. Raises FeedParseError when it is malformed."""
    msg = as_object(message, "message")
    if "stream" not in msg:
        if "error" in msg:
            err = as_object(msg["error"], "error")
            code = err.get("code")
            return ExchangeError(code if isinstance(code, int) else None, str(err.get("message")))
        if "result" in msg or "id" in msg:
            return None
        raise FeedParseError("message has no 'stream' and is not a control reply")
    stream = req_str(msg, "stream")
    data = as_object(msg.get("data"), "data")
    kind, _, _ = stream.partition(".")
    if kind == "trade":
        return _trade(data, received_ms, symbols, connection)
    if kind == "bookTicker":
        return _book_ticker(data, received_ms, symbols, connection)
    return None


def _trade(
    data: Mapping[str, object], received_ms: int, symbols: SymbolMap, connection: int
) -> FeedTick | None:
    symbol = symbols.velox(req_str(data, "s"))
    price, qty = req_units(data, "p"), req_units(data, "q")
    trade_id, trade_us = req_id(data, "t"), req_int(data, "T")
    if trade_us <= 0:
        raise FeedParseError("non-positive trade time")
    if symbol is None:
        return None
    return FeedTick(
        symbol=symbol,
        received_ms=received_ms,
        trade_price=price,
        trade_qty=qty,
        trade_id=trade_id,
        exchange_ms=us_to_ms(trade_us),
        source=SOURCE,
        connection=connection,
    )


def _book_ticker(
    data: Mapping[str, object], received_ms: int, symbols: SymbolMap, connection: int
) -> FeedTick | None:
    symbol = symbols.velox(req_str(data, "s"))
    raw_id = data.get("u")
    if isinstance(raw_id, str):
        if not (raw_id.isascii() and raw_id.isdigit()):
            raise FeedParseError(f"field 'u'={raw_id!r} is not an integer")
        update_id = id_of(int(raw_id), "u")
    else:
        update_id = req_id(data, "u")
    bid, ask = book(data)
    if symbol is None:
        return None
    trade_us = opt_int(data, "T")
    return FeedTick(
        symbol=symbol,
        received_ms=received_ms,
        bid=bid,
        ask=ask,
        exchange_ms=None if trade_us is None else us_to_ms(trade_us),
        update_id=update_id,
        source=SOURCE,
        connection=connection,
    )
