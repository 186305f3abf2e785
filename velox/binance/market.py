"""Public /fapi market data: ping, time, exchangeInfo, tickers, depth, klines, marks, funding.

Every price is the one the native API shows for the same moment: quotes from the engine
(``/api/v1/assets``), candles from the same query as ``/api/v1/candles``. A symbol with no
quote yet has no ticker or book (-1121 would be wrong: the symbol exists), so those answer
with zero prices, as a freshly listed Binance symbol does.
"""

from __future__ import annotations

from typing import Any

from velox.binance import day, shapes
from velox.binance.endpoint import Call, endpoint
from velox.binance.errors import BinanceError, invalid
from velox.binance.keyring import READ
from velox.binance.keys import MARKET_STREAMS, TERMS
from velox.binance.params import MAX_ID, Params
from velox.binance.terms import ratio_text
from velox.binance.weights import depth_weight, klines_weight
from velox.engine.state import Quote
from velox.market.intervals import DERIVED
from velox.market.query import paged_candles
from velox.money import Price
from velox.service import EngineState
from velox.web.keys import CANDLES, OPTIONS, SERVICE, SETTINGS, STORE

DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)
MAX_KLINES = 1500  # Binance's ceiling for a request (the store's pages are 1000)
HOUR_MS = 3_600_000
NO_QUOTE = Quote(Price(0), Price(0), Price(0), 0)


def _now(call: Call) -> int:
    return call.app[OPTIONS].clock.wall_ms()


def _symbols(call: Call) -> tuple[str, ...]:
    return call.app[SETTINGS].symbols


async def _quotes(call: Call) -> dict[str, Quote]:
    return await call.app[SERVICE].read(lambda engine: dict(engine.quotes))


def _one_or_all(call: Call, render: Any, quotes: dict[str, Quote]) -> Any:
    symbol = call.params.symbol(_symbols(call), required=False)
    if symbol is not None:
        return render(symbol, quotes.get(symbol, NO_QUOTE))
    return [render(s, quotes.get(s, NO_QUOTE)) for s in _symbols(call)]


@endpoint(1)
async def ping(call: Call) -> Any:
    return {}


@endpoint(1)
async def system_status(call: Call) -> Any:
    """``/sapi/v1/system/status`` (ccxt's ``fetch_status``): 0 normal while the engine takes
    orders, else 1, Binance's system maintenance (a start, a replay, a rebuild)."""
    if call.app[SERVICE].state is EngineState.READY:
        return {"status": 0, "msg": "normal"}
    return {"status": 1, "msg": "system maintenance"}


@endpoint(1)
async def server_time(call: Call) -> Any:
    return {"serverTime": _now(call)}


@endpoint(1)
async def exchange_info(call: Call) -> Any:
    settings = call.app[SETTINGS]
    return shapes.exchange_info(
        settings.symbols, call.app[TERMS], settings.binance_weight_limit, _now(call)
    )


@endpoint(lambda p: 1 if p.get("symbol") else 2)
async def ticker_price(call: Call) -> Any:
    now = _now(call)
    return _one_or_all(call, lambda s, q: shapes.ticker_price(s, q, now), await _quotes(call))


@endpoint(lambda p: 2 if p.get("symbol") else 5)
async def book_ticker(call: Call) -> Any:
    now, market = _now(call), call.app[MARKET_STREAMS]
    return _one_or_all(
        call, lambda s, q: shapes.book_ticker(s, q, market.update_id(s), now), await _quotes(call)
    )


def _depth_limit(params: Params) -> int:
    value = params.optional_int("limit", 1, 10**6)
    if value is None:
        return 500
    if value not in DEPTH_LIMITS:
        raise invalid("limit")
    return value


