"""Backpack payloads (shapes from the public docs and live captures) -> FeedTick, µs -> ms."""

from __future__ import annotations

import orjson
import pytest

from velox.feeds.backpack_parse import parse_backpack, subscribe_params, us_to_ms
from velox.feeds.base import FeedTick
from velox.feeds.messages import ExchangeError, FeedParseError
from velox.feeds.symbols import backpack_symbols

SYMBOLS = backpack_symbols()

BOOK = (
    b'{"stream":"bookTicker.SOL_USDC","data":{"e":"bookTicker","E":1736812800123456,'
    b'"s":"SOL_USDC","a":"180.52","A":"12.5","b":"180.51","B":"40.02","u":"1463419",'
    b'"T":1736812800122999}}'
)
TRADE = (
    b'{"stream":"trade.BTC_USDC","data":{"e":"trade","E":1736812800123456,"s":"BTC_USDC",'
    b'"p":"94851.3","q":"0.00031","b":"114460223461621760","a":"114460223449071616",'
    b'"t":5263948,"T":1736812800123001,"m":false}}'
)


def parse(raw: bytes, received_ms: int = 9) -> object:
    return parse_backpack(orjson.loads(raw), received_ms, SYMBOLS)


def test_trade_maps_symbol_and_floors_microseconds() -> None:
    tick = parse(TRADE)
    assert tick == FeedTick(
        symbol="BTCUSDT",
        received_ms=9,
        trade_price=9_485_130_000_000,
        trade_qty=31_000,
        trade_id=5263948,
        exchange_ms=1736812800123,
        source="backpack",
    )
    assert isinstance(tick, FeedTick) and type(tick.trade_price) is int


def test_book_ticker_update_id_string_or_int() -> None:
    expected = FeedTick(
        "SOLUSDT",
        9,
        bid=18_051_000_000,
        ask=18_052_000_000,
        exchange_ms=1736812800122,
        update_id=1463419,
        source="backpack",
    )
    assert parse(BOOK) == expected
    assert parse(BOOK.replace(b'"u":"1463419"', b'"u":1463419')) == expected
    for bad in (b'"u":"14a"', b'"u":"\\u00b2"', b'"u":"-1"'):
        with pytest.raises(FeedParseError):
            parse(BOOK.replace(b'"u":"1463419"', bad))


def test_us_to_ms_floors() -> None:
    assert (us_to_ms(1_999), us_to_ms(2_000), us_to_ms(1736812800123999)) == (1, 2, 1736812800123)


def test_error_reply_and_unknown() -> None:
    err = b'{"id":null,"error":{"code":4006,"message":"Invalid stream"}}'
    assert parse(err) == ExchangeError(4006, "Invalid stream")
    assert parse(b'{"id":3,"result":null}') is None
    assert parse(b'{"stream":"depth.SOL_USDC","data":{}}') is None
    assert parse(TRADE.replace(b"BTC_USDC", b"ETH_BTC")) is None


@pytest.mark.parametrize(
    "raw",
    [
        b'"hello"',
        b'{"nothing":true}',
        TRADE.replace(b'"p":"94851.3"', b'"p":94851.3'),
        TRADE.replace(b'"q":"0.00031"', b'"q":""'),
        TRADE.replace(b'"t":5263948', b'"t":null'),
        TRADE.replace(b'"T":1736812800123001', b'"T":"1736812800123001"'),
        BOOK.replace(b'"u":"1463419"', b'"u":"x1"'),
        BOOK.replace(b'"b":"180.51"', b'"b":"181"'),
        BOOK.replace(b'"data":{', b'"data":{"x":1},"y":{'),
    ],
)
def test_malformed_messages_raise_typed_error(raw: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse(raw)


def test_subscribe_params_use_backpack_names() -> None:
    assert subscribe_params(backpack_symbols(["ETHUSDT"])) == [
        "bookTicker.ETH_USDC",
        "trade.ETH_USDC",
    ]


def test_ticks_carry_the_connection_that_delivered_them() -> None:
    for raw in (TRADE, BOOK):
        tick = parse_backpack(orjson.loads(raw), 9, SYMBOLS, connection=2)
        assert isinstance(tick, FeedTick) and tick.connection == 2


@pytest.mark.parametrize(
    "raw",
    [
        TRADE.replace(b'"t":5263948', b'"t":9223372036854775808'),
        BOOK.replace(b'"u":"1463419"', b'"u":"9223372036854775808"'),
        BOOK.replace(b'"u":"1463419"', b'"u":9223372036854775808'),
    ],
)
def test_ids_outside_int64_are_malformed(raw: bytes) -> None:
    """Regression: such an id reached the trade writer, whose SQLite insert overflowed."""
    with pytest.raises(FeedParseError):
        parse(raw)
