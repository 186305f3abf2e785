"""Market data in Binance USDⓈ-M shapes (pure): exchangeInfo, tickers, depth, klines, marks.

Prices and quantities are 8-decimal strings (Velox's precision: ``tickSize`` and
``stepSize`` are 0.00000001, so a client rounds to what Velox accepts). The book is the
platform's quote: one level each side at the quoted bid and ask (SPEC section 2), with a
depth as large as any order Velox accepts, since the platform is the counterparty.
Nothing here computes money beyond presenting it.
"""

from __future__ import annotations

from typing import Any

import orjson

from velox.binance.terms import Terms, ratio_text
from velox.engine.state import Quote
from velox.market.candles import DURATIONS_MS
from velox.market.intervals import DERIVED, next_start
from velox.money import MAX_UNITS, SCALE, format_units
from velox.store.records import CandleRecord, FundingBoundaryRecord, TradeRecord

Json = dict[str, Any]
MAX_QTY = 1_000_000 * SCALE  # the LOT_SIZE ceiling, and the size shown at each book level
MAX_PRICE = 10**9 * SCALE
UNIT = "0.00000001"
# Binance intervals that are Velox candle durations (futures has no 1s/30s klines); the rest
# of Binance's are folded from these when asked (velox.market.intervals.DERIVED).
INTERVALS = {i: DURATIONS_MS[i] for i in ("1m", "5m", "15m", "1h", "4h", "1d")}
SPOT_INTERVALS = {"1s": DURATIONS_MS["1s"], **INTERVALS}  # /api/v3/klines (no 30s either)
ALL_INTERVALS = (*INTERVALS, *DERIVED)
ORDER_TYPES = ["LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]
ONBOARD_MS = 1_569_398_400_000  # shown as the listing date
DELIVERY_MS = 4_133_404_800_000  # Binance's "never" for perpetuals (2100-12-25)


def _number(text: str) -> orjson.Fragment:
    """A JSON number written from exact decimal text (Binance sends some as numbers)."""
    return orjson.Fragment(text.encode("ascii"))


def base_asset(symbol: str) -> str:
    return symbol.removesuffix("USDT")


def exchange_info(symbols: tuple[str, ...], terms: Terms, weight_limit: int, now: int) -> Json:
    return {
        "timezone": "UTC",
        "serverTime": now,
        "futuresType": "U_MARGINED",
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": weight_limit,
            },
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "0"}],
        "symbols": [_symbol(s, terms) for s in symbols],
    }


def _symbol(symbol: str, terms: Terms) -> Json:
    return {
        "symbol": symbol,
        "pair": symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": DELIVERY_MS,
        "onboardDate": ONBOARD_MS,
        "status": "TRADING",
        "maintMarginPercent": ratio_text(terms.mmr * 100, 4),
        "requiredMarginPercent": ratio_text(100 * SCALE // terms.max_leverage, 4),
        "baseAsset": base_asset(symbol),
        "quoteAsset": "USDT",
        "marginAsset": "USDT",
        "pricePrecision": 8,
        "quantityPrecision": 8,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "settlePlan": 0,
        "triggerProtect": "0.0500",
        "liquidationFee": "0",
        "marketTakeBound": "1",
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": UNIT,
                "maxPrice": format_units(MAX_PRICE),
                "tickSize": UNIT,
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": UNIT,
                "maxQty": format_units(MAX_QTY),
                "stepSize": UNIT,
            },
            {
                "filterType": "MARKET_LOT_SIZE",
                "minQty": UNIT,
                "maxQty": format_units(MAX_QTY),
                "stepSize": UNIT,
            },
            {"filterType": "MAX_NUM_ORDERS", "limit": 200},
            {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 200},
            # --min-margin at the highest leverage: an order of this notional or more meets
            # the minimum margin at every leverage (a notional below it may, at lower ones)
            {
                "filterType": "MIN_NOTIONAL",
                "notional": format_units(terms.min_margin * terms.max_leverage),
            },
        ],
        "orderTypes": ORDER_TYPES,
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }


def ticker_price(symbol: str, quote: Quote, now: int) -> Json:
    return {"symbol": symbol, "price": format_units(quote.ref), "time": now}