@endpoint(lambda p: depth_weight(_depth_limit(p)))
async def depth(call: Call) -> Any:
    symbol = call.params.symbol(_symbols(call))
    assert symbol is not None
    _depth_limit(call.params)
    # the id first: the quote read after it is the same or newer, and the diff stream's
    # events from that id on name every level quoted since, so a book built from this
    # snapshot converges to the quote (an id newer than the quote could leave a stale level)
    update_id = call.app[MARKET_STREAMS].update_id(symbol)
    quotes = await _quotes(call)
    return shapes.depth(quotes.get(symbol, NO_QUOTE), update_id, _now(call))


async def _day_of(call: Call, symbol: str, quote: Quote | None) -> dict[str, Any]:
    """The same figures as the ``@ticker`` streams (``velox.binance.day``)."""
    last = call.app[MARKET_STREAMS].last_trades.get(symbol)
    price = quote.ref if quote is not None else None
    stats = await day.day_of(call.app[CANDLES], symbol, price, last.qty if last else 0, _now(call))
    return day.ticker_24hr(stats)


@endpoint(lambda p: 1 if p.get("symbol") else 40)
async def ticker_24hr(call: Call) -> Any:
    quotes = await _quotes(call)
    symbol = call.params.symbol(_symbols(call), required=False)
    if symbol is not None:
        return await _day_of(call, symbol, quotes.get(symbol))
    return [await _day_of(call, s, quotes.get(s)) for s in _symbols(call)]


def _klines_limit(params: Params) -> int:
    value = params.optional_int("limit", 1, MAX_KLINES)
    return 500 if value is None else value


@endpoint(lambda p: klines_weight(_klines_limit(p)))
async def klines(call: Call) -> Any:
    return await _klines(call, shapes.INTERVALS)


@endpoint(lambda p: klines_weight(_klines_limit(p)))
async def spot_klines(call: Call) -> Any:
    """``/api/v3/klines``, Binance spot's path and intervals (1s too): where Velox's own
    chart history client asks (``--binance-rest-url``), so one Velox fed by another
    (``--binance-url``) opens its charts with the other's history."""
    return await _klines(call, shapes.SPOT_INTERVALS)


@endpoint(lambda p: klines_weight(_klines_limit(p)))
async def continuous_klines(call: Call) -> Any:
    """``/fapi/v1/continuousKlines``: the perpetual's klines by ``pair`` (Velox lists only
    perpetuals, each pair's one contract)."""
    call.params.choice("contractType", ("PERPETUAL",))
    return await _klines(call, shapes.INTERVALS, name="pair")


@endpoint(lambda p: klines_weight(_klines_limit(p)))
async def mark_price_klines(call: Call) -> Any:
    """``/fapi/v1/markPriceKlines`` (ccxt's ``fetch_mark_ohlcv``): Velox's mark price is
    the reference price, the last trade's (SPEC 2), so its klines are the trade candles',
    without their volume, as Binance shows a price index's."""
    return [_no_volume(k) for k in await _klines(call, shapes.INTERVALS)]


@endpoint(lambda p: klines_weight(_klines_limit(p)))
async def index_price_klines(call: Call) -> Any:
    """``/fapi/v1/indexPriceKlines`` (``fetch_index_ohlcv``), by ``pair``: the index price
    is the mark price here (``premiumIndex`` shows them equal)."""
    return [_no_volume(k) for k in await _klines(call, shapes.INTERVALS, name="pair")]


def _no_volume(kline: list[Any]) -> list[Any]:
    zero = "0"
    return [*kline[:5], zero, kline[6], zero, 0, zero, zero, zero]


async def _klines(call: Call, intervals: dict[str, int], name: str = "symbol") -> Any:
    params = call.params
    symbol = params.symbol(_symbols(call), name=name)
    assert symbol is not None
    interval = params.required("interval")
    if interval not in intervals and interval not in DERIVED:
        raise BinanceError(-1120, "Invalid interval.")
    start, end = params.window()
    rows = await paged_candles(call.app[CANDLES], symbol, interval, start, end,
                               _klines_limit(params))  # fmt: skip
    return [shapes.kline(c) for c in rows]


