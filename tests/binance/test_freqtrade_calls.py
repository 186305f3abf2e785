"""The calls freqtrade's Binance futures mode makes, as it makes them through ccxt, from an
outside review that played them: its start-up asks the multi-assets mode (404: freqtrade
could not start), its stop-loss on the exchange is read back with ``{"stop": True}`` and a
fired one's fill through ``actualOrderId`` (absent: the stop looked unfilled), a trade's
fills by ``orderId`` (ignored: every trade of the symbol came back), and its default pair
list ranks pairs by the 24 h ``quoteVolume`` (always 0)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.binance.helpers import binance_error, netting_bot, now_ms
from tests.binance.test_ccxt_trading import SYMBOL, netting_exchange
from tests.binance.test_trading import ORDER
from tests.binance.test_user_stream import listen_key
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
        assert (info["algoStatus"], info["executedQty"]) == ("FINISHED", "0.02000000")
        assert info["actualOrderId"] not in ("", own["id"])  # an order of its own
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


async def test_a_close_by_velox_is_an_order_of_its_own(client: Any) -> None:
    """The close button (and a reset, a liquidation) closes a position with no order of the
    trader's; its trade was shown under the opening order's id, so ccxt.pro's order cache
    turned that BUY into a SELL and the order's trades held both (an outside review).
    It is now an order of its own, on REST, in userTrades and on the stream."""
    user, bot, account = await netting_bot(client)
    await tick(client, BTC, "100000")
    made = await (await listen_key(client, bot.key)).json()
    ws = await client.ws_connect(f"/ws/{made['listenKey']}")
    bought = await bot.json("POST", ORDER, {"symbol": BTC, "type": "MARKET", "side": "BUY",
                                            "quantity": "0.01"})  # fmt: skip
    entry = bought["orderId"]
    await tick(client, BTC, "101000")  # bid 100949.5
    await user.json("POST", f"/api/v1/order/close/{entry}", 200,
                    headers={"X-Velox-Account": account})  # fmt: skip

    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})
    assert [(t["orderId"] == entry, t["side"]) for t in trades] == [(True, "BUY"), (False, "SELL")]
    close_id = trades[1]["orderId"]
    close = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": close_id})
    assert (close["status"], close["side"], close["type"], close["reduceOnly"]) == (
        "FILLED", "SELL", "MARKET", True
    )  # fmt: skip
    assert (close["executedQty"], close["avgPrice"]) == ("0.01000000", "100949.50000000")
    assert close["clientOrderId"] == f"velox-{entry}-close"
    entry_now = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": entry})
    assert (entry_now["side"], entry_now["executedQty"]) == ("BUY", "0.01000000")
    of_entry = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC, "orderId": entry})
    assert [t["side"] for t in of_entry] == ["BUY"]
    of_close = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC, "orderId": close_id})
    assert [t["side"] for t in of_close] == ["SELL"]
    await binance_error(await bot.call("DELETE", ORDER, {"symbol": BTC, "orderId": close_id}),
                        400, -2011)  # fmt: skip
    await binance_error(await bot.call("GET", "/fapi/v1/algoOrder", {"algoId": close_id}),
                        400, -2013)  # fmt: skip

    updates = []
    while len(updates) < 3:
        message = await ws.receive_json(timeout=5)
        if message["e"] == "ORDER_TRADE_UPDATE":
            updates.append(message["o"])
    assert [(o["i"], o["S"], o["X"]) for o in updates] == [
        (entry, "BUY", "NEW"), (entry, "BUY", "FILLED"), (close_id, "SELL", "FILLED")
    ]  # fmt: skip
    assert updates[2]["c"] == f"velox-{entry}-close"
    await ws.close()


async def test_a_liquidation_is_an_autoclose_order(client: Any) -> None:
    """Binance names a liquidation's order ``autoclose-...``; ccxt reads that as one."""
    _user, bot, _account = await netting_bot(client)
    await tick(client, BTC, "100000")
    await bot.json("POST", "/fapi/v1/leverage", {"symbol": BTC, "leverage": 50})
    bought = await bot.json("POST", ORDER, {"symbol": BTC, "type": "MARKET", "side": "BUY",
                                            "quantity": "0.01"})  # fmt: skip
    await tick(client, BTC, "90000")  # far below a 50x LONG's liquidation price
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC})
    (closing,) = [t for t in trades if t["orderId"] != bought["orderId"]]
    close = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": closing["orderId"]})
    assert (close["clientOrderId"], close["status"], close["side"], close["type"]) == (
        f"autoclose-{bought['orderId']}", "FILLED", "SELL", "LIQUIDATION"  # as the stream says
    )  # fmt: skip
    by_client = {"symbol": BTC, "origClientOrderId": f"autoclose-{bought['orderId']}"}
    assert await bot.json("GET", ORDER, by_client) == close


