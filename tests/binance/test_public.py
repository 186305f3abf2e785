"""Public /fapi market data in Binance's shapes, equal to the native API, and its weights."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import binance_error
from tests.binance.test_derived_klines import quote_estimate
from tests.web.conftest import MakeClient
from tests.web.helpers import tick
from velox.clock import ManualClock
from velox.feeds.klines import BinanceKlines
from velox.money import units
from velox.store.records import CandleRecord, TradeRecord
from velox.web.keys import STORE
from velox.web.options import WebOptions

HOUR = 3_600_000
START = 1_736_812_800_000  # an hour boundary
NOW = START + 30 * HOUR + 123


async def with_a_day_of_candles(make_client: MakeClient) -> TestClient[Any, Any]:
    """A Velox at ``NOW`` (a fixed wall clock) with 31 hourly ETHUSDT candles behind it."""
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=ManualClock(NOW)))
    rows = [
        CandleRecord("ETHUSDT", "1h", START + i * HOUR, units(str(3000 + i)),
                     units(str(3010 + 2 * i)), units(str(2990 - i)), units(str(3005 + i)),
                     units("1.25"))
        for i in range(31)
    ]  # fmt: skip
    await client.app[STORE].put_candles(rows)
    return client


async def get(client: TestClient[Any, Any], path: str, status: int = 200) -> Any:
    response = await client.get(path)
    body = await response.json()
    assert response.status == status, body
    return body


async def test_ping_time_exchange_info(make_client: MakeClient) -> None:
    clock = ManualClock()
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=clock))
    assert await get(client, "/fapi/v1/ping") == {}
    assert await get(client, "/fapi/v1/time") == {"serverTime": clock.wall_ms()}
    info = await get(client, "/fapi/v1/exchangeInfo")
    assert info["timezone"] == "UTC" and info["serverTime"] == clock.wall_ms()
    assert info["rateLimits"] == [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                   "intervalNum": 1, "limit": 2400}]  # fmt: skip
    assert [s["symbol"] for s in info["symbols"]] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    btc = info["symbols"][0]
    assert (btc["contractType"], btc["status"], btc["baseAsset"], btc["quoteAsset"]) == (
        "PERPETUAL", "TRADING", "BTC", "USDT"
    )  # fmt: skip
    assert btc["maintMarginPercent"] == "10.0000"  # --mmr 0.1
    assert btc["requiredMarginPercent"] == "1.0000"  # --max-leverage 100
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert filters["PRICE_FILTER"]["tickSize"] == "0.00000001"
    assert filters["LOT_SIZE"]["stepSize"] == "0.00000001"
    # --min-margin 1 at --max-leverage 100: enough margin at any leverage
    assert filters["MIN_NOTIONAL"] == {"filterType": "MIN_NOTIONAL", "notional": "100.00000000"}


async def test_quotes_equal_the_native_assets(client: TestClient[Any, Any]) -> None:
    await tick(client, "BTCUSDT", "92000.5")
    native = {a["symbol"]: a for a in (await get(client, "/api/v1/assets"))["assets"]}
    btc = native["BTCUSDT"]
    price = await get(client, "/fapi/v1/ticker/price?symbol=BTCUSDT")
    assert price["symbol"] == "BTCUSDT" and price["price"] == "92000.50000000"
    book = await get(client, "/fapi/v1/ticker/bookTicker?symbol=BTCUSDT")
    assert (book["bidPrice"], book["askPrice"]) == (btc["bid"], btc["ask"])
    assert (book["bidPrice"], book["askPrice"]) == ("91954.49975000", "92046.50025000")
    depth = await get(client, "/fapi/v1/depth?symbol=BTCUSDT&limit=5")
    assert depth["bids"] == [[btc["bid"], "1000000.00000000"]]
    assert depth["asks"] == [[btc["ask"], "1000000.00000000"]]
    assert depth["lastUpdateId"] == book["lastUpdateId"]
    every = await get(client, "/fapi/v1/ticker/price")
    assert [p["symbol"] for p in every] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert every[1]["price"] == "0.00000000"  # no quote yet
    mark = await get(client, "/fapi/v1/premiumIndex?symbol=BTCUSDT")
    assert mark["markPrice"] == mark["indexPrice"] == "92000.50000000"
    assert mark["lastFundingRate"] == "0.00010000"
    assert mark["nextFundingTime"] % (8 * HOUR) == 0 and mark["nextFundingTime"] > mark["time"]
    assert await get(client, "/fapi/v1/fundingRate?symbol=BTCUSDT") == []


async def test_klines_and_24hr_equal_the_native_candles(make_client: MakeClient) -> None:
    client = await with_a_day_of_candles(make_client)
    klines = await get(client, f"/fapi/v1/klines?symbol=ETHUSDT&interval=1h&startTime={START}"
                               "&limit=3")  # fmt: skip
    native = await get(client, f"/api/v1/candles?asset=ETHUSDT&duration=1h&startTime={START}"
                               "&limit=3")  # fmt: skip
    assert klines == [
        [c["time"], c["open"], c["high"], c["low"], c["close"], c["volume"], c["time"] + HOUR - 1,
         quote_estimate(c["high"], c["low"], c["close"], c["volume"]), 0, "0.00000000",
         "0.00000000", "0"]
        for c in native["candles"]
    ]  # fmt: skip
    assert klines[0][:6] == [START, "3000.00000000", "3010.00000000", "2990.00000000",
                             "3005.00000000", "1.25000000"]  # fmt: skip
    # 24 h from the hour 24 h ago (hour 6) to now (hour 30), last price = the last close
    day = await get(client, "/fapi/v1/ticker/24hr?symbol=ETHUSDT")
    assert day["openPrice"] == "3006.00000000" and day["lastPrice"] == "3035.00000000"
    assert day["highPrice"] == "3070.00000000" and day["lowPrice"] == "2960.00000000"
    assert day["volume"] == "31.25000000"  # 25 hourly candles of 1.25
    assert day["priceChange"] == "29.00000000" and day["priceChangePercent"] == "0.964"


async def test_agg_trades_and_recent_trades(make_client: MakeClient) -> None:
    """``aggTrades`` (ccxt's ``fetch_trades``) and ``trades`` from the stored exchange trades
    (they answered 404: a bot reading recent trades could not start)."""
    client = await make_client(options=WebOptions(bcrypt_rounds=4, clock=ManualClock(NOW)))
    stored = [TradeRecord("BTCUSDT", 100 + i, units(str(90000 + i)), units("0.5"), START + i * 1000)
              for i in range(6)]  # fmt: skip
    await client.app[STORE].insert_trades(stored)
    newest = await get(client, "/fapi/v1/aggTrades?symbol=BTCUSDT&limit=2")
    assert newest == [
        {"a": 104, "p": "90004.00000000", "q": "0.50000000", "f": 104, "l": 104,
         "T": START + 4000, "m": False},
        {"a": 105, "p": "90005.00000000", "q": "0.50000000", "f": 105, "l": 105,
         "T": START + 5000, "m": False},
    ]  # fmt: skip
    from_id = await get(client, "/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=101&limit=2")
    assert [t["a"] for t in from_id] == [101, 102]
    window = await get(client, f"/fapi/v1/aggTrades?symbol=BTCUSDT&startTime={START + 1500}"
                               f"&endTime={START + 3000}")  # fmt: skip
    assert [t["a"] for t in window] == [102, 103]
    too_long = f"startTime={START}&endTime={START + HOUR + 1}"
    refused = await get(client, f"/fapi/v1/aggTrades?symbol=BTCUSDT&{too_long}", 400)
    assert refused["code"] == -1127
    recent = await get(client, "/fapi/v1/trades?symbol=BTCUSDT&limit=1")
    assert recent == [{"id": 105, "price": "90005.00000000", "qty": "0.50000000",
                       "quoteQty": "45002.50000000", "time": START + 5000,
                       "isBuyerMaker": False}]  # fmt: skip
    assert await get(client, "/fapi/v1/trades?symbol=ETHUSDT") == []


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/fapi/v1/ticker/price?symbol=DOGEUSDT", -1121),
        ("/fapi/v1/depth?symbol=btcusdt", -1100),
        ("/fapi/v1/depth", -1102),
        ("/fapi/v1/depth?symbol=BTCUSDT&limit=7", -1130),
        ("/fapi/v1/klines?symbol=BTCUSDT&interval=2m", -1120),
        ("/fapi/v1/klines?symbol=BTCUSDT", -1102),
        ("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=abc", -1130),
        ("/fapi/v1/klines?symbol=BTCUSDT&interval=1m&startTime=5&endTime=4", -1023),
        ("/fapi/v1/ticker/price?symbol=BTCUSDT&symbol=ETHUSDT", -1101),
        ("/fapi/v1/aggTrades", -1102),
        ("/fapi/v1/aggTrades?symbol=BTCUSDT&limit=1001", -1130),
        ("/fapi/v1/trades?symbol=DOGEUSDT", -1121),
    ],
)
async def test_bad_public_requests(client: TestClient[Any, Any], path: str, code: int) -> None:
    await binance_error(await client.get(path), 400, code)


async def test_weights_per_minute(make_client: MakeClient) -> None:
    clock = ManualClock(1_736_812_800_000 + 10_000)  # 10 s into a minute
    client = await make_client(
        options=WebOptions(bcrypt_rounds=4, clock=clock), binance_weight_limit=30
    )
    used = []
    for path in ("/fapi/v1/ping", "/fapi/v1/ticker/price", "/fapi/v1/depth?symbol=BTCUSDT"):
        response = await client.get(path)
        used.append(response.headers["X-MBX-USED-WEIGHT-1M"])
    assert used == ["1", "3", "13"]  # 1, then 2 (all symbols), then 10 (500 levels)
    response = await client.get("/fapi/v1/ticker/24hr")  # weight 40: past the limit
    body = await binance_error(response, 429, -1003)
    assert "current limit is 30 request weight per 1 MINUTE" in body["msg"]
    assert response.headers["Retry-After"] == "50"
    response = await client.get("/fapi/v1/ping")
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "14"  # the refusal added nothing
    clock.advance(50_000)  # the next minute
    response = await client.get("/fapi/v1/ticker/price?symbol=BTCUSDT")
    assert response.headers["X-MBX-USED-WEIGHT-1M"] == "1"


async def test_spot_klines_feed_another_veloxs_chart_history(make_client: MakeClient) -> None:
    """``/api/v3/klines`` (Binance spot's path, 1s too) is where Velox's chart-history client
    asks: a Velox fed by this one (``--binance-rest-url``) gets its candles. (It answered 404
    and the fed Velox opened with an empty chart: an outside review.)"""
    client = await with_a_day_of_candles(make_client)
    second = CandleRecord("ETHUSDT", "1s", START, units("3000"), units("3001"), units("2999"),
                          units("3000.5"), units("0.5"))  # fmt: skip
    await client.app[STORE].put_candles([second])
    history = BinanceKlines(str(client.make_url("")).rstrip("/"), requests_per_second=1000)
    try:
        hourly = await history.klines("ETHUSDT", "1h", START, START + 3 * HOUR)
        seconds = await history.klines("ETHUSDT", "1s", START, START + 1000)
    finally:
        await history.close()
    assert [(k.time, k.open, k.close, k.volume) for k in hourly] == [
        (START + i * HOUR, units(str(3000 + i)), units(str(3005 + i)), units("1.25"))
        for i in range(3)
    ]
    assert [(k.time, k.high, k.low) for k in seconds] == [(START, units("3001"), units("2999"))]
    refused = await get(client, "/api/v3/klines?symbol=ETHUSDT&interval=30s", 400)
    assert refused["code"] == -1120