@endpoint(20)
async def agg_trades(call: Call) -> Any:
    """``/fapi/v1/aggTrades``, where ccxt's ``fetch_trades`` asks: the exchange's trades as
    the ``@aggTrade`` stream sends them (one trade per aggregate), oldest first, from
    ``fromId``, or from ``startTime`` (with ``endTime`` at most an hour later, as Binance
    requires), else the newest ``limit``. What the trade writer has stored: a trade is in
    within a second of the stream's, and kept for ``--trade-retention``."""
    params = call.params
    symbol = params.symbol(_symbols(call))
    assert symbol is not None
    page = params.page("fromId")
    if page.start is not None and page.end is not None and page.end - page.start > HOUR_MS:
        raise BinanceError(-1127, "More than 1 hours between startTime and endTime.")
    rows = await call.app[STORE].trades(symbol, page.from_id, page.start, page.end, page.limit)
    return [shapes.agg_trade(t) for t in rows]


@endpoint(5)
async def recent_trades(call: Call) -> Any:
    """``/fapi/v1/trades``: the newest ``limit`` trades (default 500), oldest first."""
    return await _trades(call, from_id=None)


@endpoint(20, signed=READ, key_only=True)
async def historical_trades(call: Call) -> Any:
    """``/fapi/v1/historicalTrades`` (Binance's MARKET_DATA: the API key header, no
    signature): from ``fromId`` on, else the newest; oldest first; ``limit`` 100 by
    default, at most 500, as Binance's."""
    from_id = call.params.optional_int("fromId", 0, MAX_ID)
    return await _trades(call, from_id=from_id, default=100, most=500)


async def _trades(call: Call, from_id: int | None, default: int = 500, most: int = 1000) -> Any:
    symbol = call.params.symbol(_symbols(call))
    assert symbol is not None
    limit = call.params.optional_int("limit", 1, most) or default
    rows = await call.app[STORE].trades(symbol, from_id, None, None, limit)
    return [shapes.trade(t) for t in rows]


@endpoint(1)
async def premium_index(call: Call) -> Any:
    terms, now = call.app[TERMS], _now(call)
    quotes = await _quotes(call)
    symbol = call.params.symbol(_symbols(call), required=False)
    if symbol is not None:
        return shapes.premium_index(symbol, quotes.get(symbol), terms, now)
    return [shapes.premium_index(s, quotes.get(s), terms, now) for s in _symbols(call)]


@endpoint(1)
async def funding_info(call: Call) -> Any:
    """``/fapi/v1/fundingInfo``: each symbol's funding interval (ccxt's
    ``fetch_funding_interval``; ``--funding-interval`` need not be Binance's 8 h). Velox's
    rate is fixed, so its cap and floor are that rate. Funding off: no symbol is listed."""
    terms = call.app[TERMS]
    if terms.funding_interval_ms <= 0:
        return []
    hours = terms.funding_interval_ms / 3_600_000
    rate = ratio_text(terms.funding_rate)
    return [{"symbol": s, "adjustedFundingRateCap": rate, "adjustedFundingRateFloor": rate,
             "fundingIntervalHours": int(hours) if hours.is_integer() else hours,
             "disclaimer": False} for s in _symbols(call)]  # fmt: skip


@endpoint(1)
async def funding_rate(call: Call) -> Any:
    """The funding boundaries charged so far (SPEC 12), oldest first as Binance answers:
    from ``startTime`` when given, else the newest ``limit``. A boundary at which no
    position was open charged nobody and is not listed."""
    symbol = call.params.symbol(_symbols(call), required=False)
    limit = call.params.optional_int("limit", 1, 1000) or 100
    start, end = call.params.window()
    store = call.app[STORE]
    if start is not None:
        rows = await store.funding_boundaries(symbol, start, end, limit, oldest_first=True)
    else:
        rows = list(reversed(await store.funding_boundaries(symbol, start, end, limit)))
    return [shapes.funding_rate(r) for r in rows]