async def test_only_closes_velox_made_are_its_orders(client: Any) -> None:
    """A close id answers for a close by Velox only: not for a position an opposite order
    closed, nor for one still open; a native partial close's part is its own order (-2013
    before: its trade named an order no endpoint showed). An outside read."""
    user, bot, account = await netting_bot(client)
    on = {"X-Velox-Account": account}
    await tick(client, BTC, "100000")
    market = {"symbol": BTC, "type": "MARKET", "quantity": "0.02"}
    first = (await bot.json("POST", ORDER, {**market, "side": "BUY"}))["orderId"]
    await bot.json("POST", ORDER, {**market, "side": "SELL"})  # closes it: an order of its own
    second = (await bot.json("POST", ORDER, {**market, "side": "BUY"}))["orderId"]
    part = await user.json("POST", f"/api/v1/order/close/{second}", 200, headers=on,
                           json={"percent": 50})  # fmt: skip
    part_id = part["closed"]["orderId"]
    for position in (first, second):  # closed by the trader's order; still open
        response = await bot.call("GET", ORDER, {"symbol": BTC, "orderId": 10**15 + 4 * position})
        await binance_error(response, 400, -2013)
    shown = await bot.json("GET", ORDER, {"symbol": BTC, "orderId": part_id})
    assert (shown["orderId"], shown["status"], shown["side"], shown["executedQty"]) == (
        int(part_id), "FILLED", "SELL", "0.01000000"
    )  # fmt: skip
    trades = await bot.json("GET", "/fapi/v1/userTrades", {"symbol": BTC, "orderId": part_id})
    assert [(t["orderId"], t["qty"]) for t in trades] == [(int(part_id), "0.01000000")]
    mine = {"symbol": BTC, "side": "BUY", "type": "LIMIT", "quantity": "0.01",
            "price": "90000", "timeInForce": "GTC",
            "newClientOrderId": f"velox-{first}-close"}  # fmt: skip
    placed = await bot.json("POST", ORDER, mine)  # a bot's own id wins over the pattern
    by_client = {"symbol": BTC, "origClientOrderId": f"velox-{first}-close"}
    assert (await bot.json("GET", ORDER, by_client))["orderId"] == placed["orderId"]


async def test_a_stop_entry_that_opened_a_position_says_what_it_filled(client: Any) -> None:
    """A STOP entry that opens a position ends OPEN, not FILLED: its algo order said it
    executed nothing (an outside read)."""
    _user, bot, _account = await netting_bot(client)
    await tick(client, BTC, "100000")
    stop = {"algoType": "CONDITIONAL", "symbol": BTC, "side": "BUY", "type": "STOP_MARKET",
            "quantity": "0.01", "triggerPrice": "101000"}  # fmt: skip
    placed = await bot.json("POST", "/fapi/v1/algoOrder", stop)
    await tick(client, BTC, "102000")  # ask 102051: the stop buys there
    algo = await bot.json("GET", "/fapi/v1/algoOrder", {"algoId": placed["algoId"]})
    assert (algo["algoStatus"], algo["actualOrderId"], algo["executedQty"], algo["avgPrice"]) == (
        "FINISHED", str(placed["algoId"]), "0.01000000", "102051.00000000"
    )  # fmt: skip
    (listed,) = await bot.json("GET", "/fapi/v1/allAlgoOrders", {"symbol": BTC})
    assert listed["executedQty"] == "0.01000000"


async def test_ccxt_fetches_my_liquidations(make_client: MakeClient) -> None:
    """ccxt's fetch_my_liquidations asks /fapi/v1/forceOrders (404 before)."""
    client = await make_client(binance_weight_limit=100_000)
    async with netting_exchange(client) as (exchange, _user, _account):
        exchange.enableRateLimit = False  # ccxt would wait out forceOrders' weight
        await tick(client, BTC, "100000")
        assert await exchange.fetch_my_liquidations(SYMBOL) == []
        await exchange.set_leverage(50, SYMBOL)
        bought = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
        await tick(client, BTC, "90000")  # bid 89955: far below a 50x LONG's liquidation
        (liquidation,) = await exchange.fetch_my_liquidations(SYMBOL)
        assert (liquidation["symbol"], liquidation["contracts"], liquidation["price"]) == (
            SYMBOL, 0.01, 89955.0
        )  # fmt: skip
        assert liquidation["info"]["clientOrderId"] == f"autoclose-{bought['id']}"
        adl = await exchange.fapiPrivateGetForceOrders({"autoCloseType": "ADL"})
        other = await exchange.fapiPrivateGetForceOrders({"symbol": "ETHUSDT"})
        assert adl == other == []