def book_ticker(symbol: str, quote: Quote, update_id: int, now: int) -> Json:
    qty = format_units(MAX_QTY)
    return {
        "symbol": symbol,
        "bidPrice": format_units(quote.bid),
        "bidQty": qty,
        "askPrice": format_units(quote.ask),
        "askQty": qty,
        "time": now,
        "lastUpdateId": update_id,
    }


def depth(quote: Quote, update_id: int, now: int) -> Json:
    qty = format_units(MAX_QTY)
    return {
        "lastUpdateId": update_id,
        "E": now,
        "T": now,
        "bids": [[format_units(quote.bid), qty]],
        "asks": [[format_units(quote.ask), qty]],
    }


def quote_volume(c: CandleRecord) -> int:
    """A candle's traded value in USDT, estimated: Velox keeps each candle's base volume,
    not the sum of price x quantity of its trades, so this is the volume at the candle's
    typical price (high + low + close) / 3, floored. Binance's ``quoteVolume`` is exact; a
    bot ranking pairs by it (freqtrade's VolumePairList) ranks them the same way."""
    typical = (c.high + c.low + c.close) // 3
    return typical * c.volume // SCALE


def close_time(interval: str, start: int) -> int:
    """The last ms of the ``interval`` kline opened at ``start`` (Binance's ``T``)."""
    if interval in DERIVED:
        return next_start(interval, start) - 1
    return start + DURATIONS_MS[interval] - 1


def kline(c: CandleRecord) -> list[Any]:
    return [
        c.time, format_units(c.open), format_units(c.high), format_units(c.low),
        format_units(c.close), format_units(c.volume), close_time(c.duration, c.time),
        format_units(quote_volume(c)), 0, format_units(0), format_units(0), "0",
    ]  # fmt: skip


def agg_trade(t: TradeRecord) -> Json:
    price, qty = format_units(t.price), format_units(t.qty)
    i = t.trade_id  # Velox's feeds carry trades, not aggregates: one trade each
    return {"a": i, "p": price, "q": qty, "f": i, "l": i, "T": t.ts, "m": False}


def trade(t: TradeRecord) -> Json:
    return {
        "id": t.trade_id, "price": format_units(t.price), "qty": format_units(t.qty),
        "quoteQty": format_units(t.price * t.qty // SCALE), "time": t.ts,
        "isBuyerMaker": False,
    }  # fmt: skip


def premium_index(symbol: str, quote: Quote | None, terms: Terms, now: int) -> Json:
    mark = format_units(quote.ref) if quote is not None else format_units(0)
    return {
        "symbol": symbol,
        "markPrice": mark,
        "indexPrice": mark,
        "estimatedSettlePrice": mark,
        "lastFundingRate": ratio_text(terms.funding_rate),
        "interestRate": ratio_text(0),
        "nextFundingTime": terms.next_funding_ms(now),
        "time": now,
    }


def funding_rate(boundary: FundingBoundaryRecord) -> Json:
    """One boundary charged (``/fapi/v1/fundingRate``): the rate and the mark price of its
    first charge."""
    return {
        "symbol": boundary.asset,
        "fundingRate": ratio_text(boundary.rate),
        "fundingTime": boundary.boundary,
        "markPrice": format_units(boundary.mark_price),
    }


def leverage_bracket(symbol: str, terms: Terms, leverage: int) -> Json:
    """One bracket. Binance's ``maintMarginRatio`` is a share of the position's notional;
    Velox's maintenance margin is ``mmr`` of its margin (SPEC 4), which is the notional over
    the leverage: so the ratio is ``mmr / leverage``, at the leverage the account trades the
    symbol with (rounded up: never a healthier position than Velox's own figure). ccxt
    computes a position's maintenance margin and marginRatio from it."""
    ratio = -(-terms.mmr // leverage)
    return {
        "symbol": symbol,
        "notionalCoef": _number("1.0"),
        "brackets": [
            {
                "bracket": 1,
                "initialLeverage": terms.max_leverage,
                "notionalCap": MAX_UNITS // SCALE,
                "notionalFloor": 0,
                "maintMarginRatio": _number(ratio_text(ratio)),
                "cum": _number("0.0"),
            }
        ],
    }


def commission_rate(symbol: str, terms: Terms) -> Json:
    return {
        "symbol": symbol,
        "makerCommissionRate": ratio_text(terms.maker_fee),
        "takerCommissionRate": ratio_text(terms.taker_fee),
    }
