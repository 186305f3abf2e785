"""Binance combined-stream payloads (shapes recorded from the spot API) -> FeedTick."""

from __future__ import annotations

import orjson
import pytest

from velox.feeds.base import FeedTick
from velox.feeds.binance_parse import parse_binance, stream_names
from velox.feeds.messages import ExchangeError, FeedParseError, ServerShutdown
from velox.feeds.symbols import binance_symbols

SYMBOLS = binance_symbols()

TRADE = (
    b'{"stream":"btcusdt@trade","data":{"e":"trade","E":1736812800123,"s":"BTCUSDT",'
    b'"t":4412345678,"p":"94850.01000000","q":"0.00052000","T":1736812800122,'
    b'"m":true,"M":true}}'
)
BOOK = (
    b'{"stream":"ethusdt@bookTicker","data":{"u":53884261122,"s":"ETHUSDT",'
    b'"b":"3301.55000000","B":"12.48210000","a":"3301.56000000","A":"3.05170000"}}'
)
FUTURES_BOOK = (
    b'{"stream":"solusdt@bookTicker","data":{"e":"bookTicker","u":400900217,'
    b'"E":1568014460893,"T":1568014460891,"s":"SOLUSDT","b":"180.1200","B":"31.21",'
    b'"a":"180.1300","A":"40.66"}}'
)


def parse(raw: bytes, received_ms: int = 1_000) -> object:
    return parse_binance(orjson.loads(raw), received_ms, SYMBOLS)


def test_ticks_carry_the_connection_that_delivered_them() -> None:
    for raw in (TRADE, BOOK):
        tick = parse_binance(orjson.loads(raw), 1_000, SYMBOLS, connection=3)
        assert isinstance(tick, FeedTick) and tick.connection == 3
    assert isinstance(tick := parse(TRADE), FeedTick) and tick.connection == 0


def test_trade_prices_are_exact_integer_units() -> None:
    tick = parse(TRADE, received_ms=1736812800200)
    assert tick == FeedTick(
        symbol="BTCUSDT",
        received_ms=1736812800200,
        trade_price=9_485_001_000_000,
        trade_qty=52_000,
        trade_id=4412345678,
        exchange_ms=1736812800122,
        source="binance",
    )
    assert isinstance(tick, FeedTick)
    assert type(tick.trade_price) is int and type(tick.trade_qty) is int


def test_spot_book_ticker_has_no_time() -> None:
    tick = parse(BOOK, received_ms=5)
    assert tick == FeedTick(
        "ETHUSDT",
        5,
        bid=330_155_000_000,
        ask=330_156_000_000,
        update_id=53884261122,
        source="binance",
    )


def test_futures_book_ticker_keeps_transaction_time() -> None:
    tick = parse(FUTURES_BOOK)
    assert isinstance(tick, FeedTick)
    assert (tick.bid, tick.ask, tick.exchange_ms) == (18_012_000_000, 18_013_000_000, 1568014460891)


def test_server_shutdown_wrapped_and_raw() -> None:
    wrapped = b'{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1747300000000}}'
    assert parse(wrapped) == ServerShutdown(1747300000000)
    assert parse(b'{"e":"serverShutdown","E":7}') == ServerShutdown(7)


def test_control_replies_and_unknown_streams_are_ignored() -> None:
    assert parse(b'{"result":null,"id":1}') is None
    assert parse(b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade"}}') is None
    assert parse(b'{"code":2,"msg":"Invalid request"}') == ExchangeError(2, "Invalid request")


def test_unsubscribed_symbol_is_ignored() -> None:
    raw = TRADE.replace(b'"s":"BTCUSDT"', b'"s":"DOGEUSDT"')
    assert parse(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        b"[]",
        b'{"foo":1}',
        b'{"stream":"btcusdt@trade","data":[]}',
        TRADE.replace(b'"p":"94850.01000000"', b'"p":94850.01'),  # number, not string
        TRADE.replace(b'"p":"94850.01000000"', b'"p":"abc"'),
        TRADE.replace(b'"p":"94850.01000000"', b'"p":"0.000000001"'),  # 9 decimals
        TRADE.replace(b'"p":"94850.01000000"', b'"p":"0"'),
        TRADE.replace(b'"q":"0.00052000"', b'"q":"-1"'),
        TRADE.replace(b'"t":4412345678', b'"t":"4412345678"'),
        TRADE.replace(b'"t":4412345678', b'"t":true'),
        TRADE.replace(b'"T":1736812800122,', b""),
        TRADE.replace(b'"s":"BTCUSDT",', b""),
        BOOK.replace(b'"b":"3301.55000000"', b'"b":"3400"'),  # crossed
        BOOK.replace(b'"u":53884261122,', b""),
        BOOK.replace(b'"a":"3301.56000000"', b'"a":null'),
    ],
)
def test_malformed_messages_raise_typed_error(raw: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse(raw)


def test_stream_names_are_lowercase_trade_and_book() -> None:
    assert stream_names(binance_symbols(["BTCUSDT", "SOLUSDT"])) == [
        "btcusdt@trade",
        "btcusdt@bookTicker",
        "solusdt@trade",
        "solusdt@bookTicker",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        TRADE.replace(b'"t":4412345678', b'"t":9223372036854775808'),
        TRADE.replace(b'"t":4412345678', b'"t":18446744073709551616'),
        BOOK.replace(b'"u":53884261122', b'"u":9223372036854775808'),
        BOOK.replace(b'"u":53884261122', b'"u":-1'),
    ],
)
def test_ids_outside_int64_are_malformed(raw: bytes) -> None:
    """Regression: a trade id of 2**63 reached the trade writer, whose SQLite insert raised
    OverflowError and lost the whole batch of good trades with it."""
    with pytest.raises(FeedParseError):
        parse(raw)
    assert isinstance(parse(TRADE.replace(b'"t":4412345678', b'"t":9223372036854775807')), FeedTick)
