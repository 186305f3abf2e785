"""ccxt.pro's ``binanceusdm`` (ccxt's websocket client), unchanged but for its ``urls``,
against a real Velox fed trade by trade.

ccxt routes USDⓈ-M streams by path as Binance does: book tickers and trades on
``/public/ws/<n>``, klines and marks on ``/market/ws/<n>`` (each a connection opened with no
stream, then ``SUBSCRIBE``), the user data on ``/private/ws?listenKey=``. What it reads is
compared with what the REST API and the native API say for the same moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from itertools import count
from typing import Any

import ccxt.pro as ccxtpro
import pytest
from aiohttp.test_utils import TestClient

from tests.binance.fakes import QueueFeed, fed_client
from tests.binance.helpers import make_key, new_account, now_ms
from tests.binance.test_ccxt import urls_for
from tests.web.helpers import User, signup
from velox.binance.keys import LISTEN_KEYS
from velox.config import Settings

SYMBOL = "BTC/USDT:USDT"
FEES = {"taker_fee": "0.0005", "maker_fee": "0.0002", "binance_weight_limit": 100_000}


def pro_urls(base: str) -> dict[str, Any]:
    """The REST URLs (the README's recipe) and the USDⓈ-M websocket base, which ccxt turns
    into ``/public/ws``, ``/market/ws`` and ``/private/ws``."""
    urls = urls_for(base)
    urls["api"]["ws"] = {"linear": base.replace("http://", "ws://") + "/ws"}
    return urls


class Session:
    def __init__(self, client: TestClient[Any, Any], feed: QueueFeed, user: User,
                 account: str, exchange: Any) -> None:  # fmt: skip
        self.client, self.feed, self.user, self.exchange = client, feed, user, exchange
        self.on = {"X-Velox-Account": account}
        self.ids = count(1000)

    def trade(self, price: str, qty: str = "0.1") -> int:
        trade_id = next(self.ids)
        self.feed.trade("BTCUSDT", trade_id, price, qty, now_ms())
        return trade_id

    async def feeding(self, watch: Awaitable[Any], price: str, every: float = 0.1) -> Any:
        """Feed trades at ``price`` until ``watch`` (subscribed meanwhile) answers."""
        task = asyncio.ensure_future(watch)
        async with asyncio.timeout(10):
            while not task.done():
                self.trade(price)
                await asyncio.wait([task], timeout=every)
        return task.result()

    async def native(self, path: str) -> Any:
        return await self.user.json("GET", path, 200, headers=self.on)

    async def quote(self) -> dict[str, Any]:
        assets = (await self.native("/api/v1/assets"))["assets"]
        quote: dict[str, Any] = next(a for a in assets if a["symbol"] == "BTCUSDT")
        return quote


@pytest.fixture
async def session(aiohttp_client: Any, settings: Settings) -> AsyncIterator[Session]:
    client, feed = await fed_client(aiohttp_client, settings, **FEES)
    user = await signup(client)
    account = await new_account(user, "NETTING")
    key = await make_key(user, ["read", "trade"], account_id=account)
    base = str(client.make_url("")).rstrip("/")
    exchange = ccxtpro.binanceusdm(
        {"apiKey": key.api_key, "secret": key.secret, "urls": pro_urls(base)}
    )
    try:
        yield Session(client, feed, user, account, exchange)
    finally:
        await exchange.close()


def D(value: Any) -> Decimal:
    return Decimal(str(value))


async def test_bids_asks_trades_and_klines(session: Session) -> None:
    exchange = session.exchange
    await exchange.load_markets()
    tickers = await session.feeding(exchange.watch_bids_asks([SYMBOL]), "100000")
    quote = await session.quote()
    book = tickers[SYMBOL]
    assert (D(book["bid"]), D(book["ask"])) == (D(quote["bid"]), D(quote["ask"]))
    assert (D(book["bid"]), D(book["ask"])) == (Decimal("99950"), Decimal("100050"))

    sent = session.ids
    trades = await session.feeding(exchange.watch_trades(SYMBOL), "100000.5")
    last = trades[-1]
    assert (last["symbol"], D(last["price"]), D(last["amount"])) == (
        SYMBOL, Decimal("100000.5"), Decimal("0.1")
    )  # fmt: skip
    assert 1000 <= int(last["id"]) < next(sent)  # one of the feed's trade ids

    candles = await session.feeding(exchange.watch_ohlcv(SYMBOL, "1m"), "100001", every=0.3)
    await asyncio.sleep(1.5)  # the trade writer's last flush, if a trade was still queued
    row = candles[-1]
    native = await session.native(f"/api/v1/candles?asset=BTCUSDT&duration=1m&startTime={row[0]}")
    (candle,) = [c for c in native["candles"] if c["time"] == row[0]]
    assert row[0] % 60_000 == 0 and D(row[4]) == Decimal("100001")
    assert (D(row[2]), D(row[4])) == (D(candle["high"]), D(candle["close"]))


async def listening(session: Session, sockets: int = 1) -> None:
    """Until the server holds ``sockets`` user-data sockets of ours (ccxt's watch is open)."""
    book = session.client.app[LISTEN_KEYS]
    async with asyncio.timeout(10):
        while sum(len(listen.sockets) for listen in book.live()) < sockets:
            await asyncio.sleep(0.05)


async def next_of(watch: Callable[[], Awaitable[list[Any]]], done: Callable[[Any], bool]) -> Any:
    async with asyncio.timeout(10):
        while True:
            for item in await watch():
                if done(item):
                    return item


async def test_orders_my_trades_balance_and_positions(session: Session) -> None:
    exchange = session.exchange
    session.trade("100000")
    await exchange.load_markets()
    orders = asyncio.ensure_future(
        next_of(lambda: exchange.watch_orders(SYMBOL), lambda o: o["status"] == "closed")
    )
    mine = asyncio.ensure_future(next_of(lambda: exchange.watch_my_trades(SYMBOL), bool))
    balance = asyncio.ensure_future(exchange.watch_balance())
    assert await exchange.watch_positions([SYMBOL]) == []  # ccxt's first answer: a REST snapshot
    positions = asyncio.ensure_future(exchange.watch_positions([SYMBOL]))
    await listening(session)
    # an order that never fills takes the first order id: order and trade ids part
    far = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 50000)
    await exchange.cancel_order(far["id"], SYMBOL)

    bought = await exchange.create_order(SYMBOL, "market", "buy", 0.01)
    order, trade, wallet, (position,) = await asyncio.gather(orders, mine, balance, positions)
    (fill,) = await exchange.fetch_my_trades(SYMBOL)
    assert order["id"] == bought["id"] == fill["order"]
    assert (order["status"], D(order["filled"]), D(order["average"])) == (
        "closed", Decimal("0.01"), Decimal("100050")
    )  # fmt: skip
    assert trade["id"] == fill["id"] != bought["id"] and trade["order"] == bought["id"]
    assert (trade["takerOrMaker"], fill["takerOrMaker"]) == ("taker", "taker")
    assert (D(trade["price"]), D(trade["amount"]), D(trade["fee"]["cost"])) == (
        Decimal("100050"), Decimal("0.01"), Decimal("0.50025")
    )  # fmt: skip
    assert (position["side"], D(position["contracts"]), D(position["entryPrice"])) == (
        "long", Decimal("0.01"), Decimal("100050")
    )  # fmt: skip
    figures = await session.native("/api/v1/order/user/balance")
    assert D(wallet["USDT"]["total"]) == D(figures["balance"]) + D(figures["usedMargin"])

    # a resting LIMIT below the market fills when the price comes down: a maker trade
    limit = await exchange.create_order(SYMBOL, "limit", "buy", 0.01, 99000)
    assert limit["status"] == "open"
    maker = asyncio.ensure_future(
        next_of(lambda: exchange.watch_my_trades(SYMBOL), lambda t: t["order"] == limit["id"])
    )
    trade = await session.feeding(maker, "98000")
    fills = await exchange.fetch_my_trades(SYMBOL)
    assert [f["id"] for f in fills if f["order"] == limit["id"]] == [trade["id"]]
    assert (trade["takerOrMaker"], D(trade["price"]), D(trade["fee"]["cost"])) == (
        "maker", Decimal("99000"), Decimal("0.198")
    )  # fmt: skip
    assert [f["takerOrMaker"] for f in fills] == ["taker", "maker"]


async def test_watch_orders_sees_a_take_profit_set_and_cancelled(session: Session) -> None:
    """The position's take-profit, a conditional order, is open on ``watch_orders`` once set
    and canceled once cancelled (ccxt.pro reads Binance's ALGO_UPDATE for it)."""
    exchange = session.exchange
    session.trade("100000")
    await exchange.load_markets()
    await session.feeding(exchange.create_order(SYMBOL, "market", "buy", 0.01), "100000")
    watched: list[tuple[str, str]] = []  # (id, status) as each answer had it

    async def orders() -> list[Any]:
        got = await exchange.watch_orders(SYMBOL)
        watched.extend((o["id"], o["status"]) for o in got)
        return list(got)

    opened = asyncio.ensure_future(next_of(orders, lambda o: o["status"] == "open"))
    await listening(session)
    close = {"stopPrice": 120000, "closePosition": True}
    tp = await exchange.create_order(SYMBOL, "TAKE_PROFIT_MARKET", "sell", None, params=close)
    shown = await opened
    assert (shown["id"], shown["info"]["o"], D(shown["triggerPrice"])) == (
        tp["id"], "TAKE_PROFIT_MARKET", Decimal(120000)
    )  # fmt: skip
    cancelled = asyncio.ensure_future(next_of(orders, lambda o: o["status"] == "canceled"))
    await exchange.cancel_order(tp["id"], SYMBOL, params={"trigger": True})
    assert (await cancelled)["id"] == tp["id"]
    assert [status for id_, status in watched if id_ == tp["id"]] == ["open", "canceled"]
