"""ccxt's ``binanceusdm``, unchanged but for its ``urls``, against a real Velox server.

Every number ccxt reads is compared with what the native API says for the same account and
moment: ccxt parses Binance's JSON shapes, so a misnamed field or a wrong figure shows up
as a difference here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import ccxt.async_support as ccxt
import pytest
from aiohttp.test_utils import TestClient

from tests.binance.helpers import make_key
from tests.web.conftest import MakeClient
from tests.web.helpers import User, signup, tick
from velox.money import units
from velox.service import EngineState
from velox.store.records import CandleRecord, TradeRecord
from velox.web.keys import SERVICE, STORE

SYMBOL = "BTC/USDT:USDT"
MINUTE = 60_000


def urls_for(base: str) -> dict[str, Any]:
    """binanceusdm's API URLs on the Velox under test: the README's recipe, word for word."""
    return {"api": {
        name: base + "/" + url.split("/", 3)[3]
        for name, url in ccxt.binanceusdm().urls["api"].items()}}  # fmt: skip


@pytest.fixture
async def session(make_client: MakeClient) -> AsyncIterator[tuple[Any, TestClient[Any, Any], User]]:
    client = await make_client(binance_weight_limit=100_000)
    user = await signup(client)
    key = await make_key(user, ["read"])  # the first account: HEDGING, whose key only reads
    base = str(client.make_url("")).rstrip("/")
    exchange = ccxt.binanceusdm(
        {"apiKey": key.api_key, "secret": key.secret, "urls": urls_for(base)}
    )
    try:
        yield exchange, client, user
    finally:
        await exchange.close()


def D(text: str | None) -> Decimal:
    assert text is not None
    return Decimal(text)


async def test_markets_time_ticker_book(session: Any) -> None:
    exchange, client, user = session
    await tick(client, "BTCUSDT", "100000")
    await tick(client, "ETHUSDT", "3000")
    markets = await exchange.load_markets()
    assert {m for m in markets if markets[m]["swap"]} == {
        "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"
    }  # fmt: skip
    btc = markets[SYMBOL]
    assert btc["id"] == "BTCUSDT" and btc["linear"] and btc["settle"] == "USDT"
    assert btc["precision"]["price"] == 1e-8 and btc["precision"]["amount"] == 1e-8
    assert btc["limits"]["leverage"]["max"] is None or btc["limits"]["leverage"]["max"] <= 100

    server = await exchange.fetch_time()
    assert abs(server - exchange.milliseconds()) < 5_000

    native = (await user.json("GET", "/api/v1/assets", 200))["assets"]
    quote = next(a for a in native if a["symbol"] == "BTCUSDT")
    book = await exchange.fetch_order_book(SYMBOL, 5)
    assert Decimal(str(book["bids"][0][0])) == D(quote["bid"]) == Decimal("99950")
    assert Decimal(str(book["asks"][0][0])) == D(quote["ask"]) == Decimal("100050")
    assert len(book["bids"]) == len(book["asks"]) == 1

    ticker = await exchange.fetch_ticker(SYMBOL)
    assert D(ticker["info"]["lastPrice"]) == Decimal("100000")  # the reference price
    assert ticker["symbol"] == SYMBOL


async def test_ohlcv_equals_native_candles(session: Any) -> None:
    exchange, client, user = session
    start = 1_736_812_800_000
    rows = [
        CandleRecord("BTCUSDT", "1m", start + i * MINUTE, units(str(100 + i)),
                     units(str(110 + i)), units(str(95 + i)), units(str(105 + i)),
                     units(f"{i}.5"))
        for i in range(5)
    ]  # fmt: skip
    await client.app[STORE].put_candles(rows)
    ohlcv = await exchange.fetch_ohlcv(SYMBOL, "1m", since=start, limit=5)
    native = await user.json(
        "GET", f"/api/v1/candles?asset=BTCUSDT&duration=1m&startTime={start}&limit=5", 200
    )
    assert len(ohlcv) == len(native["candles"]) == 5
    for row, candle in zip(ohlcv, native["candles"], strict=True):
        assert row[0] == candle["time"]
        assert [Decimal(str(v)) for v in row[1:]] == [
            D(candle[f]) for f in ("open", "high", "low", "close", "volume")
        ]


async def test_ohlcv_of_an_interval_velox_does_not_store(session: Any) -> None:
    """ccxt lists 30m for binanceusdm; Velox folds it from its 15m candles (it answered
    -1120, which ccxt raises as BadRequest)."""
    exchange, client, _user = session
    start = 1_736_812_800_000  # a half-hour boundary
    rows = [
        CandleRecord("BTCUSDT", "15m", start + i * 15 * MINUTE, units(str(100 + i)),
                     units(str(110 + i)), units(str(95 - i)), units(str(105 + i)), units("2"))
        for i in range(4)
    ]  # fmt: skip
    await client.app[STORE].put_candles(rows)
    ohlcv = await exchange.fetch_ohlcv(SYMBOL, "30m", since=start, limit=2)
    assert ohlcv == [[start, 100.0, 111.0, 94.0, 106.0, 4.0],
                     [start + 30 * MINUTE, 102.0, 113.0, 92.0, 108.0, 4.0]]  # fmt: skip


async def test_mark_index_and_continuous_klines(session: Any) -> None:
    """The mark (and index) price is the last trade's (SPEC 2), so its klines are the trade
    candles without volume; continuousKlines names the perpetual by pair. (All three were
    404: ccxt's fetch_mark_ohlcv and fetch_index_ohlcv failed.)"""
    exchange, client, _user = session
    start = 1_736_812_800_000
    rows = [CandleRecord("BTCUSDT", "1h", start + i * 3_600_000, units(str(100 + i)),
                         units(str(110 + i)), units(str(95 + i)), units(str(105 + i)),
                         units("7")) for i in range(3)]  # fmt: skip
    await client.app[STORE].put_candles(rows)
    prices = [[start + i * 3_600_000, 100.0 + i, 110.0 + i, 95.0 + i, 105.0 + i]
              for i in range(3)]  # fmt: skip
    mark = await exchange.fetch_mark_ohlcv(SYMBOL, "1h", since=start)
    assert [row[:5] for row in mark] == prices and {row[5] for row in mark} == {0.0}
    index = await exchange.fetch_index_ohlcv(SYMBOL, "1h", since=start)
    assert [row[:5] for row in index] == prices
    raw = await client.get(f"/fapi/v1/continuousKlines?pair=BTCUSDT&contractType=PERPETUAL"
                           f"&interval=1h&startTime={start}&limit=1")  # fmt: skip
    assert (await raw.json())[0][:6] == [start, "100.00000000", "110.00000000",
                                         "95.00000000", "105.00000000", "7.00000000"]  # fmt: skip
    quarterly = await client.get("/fapi/v1/continuousKlines?pair=BTCUSDT&interval=1h"
                                 "&contractType=CURRENT_QUARTER")  # fmt: skip
    assert quarterly.status == 400


async def test_fetch_status_says_when_the_engine_takes_no_orders(session: Any) -> None:
    """ccxt's fetch_status asks /sapi/v1/system/status (404 before): maintenance while the
    engine starts, replays or rebuilds, as Binance's system maintenance."""
    exchange, client, _user = session
    assert (await exchange.fetch_status())["status"] == "ok"
    client.app[SERVICE].state = EngineState.REPLAYING
    try:
        assert (await exchange.fetch_status())["status"] == "maintenance"
    finally:
        client.app[SERVICE].state = EngineState.READY


async def test_fetch_trades(session: Any) -> None:
    exchange, client, _user = session
    exchange.enableRateLimit = False  # ccxt would wait out Binance's weights between calls
    start = exchange.milliseconds() - 10_000
    await client.app[STORE].insert_trades(
        [TradeRecord("BTCUSDT", 500 + i, units(f"{100000 + i}"), units("0.25"), start + i)
         for i in range(3)]
    )  # fmt: skip
    trades = await exchange.fetch_trades(SYMBOL, since=start, limit=2)
    assert [(t["id"], t["timestamp"], t["price"], t["amount"]) for t in trades] == [
        ("500", start, 100000.0, 0.25), ("501", start + 1, 100001.0, 0.25)
    ]  # fmt: skip
    assert [t["id"] for t in await exchange.fetch_trades(SYMBOL)] == ["500", "501", "502"]
    historical = {"fetchTradesMethod": "fapiPublicGetHistoricalTrades", "fromId": 501}
    older = await exchange.fetch_trades(SYMBOL, params=historical)  # with the API key header
    assert [(t["id"], t["price"]) for t in older] == [("501", 100001.0), ("502", 100002.0)]
    assert len(await exchange.fetch_trades(SYMBOL, limit=500, params=historical)) == 2
    too_many = {**historical, "limit": 501}  # Binance's ceiling for historicalTrades
    with pytest.raises(ccxt.BadRequest, match="-1130"):
        await exchange.fetch_trades(SYMBOL, params=too_many)
    anonymous = await client.get("/fapi/v1/historicalTrades?symbol=BTCUSDT")
    assert (await anonymous.json())["code"] == -2014  # Binance's MARKET_DATA needs the key


async def test_balance_positions_funding_leverage(session: Any) -> None:
    exchange, client, user = session
    await tick(client, "BTCUSDT", "100000")
    await user.open(asset="BTCUSDT", side="LONG", leverage=10, margin="100")
    await user.open(asset="BTCUSDT", side="SHORT", leverage=5, margin="50")
    await tick(client, "BTCUSDT", "101000")
    figures = await user.balance()

    balance = await exchange.fetch_balance()
    usdt = balance["USDT"]
    assert Decimal(str(usdt["free"])) == D(figures["balance"])
    assert Decimal(str(usdt["used"])) == D(figures["usedMargin"])
    assert Decimal(str(usdt["total"])) == D(figures["equity"])
    info = balance["info"]
    assert D(info["totalUnrealizedProfit"]) == D(figures["unrealizedPnl"])
    assert D(info["availableBalance"]) == D(figures["balance"])

    orders = (await user.json("GET", "/api/v1/order/user/orders", 200))["orders"]
    positions = await exchange.fetch_positions([SYMBOL])
    assert len(positions) == 2
    # a HEDGING account is Binance's hedge mode: each position on its own side (a review
    # found every one "BOTH", one-way mode, so a LONG and a SHORT on one symbol read as two
    # one-way positions), and positionSide/dual says so
    assert [(p["hedged"], p["info"]["positionSide"]) for p in positions] == [
        (True, o["side"]) for o in sorted(orders, key=lambda o: int(o["orderId"]))
    ]
    assert await exchange.fapiPrivateGetPositionSideDual() == {"dualSidePosition": True}
    by_side = {p["side"]: p for p in positions}
    for order in orders:
        p = by_side[order["side"].lower()]
        assert p["symbol"] == SYMBOL
        assert D(p["info"]["positionAmt"]) == D(order["qty"]) * (
            1 if order["side"] == "LONG" else -1
        )
        assert Decimal(str(p["contracts"])) == D(order["qty"])
        assert Decimal(str(p["entryPrice"])) == D(order["openPrice"])
        assert Decimal(str(p["unrealizedPnl"])) == D(order["unrealizedPnl"])
        assert Decimal(str(p["liquidationPrice"])) == D(order["liquidationPrice"])
        # Binance's isolatedMargin, which ccxt reads: the margin plus the unrealized profit
        collateral = D(order["margin"]) + D(order["unrealizedPnl"])
        assert Decimal(str(p["collateral"])) == collateral
        assert p["marginMode"] == "isolated"

    rate = await exchange.fetch_funding_rate(SYMBOL)
    assert rate["fundingRate"] == 0.0001
    assert rate["markPrice"] == 101000.0
    assert rate["fundingTimestamp"] % (8 * 3600 * 1000) == 0

    with pytest.raises(ccxt.AuthenticationError, match="-2015"):
        await exchange.set_leverage(7, SYMBOL)  # a HEDGING account's key is read-only
    flat = await exchange.fapiPrivateV2GetPositionRisk({"symbol": "ETHUSDT"})
    assert [(p["leverage"], p["positionAmt"], p["positionSide"]) for p in flat] == [
        ("20", "0.00000000", "LONG"), ("20", "0.00000000", "SHORT")
    ]  # fmt: skip


async def test_a_resting_orders_reservation_is_used_money(session: Any) -> None:
    """A resting LIMIT's reserved margin is the trader's, in use: ccxt's free + used make
    the total, and the account positions carry their unrealized profit as Binance spells it
    there (an outside review found the reservation in no field, and the profit unread)."""
    exchange, client, user = session
    await tick(client, "BTCUSDT", "100000")
    await user.open(asset="BTCUSDT", side="LONG", leverage=10, margin="100")
    await user.open(asset="BTCUSDT", side="LONG", leverage=10, margin="6", type="LIMIT",
                    price="60000")  # fmt: skip
    await tick(client, "BTCUSDT", "101000")
    figures = await user.balance()
    assert D(figures["balance"]) == D("894")

    usdt = (await exchange.fetch_balance())["USDT"]
    assert (Decimal(str(usdt["free"])), Decimal(str(usdt["used"]))) == (D("894"), D("106"))
    assert Decimal(str(usdt["total"])) == D(figures["equity"])
    info = await exchange.fapiPrivateV2GetAccount()
    assert (info["totalWalletBalance"], info["totalOpenOrderInitialMargin"]) == (
        "1000.00000000", "6.00000000"
    )  # fmt: skip
    (held,) = [p for p in await exchange.fetch_account_positions([SYMBOL])
               if p["contracts"]]  # fmt: skip
    assert Decimal(str(held["unrealizedPnl"])) == D(figures["unrealizedPnl"])
    assert held["info"]["isolated"] is True
