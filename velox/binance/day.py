"""A symbol's 24-hour rolling statistics, computed once for ``GET /fapi/v1/ticker/24hr`` and
the ``<sym>@ticker`` / ``@miniTicker`` streams (and their ``!...@arr`` arrays), so a bot
reading both never sees two different days.

The day is the hourly candles from the hour 24 h ago (the ones the native
``/api/v1/candles`` shows, unflushed part included) up to now; the last price is the
quote's reference price when there is one, else the last close. The quote volume is the
candles' estimate (``shapes.quote_volume``: Velox keeps no price x quantity sum) and the
weighted average price is it over the volume; Velox keeps no trade count (0). The same
figures on REST and streams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from velox.binance.shapes import quote_volume
from velox.market.candles import DURATIONS_MS
from velox.money import SCALE, format_units
from velox.store.records import CandleRecord
from velox.web.keys import CandleQuery

Json = dict[str, Any]
DAY_MS = 86_400_000
HOUR_MS = DURATIONS_MS["1h"]


@dataclass(frozen=True, slots=True)
class Day:
    symbol: str
    last: int
    last_qty: int
    open: int
    high: int
    low: int
    volume: int
    quote_volume: int
    open_time: int
    close_time: int


def day_of_candles(
    symbol: str, candles: list[CandleRecord], last: int | None, last_qty: int, now: int
) -> Day:
    """The figures from hourly ``candles`` (oldest first) and the ``last`` price, if any."""
    if candles:
        price = last if last is not None else candles[-1].close
        return Day(
            symbol, price, last_qty, candles[0].open,
            max(max(c.high for c in candles), price), min(min(c.low for c in candles), price),
            sum(c.volume for c in candles), sum(quote_volume(c) for c in candles),
            candles[0].time, now,
        )  # fmt: skip
    price = last or 0
    return Day(symbol, price, last_qty, price, price, price, 0, 0, now, now)


async def day_of(
    candles: CandleQuery, symbol: str, last: int | None, last_qty: int, now: int
) -> Day:
    """Read the day's hourly candles and compute its figures."""
    start = now - DAY_MS
    start -= start % HOUR_MS
    rows = await candles(symbol, "1h", start, None, 25)
    return day_of_candles(symbol, rows, last, last_qty, now)


def percent_change(old: int, new: int) -> str:
    """(new - old) / old x 100 with 3 decimals, truncated toward zero (Binance's form)."""
    if old == 0:
        return "0.000"
    thousandths = abs(new - old) * 100_000 // old
    sign = "-" if new < old and thousandths else ""
    return f"{sign}{thousandths // 1000}.{thousandths % 1000:03d}"


def ticker_24hr(day: Day) -> Json:
    """``GET /fapi/v1/ticker/24hr``'s shape."""
    return {
        "symbol": day.symbol,
        "priceChange": format_units(day.last - day.open),
        "priceChangePercent": percent_change(day.open, day.last),
        "weightedAvgPrice": format_units(
            day.quote_volume * SCALE // day.volume if day.volume else 0
        ),
        "lastPrice": format_units(day.last),
        "lastQty": format_units(day.last_qty),
        "openPrice": format_units(day.open),
        "highPrice": format_units(day.high),
        "lowPrice": format_units(day.low),
        "volume": format_units(day.volume),
        "quoteVolume": format_units(day.quote_volume),
        "openTime": day.open_time,
        "closeTime": day.close_time,
        "firstId": 0,
        "lastId": 0,
        "count": 0,
    }


def ticker_event(day: Day, now: int) -> Json:
    """The ``24hrTicker`` stream event: the REST figures under Binance's one-letter keys."""
    rest = ticker_24hr(day)
    return {
        "e": "24hrTicker", "E": now, "s": day.symbol, "p": rest["priceChange"],
        "P": rest["priceChangePercent"], "w": rest["weightedAvgPrice"], "c": rest["lastPrice"],
        "Q": rest["lastQty"], "o": rest["openPrice"], "h": rest["highPrice"],
        "l": rest["lowPrice"], "v": rest["volume"], "q": rest["quoteVolume"],
        "O": rest["openTime"], "C": rest["closeTime"], "F": rest["firstId"],
        "L": rest["lastId"], "n": rest["count"],
    }  # fmt: skip


def mini_ticker_event(day: Day, now: int) -> Json:
    """The ``24hrMiniTicker`` stream event: the ticker's prices and volumes only."""
    full = ticker_event(day, now)
    return {"e": "24hrMiniTicker", **{k: full[k] for k in "Escohlvq"}}
