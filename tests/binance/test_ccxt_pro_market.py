"""ccxt.pro's ``binanceusdm``, unchanged but for its ``urls``: ``watch_ticker`` /
``watch_tickers`` (``<sym>@ticker``, ``<sym>@miniTicker``, ``!ticker@arr``,
``!miniTicker@arr`` on ``/market/ws/<n>``) and ``watch_order_book`` (a REST snapshot, then
``<sym>@depth@100ms`` on ``/public/ws/<n>``, kept in sync by the ``U``/``u``/``pu`` ids),
following the price.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import partial
from typing import Any

from tests.binance.test_ccxt_pro import SYMBOL, D, Session
from tests.binance.test_ccxt_pro import session as session  # the fixture

__all__ = ["session"]


async def until_seen(
    session: Session, watch: Callable[[], Awaitable[Any]], done: Callable[[Any], bool], price: str
) -> Any:
    """Watch again (feeding trades at ``price``) until an answer satisfies ``done``."""
    for _ in range(100):
        answer = await session.feeding(watch(), price)
        if done(answer):
            return answer
    raise AssertionError(f"never saw {price}")


def last_is(price: str) -> Callable[[Any], bool]:
    return lambda ticker: D(ticker["last"]) == Decimal(price)


def best_bid_is(price: str) -> Callable[[Any], bool]:
    return lambda book: bool(book["bids"]) and D(book["bids"][0][0]) == Decimal(price)


async def test_watch_ticker_and_tickers_follow_the_price(session: Session) -> None:
    exchange = session.exchange
    await exchange.load_markets()
    # ccxt 4.5's watch_ticker subscribes <sym>@miniTicker (it loses its "watchTicker" option
    # on the way); name="ticker" asks for <sym>@ticker, as other versions do by default
    ticker = await session.feeding(exchange.watch_ticker(SYMBOL), "100000")
    rest = await exchange.fetch_ticker(SYMBOL)
    assert ticker["symbol"] == SYMBOL and D(ticker["last"]) == D(rest["last"]) == Decimal(100000)
    assert (D(ticker["open"]), D(ticker["high"]), D(ticker["low"])) == (
        D(rest["open"]), D(rest["high"]), D(rest["low"])
    )  # fmt: skip

    full = await until_seen(
        session, partial(exchange.watch_ticker, SYMBOL, {"name": "ticker"}), last_is("101000"),
        "101000",
    )  # fmt: skip
    assert full["info"]["e"] == "24hrTicker"
    assert (D(full["open"]), D(full["high"]), D(full["change"]), D(full["percentage"])) == (
        Decimal(100000), Decimal(101000), Decimal(1000), Decimal(1)
    )  # fmt: skip

    def ours_at(price: str) -> Callable[[Any], bool]:
        return lambda tickers: SYMBOL in tickers and last_is(price)(tickers[SYMBOL])

    for name, event in (("miniTicker", "24hrMiniTicker"), ("ticker", "24hrTicker")):
        mine = await until_seen(
            session, partial(exchange.watch_tickers, [SYMBOL], {"name": name}),
            ours_at("102000"), "102000",
        )  # fmt: skip
        every = await until_seen(  # !miniTicker@arr, !ticker@arr
            session, partial(exchange.watch_tickers, None, {"name": name}), ours_at("102000"),
            "102000",
        )  # fmt: skip
        assert mine[SYMBOL]["info"]["e"] == every[SYMBOL]["info"]["e"] == event


def levels(side: list[list[Any]]) -> list[tuple[Decimal, Decimal]]:
    return [(D(price), D(qty)) for price, qty, *_ in side]


async def test_watch_order_book_follows_the_quote(session: Session) -> None:
    exchange = session.exchange
    await exchange.load_markets()
    book = await session.feeding(exchange.watch_order_book(SYMBOL), "100000")
    assert levels(book["bids"]) == [(Decimal("99950"), Decimal("1000000"))]

    for price, bid, ask in (("101000", "100949.5", "101050.5"), ("100000", "99950", "100050")):
        book = await until_seen(
            session, partial(exchange.watch_order_book, SYMBOL), best_bid_is(bid), price
        )
        # one level each side: the levels the quote left were sent with quantity 0
        assert levels(book["bids"]) == [(Decimal(bid), Decimal("1000000"))]
        assert levels(book["asks"]) == [(Decimal(ask), Decimal("1000000"))]
        quote = await session.quote()
        assert (D(quote["bid"]), D(quote["ask"])) == (Decimal(bid), Decimal(ask))
        rest = await exchange.fetch_order_book(SYMBOL)
        assert book["nonce"] <= rest["nonce"]  # the stream's ids are the REST depth's
