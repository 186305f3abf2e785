"""Wiring: the API-key routes, the /fapi routes, the streams, and their lifetime.

``setup_binance(app)`` is the one call ``create_app`` makes, after adding the store's,
engine's and feed's contexts. The vault key is loaded (or created) at once, like the session
secret, and checked against the stored secrets as soon as the store is open (with the session
secret: ``velox.web.secret_checks``); the key ring and the market streams need the store and
the engine service, so ``binance_ctx`` (a ``cleanup_ctx`` after the engine's) builds them,
subscribes the streams to each committed batch and gives them the candle query
(the 24-hour tickers'); at cleanup the streams' pending conflated pushes are cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from velox.binance import (
    account,
    algo,
    amend,
    batch,
    fills,
    liquidations,
    listenkey,
    margin,
    market,
    trading,
)
from velox.binance.keyring import KeyRing
from velox.binance.keys import (
    KEYRING,
    KEYRING_PEERS,
    LISTEN_KEYS,
    MARKET_STREAMS,
    TERMS,
    VAULT,
    WEIGHTS,
)
from velox.binance.streams import endpoint as streams
from velox.binance.streams.market import MarketStreams
from velox.binance.streams.user import ListenKeys
from velox.binance.terms import terms_of
from velox.binance.weights import WeightMeter
from velox.vault import Vault, key_path
from velox.web import apikeys, webhooks
from velox.web.keys import CANDLES, OPTIONS, SERVICE, SETTINGS, STORE

KEY_ID = r"{keyId:[0-9a-f]{16}}"


def setup_binance(app: web.Application) -> None:
    settings, clock = app[SETTINGS], app[OPTIONS].clock
    app[VAULT] = Vault.from_file(key_path(settings.api_key_file, settings.data_dir))
    app[WEIGHTS] = WeightMeter(settings.binance_weight_limit, clock.wall_ms)
    app[TERMS] = terms = terms_of(settings)
    app[MARKET_STREAMS] = MarketStreams(settings.symbols, terms, clock.wall_ms)
    app.cleanup_ctx.append(binance_ctx)
    app.on_shutdown.append(streams.close_stream_sockets)
    setup_routes(app)


async def binance_ctx(app: web.Application) -> AsyncIterator[None]:
    service = app[SERVICE]
    app[KEYRING] = ring = KeyRing(app[STORE], app[VAULT])
    peers = app.get(KEYRING_PEERS)  # a gateway's (velox.bus)
    if peers is not None:
        peers.serve(ring)
    listen = app.get(LISTEN_KEYS)  # a gateway's, shared with the others (velox.bus)
    if listen is None:
        app[LISTEN_KEYS] = listen = ListenKeys(lambda: service.engine, app[OPTIONS].clock.wall_ms)
    ring.subscribe(listen.revoked)
    await listenkey.restore(listen, app[STORE], app[VAULT], app[OPTIONS].clock.wall_ms())
    market = app[MARKET_STREAMS]
    market.attach(app[CANDLES])  # the 24-hour tickers read what ticker/24hr reads
    staged = getattr(service, "subscribe_staged", None)
    if staged is not None:  # in-process: read when applied, reveal after the commit
        staged(market.stage)
        staged(listen.stage)
    else:  # a gateway's mirror publishes committed batches only
        service.subscribe(market.on_published)
        service.subscribe(listen.on_published)
    try:
        yield
    finally:
        await market.close()


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/api-keys", apikeys.create_api_key, name="api_key_create")
    r.add_get("/api/v1/api-keys", apikeys.list_api_keys, name="api_key_list")
    r.add_delete(f"/api/v1/api-keys/{KEY_ID}", apikeys.delete_api_key, name="api_key_delete")
    r.add_post("/api/v1/accounts/{accountId:[0-9]{1,20}}/webhook", webhooks.rotate_token,
               name="account_webhook")  # fmt: skip
    r.add_post("/api/v1/webhooks/tradingview", webhooks.tradingview, name="webhook_tradingview")

    public = {
        "ping": market.ping,
        "time": market.server_time,
        "exchangeInfo": market.exchange_info,
        "ticker/price": market.ticker_price,
        "ticker/bookTicker": market.book_ticker,
        "ticker/24hr": market.ticker_24hr,
        "depth": market.depth,
        "klines": market.klines,
        "continuousKlines": market.continuous_klines,
        "markPriceKlines": market.mark_price_klines,
        "indexPriceKlines": market.index_price_klines,
        "aggTrades": market.agg_trades,
        "trades": market.recent_trades,
        "historicalTrades": market.historical_trades,
        "premiumIndex": market.premium_index,
        "fundingRate": market.funding_rate,
        "fundingInfo": market.funding_info,
    }
    for path, handler in public.items():
        r.add_get(f"/fapi/v1/{path}", handler, name=fapi_name("v1", path))
    r.add_get("/fapi/v2/ticker/price", market.ticker_price, name=fapi_name("v2", "ticker/price"))
    r.add_get("/api/v3/klines", market.spot_klines, name="fapi_spot_v3_klines")

    for version in ("v2", "v3"):
        r.add_get(f"/fapi/{version}/account", account.account, name=fapi_name(version, "account"))
        r.add_get(f"/fapi/{version}/balance", account.balance, name=fapi_name(version, "balance"))
    r.add_get("/fapi/v2/positionRisk", account.position_risk_v2, name="fapi_v2_positionRisk")
    r.add_get("/fapi/v3/positionRisk", account.position_risk_v3, name="fapi_v3_positionRisk")
    r.add_get("/fapi/v1/leverageBracket", account.leverage_bracket, name="fapi_v1_leverageBracket")
    r.add_get("/fapi/v1/commissionRate", account.commission_rate, name="fapi_v1_commissionRate")
    r.add_get("/fapi/v1/symbolConfig", account.symbol_config, name="fapi_v1_symbolConfig")
    r.add_get("/fapi/v1/positionSide/dual", account.get_position_mode, name="fapi_v1_dual_get")
    r.add_get("/fapi/v1/multiAssetsMargin", account.get_multi_assets_mode,
              name="fapi_v1_multi_assets_get")  # fmt: skip
    r.add_post("/fapi/v1/positionSide/dual", account.set_position_mode, name="fapi_v1_dual_set")
    r.add_post("/fapi/v1/marginType", account.set_margin_type, name="fapi_v1_marginType")
    r.add_post("/fapi/v1/leverage", account.set_leverage, name="fapi_v1_leverage")
    r.add_get("/sapi/v1/capital/config/getall", account.coins, name="fapi_sapi_coins")
    r.add_get("/sapi/v1/margin/allPairs", account.margin_pairs, name="fapi_sapi_margin_pairs")
    r.add_get("/sapi/v1/system/status", market.system_status, name="fapi_sapi_system_status")

    r.add_post("/fapi/v1/order", trading.new_order, name="fapi_v1_order_new")
    r.add_get("/fapi/v1/order", trading.query_order, name="fapi_v1_order_get")
    r.add_delete("/fapi/v1/order", trading.cancel_order, name="fapi_v1_order_cancel")
    r.add_get("/fapi/v1/openOrder", trading.query_open_order, name="fapi_v1_open_order")
    r.add_get("/fapi/v1/forceOrders", liquidations.force_orders, name="fapi_v1_force_orders")
    r.add_post("/fapi/v1/positionMargin", margin.position_margin, name="fapi_v1_position_margin")
    r.add_post("/fapi/v1/batchOrders", batch.place_orders, name="fapi_v1_batch_new")
    r.add_delete("/fapi/v1/batchOrders", batch.cancel_orders, name="fapi_v1_batch_cancel")
    r.add_put("/fapi/v1/order", amend.modify_order, name="fapi_v1_order_modify")
    r.add_get("/fapi/v1/openOrders", trading.open_orders, name="fapi_v1_openOrders")
    r.add_delete("/fapi/v1/allOpenOrders", trading.cancel_all, name="fapi_v1_allOpenOrders")
    r.add_get("/fapi/v1/allOrders", trading.all_orders, name="fapi_v1_allOrders")
    r.add_get("/fapi/v1/userTrades", fills.user_trades, name="fapi_v1_userTrades")
    r.add_get("/fapi/v1/income", fills.income, name="fapi_v1_income")

    r.add_post("/fapi/v1/algoOrder", algo.new_algo_order, name="fapi_v1_algoOrder_new")
    r.add_get("/fapi/v1/algoOrder", algo.query_algo_order, name="fapi_v1_algoOrder_get")
    r.add_delete("/fapi/v1/algoOrder", algo.cancel_algo_order, name="fapi_v1_algoOrder_cancel")
    r.add_get("/fapi/v1/openAlgoOrders", algo.open_algo_orders, name="fapi_v1_openAlgoOrders")
    r.add_get("/fapi/v1/allAlgoOrders", algo.all_algo_orders, name="fapi_v1_allAlgoOrders")
    r.add_delete("/fapi/v1/algoOpenOrders", trading.cancel_all_algo,
                 name="fapi_v1_algoOpenOrders_cancel")  # fmt: skip

    r.add_post("/fapi/v1/listenKey", listenkey.create, name="fapi_v1_listenKey_create")
    r.add_put("/fapi/v1/listenKey", listenkey.keepalive, name="fapi_v1_listenKey_keepalive")
    r.add_delete("/fapi/v1/listenKey", listenkey.close, name="fapi_v1_listenKey_close")

    r.add_get("/ws/{streams:.+}", streams.raw_streams, name="fapi_ws_streams")
    r.add_get("/stream", streams.combined_streams, name="fapi_stream")
    routed = f"/{{route:{streams.ROUTES}}}"  # USDⓈ-M's /public and /market
    r.add_get(f"{routed}/ws", streams.no_streams, name="fapi_routed_ws")
    r.add_get(f"{routed}/ws/{{streams:.+}}", streams.raw_streams, name="fapi_routed_ws_streams")
    r.add_get(f"{routed}/stream", streams.combined_streams, name="fapi_routed_stream")
    r.add_get("/private/ws", streams.private_stream, name="fapi_private_ws")
    r.add_get("/private/ws/{listenKey}", streams.private_stream, name="fapi_private_ws_key")


def fapi_name(version: str, path: str) -> str:
    """Route names of the Binance-compatible API start with ``fapi_``: the API document
    leaves them out (they follow Binance's documentation, not Velox's)."""
    return f"fapi_{version}_{path.replace('/', '_')}"
