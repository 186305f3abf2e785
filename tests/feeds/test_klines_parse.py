"""Binance REST kline rows -> Kline: exact units from strings, malformed replies refused."""

from __future__ import annotations

import orjson
import pytest

from velox.feeds.klines_parse import Kline, parse_klines
from velox.feeds.messages import FeedParseError

# The example row of Binance's API documentation, then two 1m BTCUSDT rows as Binance sends
# them (the second a minute without trades: volume zero, OHLC at the last price).
RECORDED = b"""[
 [1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",
  1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","0"],
 [1736812800000,"94512.01000000","94530.00000000","94498.10000000","94520.55000000",
  "12.34567890",1736812859999,"1166963.97811427",2214,"6.10000000","576552.35500000","0"],
 [1736812860000,"94520.55000000","94520.55000000","94520.55000000","94520.55000000",
  "0.00000000",1736812919999,"0.00000000",0,"0.00000000","0.00000000","0"]
]"""


def test_recorded_rows_parse_to_exact_units() -> None:
    assert parse_klines(orjson.loads(RECORDED)) == [
        Kline(1499040000000, 1_634_790, 80_000_000, 1_575_800, 1_577_100, 14_897_611_427_815),
        Kline(1736812800000, 9_451_201_000_000, 9_453_000_000_000, 9_449_810_000_000,
              9_452_055_000_000, 1_234_567_890),
        Kline(1736812860000, *(9_452_055_000_000,) * 4, 0),
    ]  # fmt: skip


def test_an_empty_reply_is_no_klines() -> None:
    assert parse_klines([]) == []


GOOD = [1000, "10", "12", "9", "11", "5"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"code": -1121, "msg": "Invalid symbol."}, "not a JSON array"),
        ([[1000, "10", "12", "9", "11"]], "at least 6"),
        (["1000,10,12,9,11,5"], "at least 6"),
        ([["1000", "10", "12", "9", "11", "5"]], "open time"),
        ([[True, "10", "12", "9", "11", "5"]], "open time"),
        ([[-1, "10", "12", "9", "11", "5"]], "open time"),
        ([[1000, 10.5, "12", "9", "11", "5"]], "column 1 missing or not a string"),
        ([[1000, "10", "12", "9", "0", "5"]], "column 4"),
        ([[1000, "10", "12", "9", "11", "-5"]], "volume"),
        ([[1000, "10", "12", "9", "11", "1e3"]], "volume"),
        ([[1000, "10", "12", "9", "11", "0.000000001"]], "volume"),
        ([[1000, "13", "12", "9", "11", "5"]], "outside low..high"),
        ([[1000, "10", "12", "10.5", "11", "5"]], "outside low..high"),
        ([GOOD, GOOD], "do not increase"),
        ([[2000, "10", "12", "9", "11", "5"], GOOD], "do not increase"),
    ],
)
def test_malformed_replies_are_refused_whole(payload: object, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_klines(payload)
