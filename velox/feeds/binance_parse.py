"""Binance combined-stream messages -> FeedTick (pure; recorded payloads in tests/feeds/).

Shapes (EXCHANGE-PROTOCOLS.md): every message is ``{"stream": name, "data": payload}``;
``<sym>@trade`` carries ``t`` id, ``p``/``q`` strings and ``T`` trade ms; spot
``<sym>@bookTicker`` carries only ``u, s, b, B, a, A`` (futures adds ``E``/``T``); a
``serverShutdown`` event means the connection is about to be closed by Binance.
"""

from __future__ import annotations

from collections.abc import Mapping

from velox.feeds.base import FeedTick
from velox.feeds.messages import (
    ExchangeError,
    FeedParseError,
    Parsed,
    ServerShutdown,
    as_object,
    book,
    opt_int,
    req_id,
    req_int,
    req_str,
    req_units,
)
from velox.feeds.symbols import SymbolMap

SOURCE = "binance"


def stream_names(symbols: SymbolMap) -> list[str]:
    """The combined-stream names for ``/stream?streams=a/b/c``: trade and bookTicker each."""
    return [
        f"{symbols.exchange(s).lower()}@{kind}"
        for s in symbols.velox_symbols
        for kind in ("trade", "bookTicker")
    ]


def parse_binance(
    message: object, received_ms: int, symbols: SymbolMap, connection: int = 0
) -> Parsed:
    """One decoded combined-stream message. Raises FeedParseError when it is malformed."""
    msg = as_object(message, "message")
    if "stream" not in msg:
        return _unwrapped(msg)
    stream = req_str(msg, "stream")
    data = as_object(msg.get("data"), "data")
    if stream == "!serverShutdown" or data.get("e") == "serverShutdown":
        return ServerShutdown(opt_int(data, "E"))
    _, _, kind = stream.partition("@")
    if kind == "trade":
        return _trade(data, received_ms, symbols, connection)
    if kind == "bookTicker":
        return _book_ticker(data, received_ms, symbols, connection)
    return None  # a stream we do not use (e.g. aggTrade, kline) is not an error


def _unwrapped(msg: Mapping[str, object]) -> Parsed:
    """Control replies (``{"result":null,"id":1}``), errors and a raw serverShutdown event."""
    if msg.get("e") == "serverShutdown":
        return ServerShutdown(opt_int(msg, "E"))
    if "result" in msg and "id" in msg:
        return None
    if "code" in msg and "msg" in msg:
        code = msg.get("code")
        return ExchangeError(code if isinstance(code, int) else None, str(msg.get("msg")))
    raise FeedParseError("message has no 'stream' and is not a control reply")


def _symbol(data: Mapping[str, object], symbols: SymbolMap) -> str | None:
    return symbols.velox(req_str(data, "s"))


def _trade(
    data: Mapping[str, object], received_ms: int, symbols: SymbolMap, connection: int
) -> FeedTick | None:
    symbol = _symbol(data, symbols)
    price, qty = req_units(data, "p"), req_units(data, "q")
    trade_id, trade_ms = req_id(data, "t"), req_int(data, "T")
    if trade_ms <= 0:
        raise FeedParseError("non-positive trade time")
    if symbol is None:
        return None
    return FeedTick(
        symbol=symbol,
        received_ms=received_ms,
        trade_price=price,
        trade_qty=qty,
        trade_id=trade_id,
        exchange_ms=trade_ms,
        source=SOURCE,
        connection=connection,
    )


def _book_ticker(
    data: Mapping[str, object], received_ms: int, symbols: SymbolMap, connection: int
) -> FeedTick | None:
    symbol = _symbol(data, symbols)
    update_id = req_id(data, "u")
    bid, ask = book(data)
    if symbol is None:
        return None
    # Spot bookTicker has no time at all; futures adds T (transaction ms).
    exchange_ms = opt_int(data, "T")
    return FeedTick(
        symbol=symbol,
        received_ms=received_ms,
        bid=bid,
        ask=ask,
        exchange_ms=exchange_ms,
        update_id=update_id,
        source=SOURCE,
        connection=connection,
    )
