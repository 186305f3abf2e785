"""The calls freqtrade's Binance futures mode makes, as it makes them through ccxt, from an
outside review that played them: its start-up asks the multi-assets mode (404: freqtrade
could not start), its stop-loss on the exchange is read back with ``{"stop": True}`` and a
fired one's fill through ``actualOrderId`` (absent: the stop looked unfilled), a trade's
fills by ``orderId`` (ignored: every trade of the symbol came back), and its default pair
list ranks pairs by the 24 h ``quoteVolume`` (always 0)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.binance.helpers import netting_bot, now_ms
from tests.binance.test_ccxt_trading import SYMBOL, netting_exchange
from tests.binance.test_trading import ORDER
from tests.web.conftest import MakeClient
from tests.web.helpers import tick
from velox.money import units
from velox.store.records import CandleRecord
from velox.web.keys import STORE

BTC = "BTCUSDT"


async def test_a_fired_stop_loss_says_what_it_filled(make_client: MakeClient) -> None:
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _user, _account):
        assert await exchange.fapiPrivateGetMultiAssetsMargin() == {"multiAssetsMargin": False}
        await tick(client, BTC, "100000")  # bid 99950, ask 100050
        await exchange.set_leverage(5, SYMBOL)  # liquidated near 82,000: the stop acts first
        await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        stop = await exchange.create_order(SYMBOL, "stop_market", "sell", 0.01, None,
                                           {"stopPrice": 95000, "reduceOnly": True})  # fmt: skip
        waiting = await exchange.fetch_order(stop["id"], SYMBOL, {"stop": True})
        assert (waiting["status"], waiting["filled"], waiting["info"]["actualOrderId"]) == (
            "open", 0.0, ""
        )  # fmt: skip
        await tick(client, BTC, "94000")  # bid 93953: the stop sells 0.01 there
        fired = await exchange.fetch_order(stop["id"], SYMBOL, {"stop": True})
        info = fired["info"]
        assert (fired["status"], info["executedQty"], info["avgPrice"]) == (
            "closed", "0.01000000", "93953.00000000"
        )  # fmt: skip
        assert info["triggerTime"] > 0
        actual = await exchange.fetch_order(info["actualOrderId"], SYMBOL)
        assert (actual["status"], actual["filled"], actual["side"]) == ("closed", 0.01, "sell")
        assert Decimal(str(actual["average"])) == Decimal("93953")
        assert await exchange.fetch_positions([SYMBOL]) == []

        # the position's own stop-loss (closePosition) says the same when it fires
        await tick(client, BTC, "100000")
        await exchange.create_order(SYMBOL, "market", "buy", 0.02)
        own = await exchange.create_order(SYMBOL, "stop_market", "sell", None, None,
                                          {"stopPrice": 95000, "closePosition": True})  # fmt: skip
        await tick(client, BTC, "94000")
        info = (await exchange.fetch_order(own["id"], SYMBOL, {"stop": True}))["info"]
        assert (info["algoStatus"], info["actualOrderId"], info["executedQty"]) == (
            "FINISHED", str(own["id"]), "0.02000000"
        )  # fmt: skip
        closed = await exchange.fetch_order(info["actualOrderId"], SYMBOL)
        assert (closed["status"], closed["filled"]) == ("closed", 0.02)


async def test_user_trades_of_one_order(client: Any) -> None:
    _user, bot, _ = await netting_bot(client)
    await tick(client, BTC, "100000")
    market = {"symbol": BTC, "type": "MARKET", "quantity": "0.01"}
    ids = [(await bot.json("POST", ORDER, {**market, "side": side}))["orderId"]
           for side in ("BUY", "SELL", "BUY")]  # fmt: skip
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC, "orderId": ids[1]})
    assert [(t["orderId"], t["side"], t["qty"]) for t in trades] == [(ids[1], "SELL",
                                                                      "0.01000000")]  # fmt: skip
    assert await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC, "orderId": 999}) == []
    assert len(await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})) == 3


async def test_pairs_rank_by_their_quote_volume(make_client: MakeClient) -> None:
    """By base volume SOL leads; by traded value (what freqtrade sorts on) BTC does."""
    client = await make_client(binance_weight_limit=100_000)
    hour = now_ms() - now_ms() % 3_600_000
    traded = {"BTCUSDT": ("100000", "1"), "ETHUSDT": ("3000", "10"), "SOLUSDT": ("150", "100")}
    await client.app[STORE].put_candles([
        CandleRecord(symbol, "1h", hour, units(p), units(p), units(p), units(p), units(v))
        for symbol, (p, v) in traded.items()
    ])  # fmt: skip
    async with netting_exchange(client) as (exchange, _user, _account):
        tickers = await exchange.fetch_tickers()
        ranked = sorted(tickers, key=lambda s: tickers[s]["quoteVolume"] or 0, reverse=True)
        assert ranked == ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"]
        assert [tickers[s]["quoteVolume"] for s in ranked] == [100000.0, 30000.0, 15000.0]
        assert tickers["ETH/USDT:USDT"]["vwap"] == 3000.0
